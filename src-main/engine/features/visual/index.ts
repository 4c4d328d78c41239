/**
 * Visual features of sampled frames and of utterances: one VISUAL_DIM row per frame (face columns
 * from faces.ts, global descriptors from global.ts) and the per-utterance sequence, pooled vector
 * and masks. Owns the frame-to-row step (including the motion state carried between frames) and the
 * assembly of rows into a VisualSequence.
 */
import { VIS_FACE_MISSING, VISUAL_DIM, type VisualSequence } from '../types'
import { poolMeanStd } from '../pool'
import { detectFace, writeFaceColumns, type FaceOptions } from './faces'
import { globalDescriptors, type LumaGrid, type RgbFrame } from './global'

export type { RgbFrame } from './global'

/** One sampled frame's visual vector. */
export interface VisualRow {
  time: number
  row: Float32Array
  face: boolean
}

/**
 * Turns consecutive sampled frames into rows. Keep one per frame stream: motion energy compares
 * each frame with the previous one given to the same extractor.
 */
export class VisualFrameExtractor {
  private prev: LumaGrid | null = null
  /** Frames processed / with a face, for progress and reports. */
  frames = 0
  faces = 0

  constructor(private readonly faceOptions: FaceOptions = {}) {}

  async process(frame: RgbFrame): Promise<VisualRow> {
    const row = new Float32Array(VISUAL_DIM)
    this.prev = globalDescriptors(frame, this.prev, row)
    const face = await detectFace(frame, this.faceOptions)
    writeFaceColumns(face, row)
    this.frames++
    if (face) this.faces++
    return { time: frame.time, row, face: face !== null }
  }
}

/** Assembles rows (in time order) into an utterance's VisualSequence with pooled vector and masks. */
export function visualSequence(rows: readonly VisualRow[]): VisualSequence {
  const frames = rows.length
  const seq = new Float32Array(frames * VISUAL_DIM)
  const times = new Float32Array(frames)
  const faceMask = new Uint8Array(frames)
  rows.forEach((r, i) => {
    seq.set(r.row, i * VISUAL_DIM)
    times[i] = r.time
    faceMask[i] = r.face ? 1 : 0
  })
  const facePresent = faceMask.includes(1)
  const pooled = poolMeanStd(seq, frames, VISUAL_DIM, faceMask, (c) => c < VIS_FACE_MISSING)
  return { frames, dims: VISUAL_DIM, seq, pooled, present: frames > 0, facePresent, times }
}
