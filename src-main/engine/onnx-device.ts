/**
 * onnxruntime execution provider choice. Owns: where onnxruntime-node keeps its native libraries,
 * whether its CUDA provider is installed there (`npm ci` skips that download; `npm run setup:gpu`
 * runs it), the pure decision whether to try CUDA on the probed machine, and the one way every
 * ONNX session in the engine is created: on CUDA when it loads, else on the CPU, with the reason.
 *
 * onnxruntime does not fall back by itself: a session asked for ['cuda', 'cpu'] whose CUDA provider
 * cannot load fails as a whole, so the CPU retry is ours.
 */
import { access } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { gpuProblems, ONNX_CUDA_NEEDS, probeGpuOnce, type GpuProbe } from './gpu-probe'

const require = createRequire(import.meta.url)

type Ort = typeof import('onnxruntime-node')
type Session = import('onnxruntime-node').InferenceSession
type SessionOptions = import('onnxruntime-node').InferenceSession.SessionOptions

export interface OnnxDevice {
  device: 'gpu' | 'cpu'
  /** The execution providers the session was created with. */
  providers: string[]
  /** Why this device, in words a user can act on. */
  reason: string
}

/** The files onnxruntime-node's install step puts next to its binding for the CUDA provider. */
export const ORT_CUDA_PROVIDER_FILES = [
  'libonnxruntime_providers_cuda.so',
  'libonnxruntime_providers_shared.so',
]

/** onnxruntime-node's native folder for this platform (bin/napi-v6/<platform>/<arch>). */
export function ortBinDir(): string {
  const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'))
  return path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch)
}

/** Whether the CUDA provider libraries are in onnxruntime-node's native folder. */
export async function cudaProviderInstalled(dir: string = ortBinDir()): Promise<boolean> {
  try {
    await Promise.all(ORT_CUDA_PROVIDER_FILES.map((f) => access(path.join(dir, f))))
    return true
  } catch {
    return false
  }
}

/** Pure: whether to try the CUDA provider, and if not, why. */
export function planOnnxDevice(
  probe: GpuProbe,
  providerInstalled: boolean,
  platform: string = process.platform,
): { tryCuda: boolean; reason: string } {
  if (platform !== 'linux')
    return { tryCuda: false, reason: `the CUDA provider is set up for Linux only (this is ${platform})` }
  const problems = gpuProblems(probe, ONNX_CUDA_NEEDS)
  if (!providerInstalled)
    problems.unshift(
      "onnxruntime-node's CUDA provider is not installed (npm ci skips its download: run `npm run setup:gpu`)",
    )
  if (problems.length) return { tryCuda: false, reason: problems.join('; ') }
  const gpus = probe.driver!.gpus.length ? ` (${probe.driver!.gpus.join(', ')})` : ''
  return {
    tryCuda: true,
    reason: `CUDA provider installed, NVIDIA driver ${probe.driver!.version}${gpus}, CUDA ${ONNX_CUDA_NEEDS.cuda} / cuDNN ${ONNX_CUDA_NEEDS.cudnn} found`,
  }
}

function firstLine(err: unknown): string {
  return ((err as Error)?.message ?? String(err)).split('\n')[0]!.trim()
}

/**
 * Creates an ONNX session on the CUDA provider when the machine allows it and it loads, else on the
 * CPU. `probe` and `providerInstalled` default to this machine; tests pass their own.
 */
export async function createOnnxSession(
  ort: Ort,
  model: string,
  options: Omit<SessionOptions, 'executionProviders'> = {},
  machine: { probe?: GpuProbe; providerInstalled?: boolean } = {},
): Promise<{ session: Session; device: OnnxDevice }> {
  const probe = machine.probe ?? (await probeGpuOnce())
  const installed = machine.providerInstalled ?? (await cudaProviderInstalled())
  const plan = planOnnxDevice(probe, installed)
  let cpuReason = plan.reason
  if (plan.tryCuda) {
    const providers = ['cuda', 'cpu']
    try {
      const session = await ort.InferenceSession.create(model, { ...options, executionProviders: providers })
      return { session, device: { device: 'gpu', providers, reason: plan.reason } }
    } catch (err) {
      cpuReason = `the CUDA provider failed to start: ${firstLine(err)}${
        /shared library/i.test(firstLine(err))
          ? ` (a CUDA ${ONNX_CUDA_NEEDS.cuda} / cuDNN ${ONNX_CUDA_NEEDS.cudnn} library it links is missing or mismatched; onnxruntime's log on stderr names it)`
          : ''
      }`
    }
  }
  const session = await ort.InferenceSession.create(model, { ...options, executionProviders: ['cpu'] })
  return { session, device: { device: 'cpu', providers: ['cpu'], reason: cpuReason } }
}
