/**
 * `npm run setup:gpu`: runs the two install steps `npm ci` skips for the GPU backends — libtensorflow
 * GPU + the tfjs-node-gpu binding (the package's own scripts/install.js) and the CUDA provider of
 * onnxruntime-node (its script/install.js with ONNXRUNTIME_NODE_INSTALL_CUDA=v12) — after checking the
 * driver and CUDA/cuDNN libraries each needs (engine/gpu-probe.ts), and ends with `fws doctor`'s verdict.
 *
 * Never leaves a half-installed package: each install step runs on a copy of its package in a
 * staging folder; only a step that finished and produced its files has them moved into
 * node_modules, and if `fws doctor` then fails to start, the move is undone. Without a driver, or
 * without a network, it stops before changing anything.
 *
 * Exit codes: 0 GPU in use; 1 installed but doctor reports CPU (reason printed); 2 a prerequisite
 * is missing (platform, driver, CUDA/cuDNN); 3 download host unreachable; 4 an install step failed
 * (none of its files kept).
 */
import { execFile, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { cp, mkdir, mkdtemp, readdir, readFile, realpath, rename, rm, stat } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import {
  describeGpuProbe,
  gpuProblems,
  ONNX_CUDA_NEEDS,
  probeGpu,
  TFJS_GPU_NEEDS,
  type GpuNeeds,
  type GpuProbe,
} from '../src-main/engine/gpu-probe'
import { ORT_CUDA_PROVIDER_FILES } from '../src-main/engine/onnx-device'
import type { DoctorReport } from '../src-main/contract/contract'

const require = createRequire(import.meta.url)
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export type ComponentId = 'tfjs' | 'onnx'

export const COMPONENTS: Record<ComponentId, { package: string; needs: GpuNeeds }> = {
  tfjs: { package: '@tensorflow/tfjs-node-gpu', needs: TFJS_GPU_NEEDS },
  onnx: { package: 'onnxruntime-node', needs: ONNX_CUDA_NEEDS },
}

export interface ComponentPlan {
  id: ComponentId
  action: 'install' | 'present' | 'skip'
  reason: string
}

export interface SetupPlan {
  /** Set when nothing should be done: the message naming what is missing. */
  stop: string | null
  components: ComponentPlan[]
}

/** Pure: what to install, from the machine probe and what is installed already. */
export function planSetup(
  probe: GpuProbe,
  installed: Record<ComponentId, boolean>,
  opts: { only?: ComponentId | null; platform?: string; arch?: string } = {},
): SetupPlan {
  const platform = opts.platform ?? process.platform
  const arch = opts.arch ?? process.arch
  if (platform !== 'linux' || arch !== 'x64')
    return {
      stop: `GPU setup covers Linux x64 (tfjs-node-gpu and onnxruntime-node ship CUDA builds for it); this is ${platform}-${arch}. Nothing was changed.`,
      components: [],
    }
  if (!probe.driver)
    return {
      stop:
        `no NVIDIA driver: ${probe.driverMissing ?? 'not found'}. Install the NVIDIA driver ` +
        `(≥ ${ONNX_CUDA_NEEDS.minDriver} for CUDA ${ONNX_CUDA_NEEDS.cuda}, ≥ ${TFJS_GPU_NEEDS.minDriver} for CUDA ${TFJS_GPU_NEEDS.cuda}) ` +
        'and run `npm run setup:gpu` again. Nothing was changed.',
      components: [],
    }
  const components = (Object.keys(COMPONENTS) as ComponentId[]).map((id): ComponentPlan => {
    const { package: pkg, needs } = COMPONENTS[id]
    if (opts.only && opts.only !== id)
      return { id, action: 'skip', reason: `not asked for (--only ${opts.only})` }
    const problems = gpuProblems(probe, needs)
    if (problems.length) return { id, action: 'skip', reason: `${needs.runtime}: ${problems.join('; ')}` }
    if (installed[id]) return { id, action: 'present', reason: `${pkg}: GPU files already installed` }
    return {
      id,
      action: 'install',
      reason: `${needs.runtime}: driver ${probe.driver!.version}, CUDA ${needs.cuda} / cuDNN ${needs.cudnn} found`,
    }
  })
  const usable = components.filter((c) => c.action !== 'skip')
  if (!usable.length)
    return {
      stop:
        'nothing here can use the GPU: ' +
        components.map((c) => c.reason).join(' | ') +
        '. Install the missing CUDA/cuDNN libraries (see README, "GPU") and run `npm run setup:gpu` again. Nothing was changed.',
      components,
    }
  return { stop: null, components }
}

/** tfjs-node-gpu's package.json, as far as its install step reads it. */
export interface TfjsPackage {
  version: string
  binary: { host: string; napi_versions: number[] }
}

/**
 * Pure: the N-API version node-pre-gyp builds and looks for (the highest the package lists that
 * this Node supports): Node 20 has N-API 9, tfjs-node-gpu 4.22 lists 3..8, so lib/napi-v8.
 */
export function tfjsNapiVersion(pkg: TfjsPackage, nodeNapi: string = process.versions.napi!): number {
  const best = Math.max(...pkg.binary.napi_versions.filter((v) => v <= Number(nodeNapi)))
  if (!Number.isFinite(best))
    throw new Error(`this Node (N-API ${nodeNapi}) is older than tfjs-node-gpu supports`)
  return best
}

/** Pure: the URLs tfjs-node-gpu's install step fetches (same env overrides as its scripts/install.js). */
export function tfjsDownloadUrls(
  env: NodeJS.ProcessEnv,
  pkg: TfjsPackage,
  napi: number = tfjsNapiVersion(pkg),
): string[] {
  const host = env.TFJS_NODE_CDN_STORAGE || env.npm_config_TFJS_NODE_CDN_STORAGE || env.CDN_STORAGE
  const base =
    env.TFJS_NODE_BASE_URI ||
    env.npm_config_TFJS_NODE_BASE_URI ||
    `${host || 'https://storage.googleapis.com/'}tensorflow/libtensorflow/libtensorflow-`
  return [
    `${base}gpu-linux-x86_64-2.9.1.tar.gz`,
    `${pkg.binary.host}/napi-v${napi}/${pkg.version}/GPU-linux-${pkg.version}.tar.gz`,
  ]
}

/** The NuGet index onnxruntime-node's install step resolves its Gpu.Linux package from. */
export const ONNX_DOWNLOAD_URLS = ['https://api.nuget.org/v3/index.json']

/** Pure: a network failure in words (no stack). */
export function describeNetworkError(url: string, err: NodeJS.ErrnoException | { status: number }): string {
  const u = new URL(url)
  if ('status' in err) return `${u.host} answered HTTP ${err.status} for ${url}`
  switch (err.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve ${u.hostname} (no network or no DNS)`
    case 'ECONNREFUSED':
      return `${u.host} refused the connection`
    case 'ETIMEDOUT':
    case 'ECONNRESET':
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return `cannot reach ${u.host} (${err.code})`
    default:
      return `cannot reach ${u.host}: ${err.message.split('\n')[0]}`
  }
}

/** HEAD request; null when the URL answers below 400, else why not. */
export function checkReachable(url: string, timeoutMs = 10_000): Promise<string | null> {
  return new Promise((resolve) => {
    const client = url.startsWith('https:') ? https : http
    const req = client.request(url, { method: 'HEAD', timeout: timeoutMs }, (res) => {
      res.resume()
      const status = res.statusCode ?? 0
      resolve(status < 400 ? null : describeNetworkError(url, { status }))
    })
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })))
    req.on('error', (err) => resolve(describeNetworkError(url, err)))
    req.end()
  })
}

/** The proxy the install scripts would use; a direct reachability check says nothing then. */
export function proxyConfigured(env: NodeJS.ProcessEnv): string | null {
  return (
    env.HTTPS_PROXY ||
    env.https_proxy ||
    env.HTTP_PROXY ||
    env.http_proxy ||
    env.GLOBAL_AGENT_HTTPS_PROXY ||
    null
  )
}

// ---------------------------------------------------------------------------------------------
// Installing

function packageDir(pkg: string): string {
  return path.dirname(require.resolve(`${pkg}/package.json`))
}

/** The node_modules folder a package folder sits in (scoped packages one level deeper). */
function nodeModulesOf(dir: string): string {
  let d = dir
  while (path.basename(d) !== 'node_modules' && path.dirname(d) !== d) d = path.dirname(d)
  return d
}

async function readTfjsPackage(): Promise<TfjsPackage> {
  return JSON.parse(
    await readFile(path.join(packageDir(COMPONENTS.tfjs.package), 'package.json'), 'utf8'),
  ) as TfjsPackage
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p)
    return true
  } catch {
    return false
  }
}

/** Files (relative to the package folder) present after a complete install of a component. */
async function installedFiles(id: ComponentId): Promise<string[]> {
  if (id === 'tfjs')
    return [
      `lib/napi-v${tfjsNapiVersion(await readTfjsPackage())}/tfjs_binding.node`,
      'deps/lib/libtensorflow.so.2.9.1',
      'deps/lib/libtensorflow_framework.so.2.9.1',
    ]
  const bin = `bin/napi-v6/${process.platform}/${process.arch}`
  return [...ORT_CUDA_PROVIDER_FILES, 'libonnxruntime_providers_tensorrt.so'].map((f) => `${bin}/${f}`)
}

export async function componentInstalled(
  id: ComponentId,
  dir = packageDir(COMPONENTS[id].package),
): Promise<boolean> {
  for (const f of await installedFiles(id)) if (!(await exists(path.join(dir, f)))) return false
  return true
}

/** What a finished staged install moves into node_modules: whole folders for tfjs, files for onnx. */
export interface Move {
  from: string
  to: string
}

/** Runs an install script with output to a log file; resolves with the exit code. */
function runLogged(args: string[], cwd: string, env: NodeJS.ProcessEnv, log: string): Promise<number> {
  return new Promise((resolve) => {
    const out = createWriteStream(log)
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.pipe(out, { end: false })
    child.stderr.pipe(out, { end: false })
    child.on('error', () => resolve(-1))
    child.on('close', (code) => out.end(() => resolve(code ?? -1)))
  })
}

/** The error line of a failed install script's log ("Error: getaddrinfo ENOTFOUND api.nuget.org"). */
export function installFailureLine(logText: string): string {
  const lines = logText.split('\n').map((l) => l.trim())
  return (
    lines.find((l) => /^(\w*Error|Error):/.test(l)) ??
    lines.find((l) => /failed|ERR!/i.test(l)) ??
    lines.filter(Boolean).at(-1) ??
    'no output'
  )
}

async function stage(
  id: ComponentId,
  stagingRoot: string,
  env: NodeJS.ProcessEnv,
  logDir: string,
): Promise<{ moves: Move[]; problem: null } | { moves: null; problem: string }> {
  const real = packageDir(COMPONENTS[id].package)
  const work = await mkdtemp(path.join(stagingRoot, `${id}-`))
  const copy = path.join(work, path.basename(real))
  const log = path.join(logDir, `${id}.log`)
  // The install scripts require their dependencies (tar, rimraf, node-pre-gyp, adm-zip,
  // global-agent) from node_modules: the copy finds them through NODE_PATH.
  const nodeModules = nodeModulesOf(real)
  const childEnv: NodeJS.ProcessEnv = {
    ...env,
    NODE_PATH: [path.join(real, 'node_modules'), nodeModules, env.NODE_PATH]
      .filter(Boolean)
      .join(path.delimiter),
    PATH: [path.join(nodeModules, '.bin'), env.PATH].filter(Boolean).join(path.delimiter),
  }
  let code: number
  if (id === 'tfjs') {
    await cp(real, copy, { recursive: true })
    code = await runLogged(['scripts/install.js', 'gpu', 'download'], copy, childEnv, log)
  } else {
    await mkdir(copy, { recursive: true })
    await cp(path.join(real, 'package.json'), path.join(copy, 'package.json'))
    await cp(path.join(real, 'script'), path.join(copy, 'script'), { recursive: true })
    // ONNXRUNTIME_NODE_INSTALL_CUDA=v12 is the switch its install-utils.js turns into the 'cuda12'
    // manifest (ONNXRUNTIME_NODE_INSTALL=cuda12 parses to "unset" there and, under npm, exits 0
    // having done nothing); the generic switches would override it, so they are dropped.
    const ortEnv: NodeJS.ProcessEnv = { ...childEnv, ONNXRUNTIME_NODE_INSTALL_CUDA: 'v12' }
    for (const k of [
      'ONNXRUNTIME_NODE_INSTALL',
      'npm_config_onnxruntime_node_install',
      'npm_config_onnxruntime_node_install_cuda',
    ])
      delete ortEnv[k]
    code = await runLogged(['script/install.js'], copy, ortEnv, log)
  }
  const missing: string[] = []
  for (const f of await installedFiles(id)) if (!(await exists(path.join(copy, f)))) missing.push(f)
  if (code !== 0 || missing.length) {
    const why =
      code !== 0
        ? `its install script exited with code ${code}: ${installFailureLine(await readFile(log, 'utf8').catch(() => ''))}`
        : `its install script finished without producing ${missing.join(', ')}`
    return { moves: null, problem: `${COMPONENTS[id].package}: ${why} (full log: ${log})` }
  }
  const moves =
    id === 'tfjs'
      ? ['deps', 'lib'].map((d) => ({ from: path.join(copy, d), to: path.join(real, d) }))
      : (await installedFiles(id)).map((f) => ({ from: path.join(copy, f), to: path.join(real, f) }))
  return { moves, problem: null }
}

async function move(from: string, to: string): Promise<void> {
  try {
    await rename(from, to)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err
    await cp(from, to, { recursive: true })
    await rm(from, { recursive: true, force: true })
  }
}

/** Moves staged files into place (keeping what they replace); returns the undo. */
export async function commit(
  moves: Move[],
): Promise<{ undo: () => Promise<void>; done: () => Promise<void> }> {
  const applied: { to: string; backup: string | null }[] = []
  const undo = async () => {
    for (const a of applied.reverse()) {
      await rm(a.to, { recursive: true, force: true })
      if (a.backup) await rename(a.backup, a.to)
    }
  }
  try {
    for (const m of moves) {
      const backup = (await exists(m.to)) ? `${m.to}.fws-setup-gpu-backup` : null
      if (backup) {
        await rm(backup, { recursive: true, force: true })
        await rename(m.to, backup)
      }
      applied.push({ to: m.to, backup })
      await move(m.from, m.to)
    }
  } catch (err) {
    await undo()
    throw err
  }
  const done = async () => {
    for (const a of applied) if (a.backup) await rm(a.backup, { recursive: true, force: true })
  }
  return { undo, done }
}

// ---------------------------------------------------------------------------------------------
// Doctor

/** `fws doctor --json` in a fresh process (a process picks its backend once). */
export function runDoctor(env: NodeJS.ProcessEnv = process.env): Promise<DoctorReport> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin', 'fws.mjs'), 'doctor', '--json'],
      { env, timeout: 120_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        try {
          resolve(JSON.parse(stdout) as DoctorReport)
        } catch {
          reject(
            new Error(`fws doctor did not run: ${(stderr || err?.message || 'no output').split('\n')[0]}`),
          )
        }
      },
    ),
  )
}

/** Pure: doctor's verdict in one line per runtime. */
export function doctorVerdict(r: DoctorReport): string[] {
  const b = r.backend
  const tfjs =
    'error' in b
      ? `tfjs: no backend (${b.error})`
      : `tfjs models: ${b.name} on the ${b.gpu ? 'GPU' : 'CPU'}${
          r.devices.find((d) => d.runtime === 'tfjs')
            ? ` — ${r.devices.find((d) => d.runtime === 'tfjs')!.reason}`
            : ''
        }`
  const onnx = r.devices
    .filter((d) => d.runtime === 'onnxruntime')
    .map(
      (d) =>
        `${d.model}: ${d.device ? `onnxruntime ${d.via} on the ${d.device.toUpperCase()}` : 'cannot run'} — ${d.reason}`,
    )
  return [tfjs, ...onnx]
}

/** Pure: whether doctor shows component `id` computing on the GPU. */
export function onGpu(r: DoctorReport, id: ComponentId): boolean {
  if (id === 'tfjs') return !('error' in r.backend) && r.backend.name === 'tensorflow-gpu' && r.backend.gpu
  return r.devices.some((d) => d.runtime === 'onnxruntime' && d.device === 'gpu')
}

// ---------------------------------------------------------------------------------------------
// The run

export interface SetupDeps {
  probe?: () => Promise<GpuProbe>
  /** URLs checked before downloading (default: the ones the install scripts fetch). */
  urls?: Partial<Record<ComponentId, string[]>>
  /** Environment for the install scripts and doctor. */
  env?: NodeJS.ProcessEnv
  /** Where staged installs and logs go (default node_modules/.cache/fws-setup-gpu, same disk). */
  stagingRoot?: string
  only?: ComponentId | null
  dryRun?: boolean
  /** Check the hosts even with a proxy configured (tests point them at unreachable addresses). */
  checkBehindProxy?: boolean
  out?: (line: string) => void
  err?: (line: string) => void
}

export async function runSetupGpu(deps: SetupDeps = {}): Promise<number> {
  const out = deps.out ?? ((l: string) => process.stdout.write(l + '\n'))
  const err = deps.err ?? ((l: string) => process.stderr.write(l + '\n'))
  const env = deps.env ?? process.env
  const verdict = async (state: string) => {
    try {
      const r = await runDoctor(env)
      out(`fws doctor (${state}):`)
      for (const l of doctorVerdict(r)) out(`  ${l}`)
      return r
    } catch (e) {
      err(`setup:gpu: ${(e as Error).message}`)
      return null
    }
  }

  const probe = await (deps.probe ?? probeGpu)()
  out(`setup:gpu: ${describeGpuProbe(probe)}`)
  const installed = {
    tfjs: await componentInstalled('tfjs'),
    onnx: await componentInstalled('onnx'),
  }
  const plan = planSetup(probe, installed, { only: deps.only })
  for (const c of plan.components) out(`  ${c.action.padEnd(7)} ${c.reason}`)
  if (plan.stop) {
    err(`setup:gpu: ${plan.stop}`)
    await verdict('unchanged')
    return 2
  }
  const toInstall = plan.components.filter((c) => c.action === 'install').map((c) => c.id)
  if (deps.dryRun) {
    out(`setup:gpu: --dry-run: would install ${toInstall.join(', ') || 'nothing'}`)
    return 0
  }

  // Offline: stop before anything is staged.
  const proxy = proxyConfigured(env)
  if (proxy && !deps.checkBehindProxy)
    out(
      `setup:gpu: proxy ${proxy} configured: the install scripts use it; skipping the direct reachability check`,
    )
  else {
    const tfjsPkg = await readTfjsPackage()
    const urls = toInstall.flatMap((id) =>
      id === 'tfjs'
        ? (deps.urls?.tfjs ?? tfjsDownloadUrls(env, tfjsPkg))
        : (deps.urls?.onnx ?? ONNX_DOWNLOAD_URLS),
    )
    const problems = (await Promise.all(urls.map((u) => checkReachable(u)))).filter((p): p is string => !!p)
    if (problems.length) {
      err(
        `setup:gpu: offline — ${[...new Set(problems)].join('; ')}. The GPU files are downloaded from there; nothing was changed.`,
      )
      await verdict('unchanged')
      return 3
    }
  }

  const stagingRoot =
    deps.stagingRoot ??
    path.join(nodeModulesOf(await realpath(packageDir(COMPONENTS.onnx.package))), '.cache', 'fws-setup-gpu')
  await mkdir(stagingRoot, { recursive: true })
  const logDir = path.join(stagingRoot, 'logs')
  await mkdir(logDir, { recursive: true })
  const failures: string[] = []
  const commits: { id: ComponentId; undo: () => Promise<void>; done: () => Promise<void> }[] = []
  for (const id of toInstall) {
    out(`setup:gpu: installing ${COMPONENTS[id].package} GPU files (staged, moved into place when complete)…`)
    try {
      const staged = await stage(id, stagingRoot, env, logDir)
      if (staged.problem !== null) failures.push(staged.problem)
      else commits.push({ id, ...(await commit(staged.moves)) })
    } catch (e) {
      failures.push(`${COMPONENTS[id].package}: ${(e as Error).message} (nothing of it was kept)`)
    }
  }
  for (const d of await readdir(stagingRoot))
    if (d !== 'logs') await rm(path.join(stagingRoot, d), { recursive: true, force: true })

  let report = await verdict(commits.length ? 'after install' : 'unchanged')
  if (commits.length && (!report || 'error' in report.backend)) {
    err('setup:gpu: the engine did not start with the new GPU files; removing them again')
    for (const c of commits.reverse()) await c.undo()
    report = await verdict('restored')
    failures.push('the installed files broke `fws doctor`; they were removed')
    commits.length = 0
  }
  for (const c of commits) await c.done()
  if (failures.length) {
    for (const f of failures) err(`setup:gpu: ${f}`)
    return 4
  }
  const ready = (plan.components.filter((c) => c.action !== 'skip').map((c) => c.id) as ComponentId[]).filter(
    (id) => report && onGpu(report, id),
  )
  const notReady = plan.components.filter((c) => c.action !== 'skip' && !ready.includes(c.id))
  if (notReady.length) {
    err(
      `setup:gpu: installed, but fws doctor reports ${notReady.map((c) => COMPONENTS[c.id].package).join(' and ')} on the CPU (reasons above)`,
    )
    return 1
  }
  out(`setup:gpu: done — ${ready.map((id) => COMPONENTS[id].package).join(' and ')} on the GPU`)
  return 0
}

export function parseArgs(argv: string[]): { only: ComponentId | null; dryRun: boolean } {
  let only: ComponentId | null = null
  let dryRun = false
  for (const a of argv) {
    if (a === '--dry-run') dryRun = true
    else if (a === '--only=tfjs' || a === '--only=onnx') only = a.slice(7) as ComponentId
    else throw new Error(`unknown option ${a} (use --dry-run, --only=tfjs or --only=onnx)`)
  }
  return { only, dryRun }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  Promise.resolve()
    .then(() => runSetupGpu(parseArgs(process.argv.slice(2))))
    .then(
      (code) => (process.exitCode = code),
      (e: unknown) => {
        process.stderr.write(`setup:gpu: ${(e as Error).message}\n`)
        process.exitCode = 1
      },
    )
}
