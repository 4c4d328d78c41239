/**
 * tfjs backend choice. Owns: which tfjs backend the engine runs on, the order candidates are
 * tried in (tfjs-node-gpu > tfjs-node > wasm > cpu), and the recorded reason each candidate was
 * or was not used, so `fws doctor` and the status bar can say why.
 *
 * The native packages install without their libtensorflow binary (`npm ci` skips their install
 * step; `npm run setup:gpu` runs tfjs-node-gpu's); they then fail on require with a message about
 * `tfjs_binding.node`. That failure is expected and recorded, never fatal: the wasm backend runs
 * everywhere. tfjs-node-gpu that loads still computes on the CPU when the driver or the CUDA 11.2 /
 * cuDNN 8.1 libraries are missing (libtensorflow falls back silently), so whether it is on the GPU
 * is decided from the machine probe (gpu-probe.ts), not from the package loading.
 */
import { createRequire } from 'node:module'
import type * as TF from '@tensorflow/tfjs'
import { gpuProblems, probeGpuOnce, TFJS_GPU_NEEDS, type GpuProbe } from './gpu-probe'

const require = createRequire(import.meta.url)

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu'
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']

export const BACKEND_PACKAGES: Record<BackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs (built-in cpu backend)',
}

export interface BackendAttempt {
  name: BackendName
  package: string
  used: boolean
  /** Why this candidate was used, skipped or failed, in words a user can act on. */
  reason: string
}

export interface BackendChoice {
  name: BackendName
  /** The tfjs backend id as tfjs knows it ('tensorflow', 'wasm', 'cpu'). */
  tfBackend: string
  /** True when the chosen backend computes on a GPU. */
  gpu: boolean
  /** Whether an NVIDIA driver is visible to this process at all (whatever backend was chosen). */
  gpuVisible: boolean
  /** Why the chosen backend computes on the GPU or the CPU, in words a user can act on. */
  deviceReason: string
  forced: BackendName | null
  attempts: BackendAttempt[]
  /** Set when the choice is a fallback a user would want to know about (slower than possible). */
  warning: string | null
}

/** Registers one candidate with tfjs and returns the tfjs backend id to activate. Throws when unavailable. */
export type BackendLoader = (tf: typeof TF) => Promise<string>

export type BackendLoaders = Record<BackendName, BackendLoader>

function describeLoadError(pkg: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException
  const msg = e?.message ?? String(err)
  if (e?.code === 'MODULE_NOT_FOUND' && msg.includes(pkg)) return `${pkg} is not installed`
  if (/tfjs_binding\.node|libtensorflow/i.test(msg))
    return (
      `${pkg} is installed but its native libtensorflow binding is missing (its install step, which downloads it, did not run` +
      (pkg === BACKEND_PACKAGES['tensorflow-gpu'] ? ': `npm run setup:gpu` runs it)' : ')')
    )
  if (/libcud|cudnn|CUDA/i.test(msg)) return `${pkg} loaded but CUDA libraries are missing: ${firstLine(msg)}`
  return `${pkg} failed to load: ${firstLine(msg)}`
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim()
}

export const realLoaders: BackendLoaders = {
  'tensorflow-gpu': async () => {
    require('@tensorflow/tfjs-node-gpu')
    return 'tensorflow'
  },
  tensorflow: async () => {
    require('@tensorflow/tfjs-node')
    return 'tensorflow'
  },
  wasm: async () => {
    // Registers the 'wasm' backend; in Node the .wasm binaries are read from the package's dist/.
    require('@tensorflow/tfjs-backend-wasm')
    return 'wasm'
  },
  cpu: async () => 'cpu',
}

export function parseForcedBackend(value: string | undefined): BackendName | null {
  if (!value) return null
  const v = value.trim().toLowerCase()
  const aliases: Record<string, BackendName> = {
    gpu: 'tensorflow-gpu',
    'tensorflow-gpu': 'tensorflow-gpu',
    'tfjs-node-gpu': 'tensorflow-gpu',
    node: 'tensorflow',
    tensorflow: 'tensorflow',
    'tfjs-node': 'tensorflow',
    wasm: 'wasm',
    cpu: 'cpu',
  }
  const name = aliases[v]
  if (!name)
    throw new Error(`FWS_BACKEND="${value}" is not a backend; use one of: ${BACKEND_ORDER.join(', ')}`)
  return name
}

/**
 * Tries the candidates in order and activates the first that works. With `force`, only that
 * candidate is tried and its failure is an error (a user who forces a backend wants to know).
 */
export async function chooseBackend(
  tf: typeof TF,
  opts: { force?: BackendName | null; loaders?: BackendLoaders; probe?: GpuProbe } = {},
): Promise<BackendChoice> {
  const loaders = opts.loaders ?? realLoaders
  const forced = opts.force ?? null
  const probe = opts.probe ?? (await probeGpuOnce())
  const visible = probe.driver !== null
  const attempts: BackendAttempt[] = []
  for (const name of BACKEND_ORDER) {
    const pkg = BACKEND_PACKAGES[name]
    if (forced && name !== forced) {
      attempts.push({ name, package: pkg, used: false, reason: `skipped: FWS_BACKEND forces ${forced}` })
      continue
    }
    let tfBackend: string
    try {
      tfBackend = await loaders[name](tf)
      if (!(await tf.setBackend(tfBackend)))
        throw new Error(`tfjs could not initialise the '${tfBackend}' backend`)
      await tf.ready()
    } catch (err) {
      forgetPartialRegistration(tf, name)
      const reason = describeLoadError(pkg, err)
      attempts.push({ name, package: pkg, used: false, reason })
      if (forced)
        throw new Error(`FWS_BACKEND forces ${forced}, but it cannot be used: ${reason}`, { cause: err })
      continue
    }
    const used = forced ? 'forced by FWS_BACKEND' : 'first candidate that loaded'
    const { gpu, deviceReason: own } = tfDevice(name, probe)
    const gpuAttempt = attempts.find((a) => a.name === 'tensorflow-gpu')
    const noGpuHere = gpuProblems(probe, TFJS_GPU_NEEDS)
    const deviceReason =
      name === 'tensorflow-gpu' || !gpuAttempt
        ? own
        : `${own}; tfjs-node-gpu not used: ${gpuAttempt.reason}` +
          (noGpuHere.length ? `; nor would it find a GPU: ${noGpuHere.join('; ')}` : '')
    const cpuOnly = name === 'tensorflow-gpu' && !gpu ? ` (${deviceReason})` : ''
    attempts.push({ name, package: pkg, used: true, reason: used + cpuOnly })
    const fellBack = !forced && (name === 'wasm' || name === 'cpu')
    const warning = fellBack
      ? `Running on the ${name} backend (CPU${name === 'cpu' ? ', pure JavaScript, about 20x slower than wasm' : ''}): ` +
        attempts
          .filter((a) => !a.used)
          .map((a) => `${a.name}: ${a.reason}`)
          .join('; ')
      : visible && !gpu && !forced
        ? `NVIDIA GPU present, tfjs on the CPU (${deviceReason})`
        : null
    return { name, tfBackend, gpu, gpuVisible: visible, deviceReason, forced, attempts, warning }
  }
  // cpu always loads; reaching here means tfjs itself is broken.
  throw new Error(
    'No tfjs backend could be initialised: ' + attempts.map((a) => `${a.name}: ${a.reason}`).join('; '),
  )
}

/** Pure: whether backend `name` computes on the GPU on the probed machine, and why (not). */
export function tfDevice(name: BackendName, probe: GpuProbe): { gpu: boolean; deviceReason: string } {
  if (name !== 'tensorflow-gpu')
    return {
      gpu: false,
      deviceReason:
        name === 'tensorflow'
          ? 'tfjs-node is the CPU build of TensorFlow'
          : `the ${name} backend computes on the CPU`,
    }
  const problems = gpuProblems(probe, TFJS_GPU_NEEDS)
  if (problems.length)
    return { gpu: false, deviceReason: `TensorFlow computes on the CPU: ${problems.join('; ')}` }
  const gpus = probe.driver!.gpus.length ? ` (${probe.driver!.gpus.join(', ')})` : ''
  return {
    gpu: true,
    deviceReason: `NVIDIA driver ${probe.driver!.version}${gpus} and CUDA ${TFJS_GPU_NEEDS.cuda} / cuDNN ${TFJS_GPU_NEEDS.cudnn} libraries found`,
  }
}

/**
 * A native package that fails half-way may have registered its backend and kernels already; drop
 * them so the next candidate (tfjs-node after tfjs-node-gpu share the id 'tensorflow') registers its own.
 */
function forgetPartialRegistration(tf: typeof TF, name: BackendName): void {
  if (name !== 'tensorflow-gpu' && name !== 'tensorflow') return
  for (const k of tf.getKernelsForBackend('tensorflow')) tf.unregisterKernel(k.kernelName, 'tensorflow')
  if (tf.findBackendFactory('tensorflow')) tf.removeBackend('tensorflow')
}

let active: Promise<{ tf: typeof TF; choice: BackendChoice }> | null = null

/** The engine's one tfjs instance on the best backend present; chosen once per process. */
export function getTf(): Promise<{ tf: typeof TF; choice: BackendChoice }> {
  active ??= (async () => {
    const tf = require('@tensorflow/tfjs') as typeof TF
    const choice = await chooseBackend(tf, { force: parseForcedBackend(process.env.FWS_BACKEND) })
    return { tf, choice }
  })()
  return active
}
