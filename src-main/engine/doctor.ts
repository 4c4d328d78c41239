/**
 * The health report behind `fws doctor` and the app's status bar: Node, tfjs backend choice with
 * reasons, ffmpeg/ffprobe locations and versions, default models present, the GPU stack found and
 * the device (GPU/CPU) each model runs on with the reason.
 */
import type { DoctorReport, ModelDeviceInfo } from '../contract/contract'
import { getTf, type BackendChoice } from './backend'
import { describeGpuProbe, probeGpuOnce } from './gpu-probe'
import { locateTool } from './media/ffmpeg-locate'
import { listModels } from './models/registry'
import { vadDevice } from './segment/vad'

function errorOf(err: unknown): { error: string } {
  return { error: (err as Error).message ?? String(err) }
}

export async function doctor(): Promise<DoctorReport> {
  const tool = (name: 'ffmpeg' | 'ffprobe') => {
    try {
      const t = locateTool(name)
      return { path: t.path, version: t.version, source: t.source }
    } catch (err) {
      return errorOf(err)
    }
  }
  let backend: DoctorReport['backend']
  let choice: BackendChoice | null = null
  try {
    choice = (await getTf()).choice
    backend = {
      name: choice.name,
      gpu: choice.gpu,
      gpuVisible: choice.gpuVisible,
      forced: choice.forced,
      warning: choice.warning,
      attempts: choice.attempts,
    }
  } catch (err) {
    backend = errorOf(err)
  }
  const models = listModels()
  const probe = await probeGpuOnce()
  // Every tfjs model (the registry's, face-api's) runs on the one backend getTf() chose.
  const tfjs = (model: string): ModelDeviceInfo =>
    choice
      ? {
          model,
          runtime: 'tfjs',
          device: choice.gpu ? 'gpu' : 'cpu',
          via: choice.name,
          reason: choice.deviceReason,
        }
      : { model, runtime: 'tfjs', device: null, via: null, reason: (backend as { error: string }).error }
  let vad: ModelDeviceInfo
  try {
    const d = await vadDevice()
    vad = {
      model: 'silero-vad',
      runtime: 'onnxruntime',
      device: d.device,
      via: d.providers[0]!,
      reason: d.reason,
    }
  } catch (err) {
    vad = { model: 'silero-vad', runtime: 'onnxruntime', device: null, via: null, reason: errorOf(err).error }
  }
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    backend,
    ffmpeg: tool('ffmpeg'),
    ffprobe: tool('ffprobe'),
    models,
    gpu: {
      driver: probe.driver?.version ?? null,
      gpus: probe.driver?.gpus ?? [],
      summary: describeGpuProbe(probe),
    },
    devices: [
      ...models.filter((m) => m.present && !m.problem).map((m) => tfjs(m.name)),
      tfjs('face-api'),
      vad,
    ],
  }
}
