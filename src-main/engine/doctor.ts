/**
 * The health report behind `fws doctor` and the app's status bar: Node, tfjs backend choice with
 * reasons, ffmpeg/ffprobe locations and versions, default models present.
 */
import type { DoctorReport } from '../shared/contract'
import { getTf } from './backend'
import { locateTool } from './media/ffmpeg-locate'
import { listModels } from './models/registry'

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
  try {
    const { choice } = await getTf()
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
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    backend,
    ffmpeg: tool('ffmpeg'),
    ffprobe: tool('ffprobe'),
    models: listModels(),
  }
}
