/**
 * What NVIDIA stack this machine has, and what each GPU runtime needs. Owns: finding the driver
 * (nvidia-smi, else /proc/driver/nvidia/version), the CUDA/cuDNN shared libraries the dynamic
 * loader can find (ldconfig cache plus LD_LIBRARY_PATH), the toolkit version
 * (/usr/local/cuda/version.json or version.txt), the requirement tables of tfjs-node-gpu and of
 * onnxruntime-node's CUDA provider, and the pure check of one against the other.
 *
 * Everything that reads the machine is in `probeGpu` (async, with timeouts); the parsers and the
 * check are pure so the decisions can be tested on real output shapes.
 */
import { execFile } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'

export interface NvidiaDriver {
  version: string
  /** GPU names (empty when only /proc told us the driver version). */
  gpus: string[]
  source: 'nvidia-smi' | '/proc/driver/nvidia/version'
}

export interface GpuProbe {
  driver: NvidiaDriver | null
  /** When driver is null: what was looked at, in words. */
  driverMissing: string | null
  /** Shared libraries the dynamic loader finds: soname → path (ldconfig cache, then LD_LIBRARY_PATH). */
  libraries: Record<string, string>
  /** Libraries present under /usr/local/cuda*\/ but not on the loader path: soname → path. */
  offPath: Record<string, string>
  /** CUDA toolkit version from /usr/local/cuda/version.json (or version.txt), null when absent. */
  cudaToolkit: string | null
}

/** What one GPU runtime needs from the machine. */
export interface GpuNeeds {
  runtime: string
  cuda: string
  cudnn: string
  /** Lowest Linux driver that runs this CUDA major (NVIDIA's minor-version-compatibility floor). */
  minDriver: string
  /** Sonames the runtime opens; all must be on the loader path for it to use the GPU. */
  libraries: string[]
}

/** libtensorflow 2.9.1 (inside tfjs-node-gpu 4.22) dlopens these; any missing one means CPU only. */
export const TFJS_GPU_NEEDS: GpuNeeds = {
  runtime: '@tensorflow/tfjs-node-gpu 4.22 (libtensorflow 2.9.1)',
  cuda: '11.2',
  cudnn: '8.1',
  minDriver: '450.80.02',
  libraries: [
    'libcudart.so.11.0',
    'libcublas.so.11',
    'libcublasLt.so.11',
    'libcufft.so.10',
    'libcurand.so.10',
    'libcusolver.so.11',
    'libcusparse.so.11',
    'libcudnn.so.8',
  ],
}

/** onnxruntime-node 1.30's libonnxruntime_providers_cuda.so (the Gpu.Linux NuGet build, CUDA 12). */
export const ONNX_CUDA_NEEDS: GpuNeeds = {
  runtime: 'onnxruntime-node 1.30 CUDA execution provider',
  cuda: '12.x',
  cudnn: '9.x',
  minDriver: '525.60.13',
  libraries: [
    'libcudart.so.12',
    'libcublas.so.12',
    'libcublasLt.so.12',
    'libcufft.so.11',
    'libcurand.so.10',
    'libcudnn.so.9',
  ],
}

/** Numeric comparison of dotted versions ('535.129.03' vs '525.60.13'); missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => parseInt(x, 10) || 0)
  const pb = b.split('.').map((x) => parseInt(x, 10) || 0)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return Math.sign(d)
  }
  return 0
}

/** `nvidia-smi --query-gpu=driver_version,name --format=csv,noheader` → driver (null if no GPU lines). */
export function parseNvidiaSmi(out: string): NvidiaDriver | null {
  const rows = out
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const comma = l.indexOf(',')
      return comma < 0 ? null : { version: l.slice(0, comma).trim(), name: l.slice(comma + 1).trim() }
    })
    .filter((r): r is { version: string; name: string } => !!r && /^\d+(\.\d+)+$/.test(r.version))
  if (!rows.length) return null
  return { version: rows[0]!.version, gpus: rows.map((r) => r.name), source: 'nvidia-smi' }
}

/** /proc/driver/nvidia/version ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.129.03  …"). */
export function parseProcDriverVersion(text: string): NvidiaDriver | null {
  const m = /NVRM version:.*?Kernel Module(?: for \S+)?\s+(\d+\.\d+(?:\.\d+)?)/.exec(text)
  return m ? { version: m[1]!, gpus: [], source: '/proc/driver/nvidia/version' } : null
}

/** `ldconfig -p` → soname → path (x86-64/own-arch entries; the first listed wins, as for the loader). */
export function parseLdconfig(out: string, arch: string = process.arch): Record<string, string> {
  const libs: Record<string, string> = {}
  for (const line of out.split('\n')) {
    const m = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)/.exec(line)
    if (!m) continue
    if (arch === 'x64' && !m[2]!.includes('x86-64')) continue
    libs[m[1]!] ??= m[3]!
  }
  return libs
}

/** /usr/local/cuda/version.json ({"cuda": {"version": "12.2.2"}}) or version.txt ("CUDA Version 11.2.152"). */
export function parseCudaToolkitVersion(text: string): string | null {
  try {
    const v = (JSON.parse(text) as { cuda?: { version?: unknown } }).cuda?.version
    if (typeof v === 'string') return v
  } catch {
    /* not JSON: version.txt */
  }
  return /CUDA Version\s+(\d+(?:\.\d+)*)/.exec(text)?.[1] ?? null
}

/**
 * Pure: why `needs` cannot use the GPU on the probed machine (empty when it can). Each problem is a
 * sentence a user can act on.
 */
export function gpuProblems(probe: GpuProbe, needs: GpuNeeds): string[] {
  if (!probe.driver) return [`no NVIDIA driver (${probe.driverMissing ?? 'not found'})`]
  const problems: string[] = []
  if (compareVersions(probe.driver.version, needs.minDriver) < 0)
    problems.push(
      `NVIDIA driver ${probe.driver.version} is older than ${needs.minDriver}, the oldest that runs CUDA ${needs.cuda}`,
    )
  const missing = needs.libraries.filter((l) => !probe.libraries[l])
  if (missing.length) {
    const off = missing.filter((l) => probe.offPath[l])
    problems.push(
      `CUDA ${needs.cuda} / cuDNN ${needs.cudnn} libraries not found by the loader: ${missing.join(', ')}` +
        (off.length
          ? ` (${off.map((l) => probe.offPath[l]).join(', ')} exist${off.length === 1 ? 's' : ''}: add ${[...new Set(off.map((l) => path.dirname(probe.offPath[l]!)))].join(':')} to LD_LIBRARY_PATH)`
          : ''),
    )
  }
  return problems
}

/** One line naming the driver, GPUs, toolkit and CUDA/cuDNN runtimes found. */
export function describeGpuProbe(probe: GpuProbe): string {
  const majors = (prefix: string) =>
    Object.keys(probe.libraries)
      .map((s) => new RegExp(`^${prefix}\\.so\\.(\\d+)`).exec(s)?.[1])
      .filter((v): v is string => !!v)
      .filter((v, i, a) => a.indexOf(v) === i)
      .sort()
  const cudart = majors('libcudart')
  const cudnn = majors('libcudnn')
  const driver = probe.driver
    ? `NVIDIA driver ${probe.driver.version}${probe.driver.gpus.length ? ` (${probe.driver.gpus.join(', ')})` : ''}`
    : `no NVIDIA driver (${probe.driverMissing ?? 'not found'})`
  return [
    driver,
    `CUDA runtime ${cudart.length ? cudart.map((v) => `libcudart.so.${v}`).join(', ') : 'none'} on the loader path`,
    `cuDNN ${cudnn.length ? cudnn.map((v) => `libcudnn.so.${v}`).join(', ') : 'none'}`,
    probe.cudaToolkit ? `toolkit ${probe.cudaToolkit}` : null,
  ]
    .filter(Boolean)
    .join('; ')
}

// ---------------------------------------------------------------------------------------------
// Reading the machine

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(file, args, { timeout: 5000, encoding: 'utf8', maxBuffer: 8 << 20 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    ),
  )
}

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8')
  } catch {
    return null
  }
}

async function findDriver(): Promise<{ driver: NvidiaDriver | null; missing: string | null }> {
  let smiProblem: string
  try {
    const d = parseNvidiaSmi(
      await run('nvidia-smi', ['--query-gpu=driver_version,name', '--format=csv,noheader']),
    )
    if (d) return { driver: d, missing: null }
    smiProblem = 'nvidia-smi lists no GPU'
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string }
    smiProblem =
      e.code === 'ENOENT'
        ? 'nvidia-smi not found'
        : `nvidia-smi failed: ${(e.stderr || e.message).split('\n')[0]!.trim()}`
  }
  const proc = await readText('/proc/driver/nvidia/version')
  const d = proc ? parseProcDriverVersion(proc) : null
  if (d) return { driver: d, missing: null }
  return {
    driver: null,
    missing: `${smiProblem}, /proc/driver/nvidia/version ${proc ? 'unreadable' : 'absent'}`,
  }
}

async function loaderLibraries(): Promise<Record<string, string>> {
  let libs: Record<string, string> = {}
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    try {
      libs = parseLdconfig(await run(ldconfig, ['-p']))
      break
    } catch {
      /* next location */
    }
  }
  // LD_LIBRARY_PATH is searched before the cache.
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)
  const fromEnv: Record<string, string> = {}
  for (const dir of dirs) for (const [soname, p] of Object.entries(await libsIn(dir))) fromEnv[soname] ??= p
  return { ...libs, ...fromEnv }
}

async function libsIn(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  try {
    for (const f of await readdir(dir)) if (/^lib.+\.so\.\d+/.test(f)) out[f] = path.join(dir, f)
  } catch {
    /* missing or unreadable folder: nothing found there */
  }
  return out
}

/** CUDA installs outside the loader path (/usr/local/cuda-11.8/lib64 not in ld.so.conf is common). */
async function cudaInstallLibraries(): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  let roots: string[] = []
  try {
    roots = (await readdir('/usr/local')).filter((d) => /^cuda(-[\d.]+)?$/.test(d)).sort()
  } catch {
    /* no /usr/local */
  }
  for (const r of roots)
    for (const sub of ['lib64', 'lib', 'targets/x86_64-linux/lib'])
      Object.assign(out, await libsIn(path.join('/usr/local', r, sub)))
  return out
}

/** Reads the machine: driver, loader-visible CUDA/cuDNN libraries, toolkit. Never throws. */
export async function probeGpu(): Promise<GpuProbe> {
  const [{ driver, missing }, libraries, installed, versionJson, versionTxt] = await Promise.all([
    findDriver(),
    loaderLibraries(),
    cudaInstallLibraries(),
    readText('/usr/local/cuda/version.json'),
    readText('/usr/local/cuda/version.txt'),
  ])
  const offPath = Object.fromEntries(Object.entries(installed).filter(([soname]) => !libraries[soname]))
  const cudaToolkit =
    (versionJson && parseCudaToolkitVersion(versionJson)) ??
    (versionTxt && parseCudaToolkitVersion(versionTxt))
  return { driver, driverMissing: missing, libraries, offPath, cudaToolkit: cudaToolkit || null }
}

let cached: Promise<GpuProbe> | null = null

/** probeGpu once per process (the engine asks at backend choice and for every ONNX session). */
export function probeGpuOnce(): Promise<GpuProbe> {
  cached ??= probeGpu()
  return cached
}
