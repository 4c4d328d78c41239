/**
 * Evidence per modality for one utterance, computed on request for the detail panel: the emotion
 * model's class probabilities (from the stored prediction), face-api's expression probabilities
 * averaged over the utterance's sampled frames that have a face (from the feature extractor, so
 * a run of inference with the default settings makes this a feature-cache hit), and audio
 * measures of the utterance's own samples (RMS energy, voiced pitch range from the features'
 * pitch tracker, speaking rate from the transcript).
 */
import type { UtteranceRow } from '../project/types'
import type { UtteranceEvidence } from './types'
import { extractFeatures } from '../features/extract'
import { pitchTrack } from '../features/audio/pitch'
import { EXPRESSION_LABELS, VIS_EXPRESSIONS, VIS_FACE_MISSING, VISUAL_DIM } from '../features/types'
import { readAudio } from '../media/audio'
import type { MediaProbe } from '../media/probe'
import { DEFAULT_FPS } from '../features/types'

/** NCCF at or above this counts a 10 ms frame as voiced. */
export const VOICED_NCCF = 0.6

function percentile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))
  return sorted[i]!
}

/** Energy, voiced pitch range and speaking rate of an utterance's 16 kHz samples and transcript. */
export function audioMeasures(
  pcm: Float32Array,
  transcript: string,
  durationSec: number,
): UtteranceEvidence['audio'] {
  let sum = 0
  for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!
  const rms = Math.sqrt(sum / Math.max(1, pcm.length))
  const track = pitchTrack(pcm)
  const voiced: number[] = []
  for (let f = 0; f < track.frames; f++) if (track.nccf[f]! >= VOICED_NCCF) voiced.push(track.f0[f]!)
  voiced.sort((a, b) => a - b)
  const words = transcript.trim() ? transcript.trim().split(/\s+/).length : 0
  return {
    energyDb: Math.round(20 * Math.log10(Math.max(rms, 1e-6)) * 10) / 10,
    pitchHz: voiced.length
      ? { low: Math.round(percentile(voiced, 0.05)), high: Math.round(percentile(voiced, 0.95)) }
      : null,
    voicedShare: track.frames ? voiced.length / track.frames : 0,
    wordsPerSec: durationSec > 0 ? Math.round((words / durationSec) * 100) / 100 : 0,
  }
}

/** Mean expression probabilities over the frames with a face, and the share of such frames. */
export function faceExpressions(seq: Float32Array, frames: number): UtteranceEvidence['face'] {
  const sums = new Array<number>(EXPRESSION_LABELS.length).fill(0)
  let withFace = 0
  for (let f = 0; f < frames; f++) {
    const row = f * VISUAL_DIM
    if (seq[row + VIS_FACE_MISSING]! >= 0.5) continue
    withFace++
    for (let k = 0; k < EXPRESSION_LABELS.length; k++) sums[k] += seq[row + VIS_EXPRESSIONS + k]!
  }
  if (!frames) return null
  const expressions: Record<string, number> = {}
  EXPRESSION_LABELS.forEach((l, k) => (expressions[l] = withFace ? sums[k]! / withFace : 0))
  return { expressions, faceShare: withFace / frames, frames }
}

export async function utteranceEvidence(
  row: UtteranceRow,
  media: { path: string; sha256: string; probe: MediaProbe },
  opts: { signal?: AbortSignal } = {},
): Promise<UtteranceEvidence> {
  const notes: string[] = []
  const model = row.prediction
    ? { probabilities: row.prediction.probabilities, modelVersion: row.prediction.modelVersion }
    : null
  if (!model) notes.push('no emotion prediction yet: run inference on this file')
  let audio: UtteranceEvidence['audio'] = null
  if (media.probe.audio) {
    const pcm = await readAudio(media.path, { start: row.start, end: row.end, signal: opts.signal })
    audio = audioMeasures(pcm, row.transcript, row.end - row.start)
  } else notes.push('the file has no audio stream')
  let face: UtteranceEvidence['face'] = null
  if (media.probe.video) {
    // The same settings as inference, so features it extracted come from the cache.
    const [f] = await extractFeatures(
      media.path,
      [{ id: row.id, start: row.start, end: row.end, text: row.transcript }],
      {
        fps: DEFAULT_FPS,
        contentHash: `sha256:${media.sha256.replace(/^sha256:/, '')}`,
        probe: media.probe,
        signal: opts.signal,
      },
    )
    face = f ? faceExpressions(f.visual.seq, f.visual.frames) : null
    if (!face) notes.push('no video frame falls inside this utterance')
    else if (face.faceShare === 0) notes.push('no face was detected in the sampled frames')
  } else notes.push('the file has no video stream')
  return { utteranceId: row.id, model, face, audio, notes }
}
