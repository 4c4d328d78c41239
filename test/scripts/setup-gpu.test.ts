import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { probeGpu } from '../../src-main/engine/gpu-probe'
import { ortBinDir } from '../../src-main/engine/onnx-device'
import {
  checkReachable,
  commit,
  installFailureLine,
  parseArgs,
  planSetup,
  runSetupGpu,
  tfjsDownloadUrls,
  tfjsNapiVersion,
} from '../../scripts/setup-gpu'
import { doctorJson } from '../helpers/fws-doctor'
import { noDriver, nvidiaMachine } from '../helpers/gpu-machines'

const require = createRequire(import.meta.url)
const tfjsGpuDir = path.dirname(require.resolve('@tensorflow/tfjs-node-gpu/package.json'))
const root = path.resolve(__dirname, '../..')
const none = { tfjs: false, onnx: false }

/** The package folders setup:gpu may write to, listed, to prove a failed run changed nothing. */
async function installState(): Promise<string> {
  return JSON.stringify([(await readdir(tfjsGpuDir)).sort(), (await readdir(ortBinDir())).sort()])
}

/** A TCP port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = http.createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as AddressInfo
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

describe('planSetup', () => {
  it('no driver: stops at once, naming what is missing and the driver versions needed', () => {
    const plan = planSetup(noDriver, none, { platform: 'linux', arch: 'x64' })
    expect(plan.stop).toBe(
      'no NVIDIA driver: nvidia-smi not found, /proc/driver/nvidia/version absent. Install the NVIDIA driver (≥ 525.60.13 for CUDA 12.x, ≥ 450.80.02 for CUDA 11.2) and run `npm run setup:gpu` again. Nothing was changed.',
    )
  })

  it('CUDA 12 only: installs the onnxruntime provider, skips tfjs-node-gpu naming the CUDA 11 libraries', () => {
    const plan = planSetup(nvidiaMachine('550.54.14', [12]), none, { platform: 'linux', arch: 'x64' })
    expect(plan.stop).toBeNull()
    expect(plan.components.map((c) => [c.id, c.action])).toEqual([
      ['tfjs', 'skip'],
      ['onnx', 'install'],
    ])
    expect(plan.components[0]!.reason).toMatch(/libtensorflow 2\.9\.1.*libcudart\.so\.11\.0/)
  })

  it('driver too old for CUDA 12: tfjs-node-gpu only; CUDA libraries missing for both: stop', () => {
    const old = planSetup(nvidiaMachine('470.82.01', [11, 12]), none, { platform: 'linux', arch: 'x64' })
    expect(old.components.map((c) => c.action)).toEqual(['install', 'skip'])
    expect(old.components[1]!.reason).toMatch(/driver 470\.82\.01 is older than 525\.60\.13/)
    const bare = planSetup(nvidiaMachine('550.54.14', []), none, { platform: 'linux', arch: 'x64' })
    expect(bare.stop).toMatch(
      /^nothing here can use the GPU: .*libcudart\.so\.11\.0.* \| .*libcudart\.so\.12/,
    )
  })

  it('already installed files are not fetched again; --only limits the run; other platforms stop', () => {
    const both = nvidiaMachine('550.54.14', [11, 12])
    const linux = { platform: 'linux', arch: 'x64' }
    expect(planSetup(both, { tfjs: true, onnx: false }, linux).components.map((c) => c.action)).toEqual([
      'present',
      'install',
    ])
    expect(planSetup(both, none, { ...linux, only: 'onnx' }).components.map((c) => c.action)).toEqual([
      'skip',
      'install',
    ])
    expect(planSetup(both, none, { platform: 'darwin', arch: 'arm64' }).stop).toMatch(/this is darwin-arm64/)
    expect(parseArgs(['--only=tfjs', '--dry-run'])).toEqual({ only: 'tfjs', dryRun: true })
    expect(() => parseArgs(['--gpu'])).toThrow(/unknown option --gpu/)
  })
})

describe('download URLs and reachability', () => {
  it('are the URLs tfjs-node-gpu install.js fetches, with its env overrides', () => {
    const pkg = {
      version: '4.22.0',
      binary: {
        host: 'https://storage.googleapis.com/tf-builds/pre-built-binary',
        napi_versions: [3, 4, 5, 6, 7, 8],
      },
    }
    // Node 20 has N-API 9; node-pre-gyp takes the highest the package lists: 8 (lib/napi-v8).
    expect(tfjsNapiVersion(pkg, '9')).toBe(8)
    expect(tfjsNapiVersion(pkg, '6')).toBe(6)
    expect(tfjsDownloadUrls({}, pkg, 8)).toEqual([
      'https://storage.googleapis.com/tensorflow/libtensorflow/libtensorflow-gpu-linux-x86_64-2.9.1.tar.gz',
      'https://storage.googleapis.com/tf-builds/pre-built-binary/napi-v8/4.22.0/GPU-linux-4.22.0.tar.gz',
    ])
    expect(tfjsDownloadUrls({ TFJS_NODE_BASE_URI: 'https://mirror.example/tf-' }, pkg, 8)[0]).toBe(
      'https://mirror.example/tf-gpu-linux-x86_64-2.9.1.tar.gz',
    )
  })

  it('says "refused", "cannot resolve" or the HTTP status from real failures', async () => {
    const port = await closedPort()
    expect(await checkReachable(`http://127.0.0.1:${port}/x`)).toBe(
      `127.0.0.1:${port} refused the connection`,
    )
    expect(await checkReachable('https://fws-setup-gpu.invalid/x', 8000)).toMatch(
      /^cannot resolve fws-setup-gpu\.invalid \(no network or no DNS\)$|^cannot reach fws-setup-gpu\.invalid/,
    )
    const server = http.createServer((req, res) => {
      res.statusCode = req.url === '/ok' ? 200 : 404
      res.end()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      expect(await checkReachable(`${base}/ok`)).toBeNull()
      expect(await checkReachable(`${base}/gone`)).toMatch(/answered HTTP 404/)
    } finally {
      server.close()
    }
  })

  it('reads the error line from a failed install script log', () => {
    const log = [
      '* Downloading libtensorflow',
      'node:events:497',
      "      throw er; // Unhandled 'error' event",
      'Error: getaddrinfo ENOTFOUND storage.googleapis.com',
      '    at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:120:26)',
    ].join('\n')
    expect(installFailureLine(log)).toBe('Error: getaddrinfo ENOTFOUND storage.googleapis.com')
  })
})

describe('commit', () => {
  it('moves staged folders and files into place, keeps what they replace until done, and undoes', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fws-commit-'))
    try {
      const pkg = path.join(dir, 'pkg')
      const stage = path.join(dir, 'stage')
      await mkdir(path.join(pkg, 'deps'), { recursive: true })
      await writeFile(path.join(pkg, 'deps', 'old.txt'), 'old')
      await mkdir(path.join(stage, 'deps'), { recursive: true })
      await mkdir(path.join(stage, 'lib'), { recursive: true })
      await writeFile(path.join(stage, 'deps', 'new.txt'), 'new')
      await writeFile(path.join(stage, 'lib', 'binding.node'), 'bin')
      const moves = ['deps', 'lib'].map((d) => ({ from: path.join(stage, d), to: path.join(pkg, d) }))
      const c = await commit(moves)
      expect((await readdir(pkg)).sort()).toEqual(['deps', 'deps.fws-setup-gpu-backup', 'lib'])
      expect(await readFile(path.join(pkg, 'deps', 'new.txt'), 'utf8')).toBe('new')
      await c.undo()
      expect(await readdir(pkg)).toEqual(['deps'])
      expect(await readdir(path.join(pkg, 'deps'))).toEqual(['old.txt'])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('npm run setup:gpu', () => {
  let before: string
  let staging: string
  beforeAll(async () => {
    before = await installState()
    staging = await mkdtemp(path.join(os.tmpdir(), 'fws-setup-gpu-'))
  })
  afterAll(async () => {
    await rm(staging, { recursive: true, force: true })
  })

  it('on this machine without a driver: exits 2 with the message, no stack, nothing changed, still wasm', async (ctx) => {
    if ((await probeGpu()).driver) ctx.skip()
    const res = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        'npm',
        ['run', '--silent', 'setup:gpu'],
        { cwd: root, timeout: 120_000, env: { ...process.env, FWS_FROM_SOURCE: '1' } },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
      ),
    )
    expect(res.code).toBe(2)
    expect(res.stderr).toMatch(/^setup:gpu: no NVIDIA driver: nvidia-smi not found/m)
    expect(res.stderr + res.stdout).not.toMatch(/^\s+at /m)
    expect(res.stdout).toMatch(/fws doctor \(unchanged\):\n {2}tfjs models: \w+ on the CPU/)
    expect(await installState()).toBe(before)
    const doc = await doctorJson()
    expect('error' in doc.backend).toBe(false)
    if (!('error' in doc.backend) && doc.backend.attempts[0]!.reason.match(/binding is missing/))
      expect(doc.backend.name).toBe('wasm')
  }, 150_000)

  it('offline with a driver: exits 3 naming the unreachable host, before staging anything', async () => {
    const lines: string[] = []
    const code = await runSetupGpu({
      probe: async () => nvidiaMachine('550.54.14', [11, 12]),
      urls: {
        tfjs: ['https://fws-setup-gpu.invalid/libtensorflow.tar.gz'],
        onnx: ['https://fws-setup-gpu.invalid/index.json'],
      },
      stagingRoot: staging,
      checkBehindProxy: true,
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
    })
    expect(code).toBe(3)
    expect(lines.join('\n')).toMatch(
      /setup:gpu: offline — cannot (resolve|reach) fws-setup-gpu\.invalid.*nothing was changed/,
    )
    expect(await readdir(staging)).toEqual([])
    expect(await installState()).toBe(before)
    expect(lines.join('\n')).toMatch(/fws doctor \(unchanged\):/)
  }, 150_000)

  it('the real install steps failing mid-way leave both packages untouched and doctor on its fallback', async () => {
    // The host check passes (a local server); then the real install scripts run on their staged
    // copies against a port nothing listens on (tfjs-node-gpu through TFJS_NODE_BASE_URI,
    // onnxruntime-node through its global-agent proxy): each dies with its own unhandled error.
    const server = http.createServer((_req, res) => res.end())
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const ok = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    const dead = `127.0.0.1:${await closedPort()}`
    const lines: string[] = []
    try {
      const code = await runSetupGpu({
        probe: async () => nvidiaMachine('550.54.14', [11, 12]),
        urls: { tfjs: [ok], onnx: [ok] },
        env: {
          ...process.env,
          TFJS_NODE_BASE_URI: `http://${dead}/libtensorflow-`,
          GLOBAL_AGENT_HTTP_PROXY: `http://${dead}`,
          GLOBAL_AGENT_HTTPS_PROXY: `http://${dead}`,
        },
        stagingRoot: staging,
        checkBehindProxy: true,
        out: (l) => lines.push(l),
        err: (l) => lines.push(l),
      })
      expect(code).toBe(4)
    } finally {
      server.close()
    }
    const text = lines.join('\n')
    for (const pkg of ['@tensorflow/tfjs-node-gpu', 'onnxruntime-node'])
      expect(text).toContain(
        `setup:gpu: ${pkg}: its install script exited with code 1: Error: connect ECONNREFUSED ${dead}`,
      )
    expect(text).not.toMatch(/^\s+at /m)
    expect((await readdir(staging)).sort()).toEqual(['logs'])
    expect(await installState()).toBe(before)
    const doc = await doctorJson()
    expect('error' in doc.backend).toBe(false)
    expect(doc.devices.find((d) => d.model === 'silero-vad')!.device).not.toBeNull()
  }, 150_000)
})
