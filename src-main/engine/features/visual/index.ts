/**
 * Visual features of sampled frames and of utterances: one VISUAL_DIM row per frame (face columns
 * from faces.ts, global descriptors from global.ts) and the per-utterance sequence, pooled vector
 * and masks. Owns the frame-to-row step (including the motion state carried between frames) and the
 * assembly of rows into a VisualSequence.
 */
import { DEFAULT_DETECT_EVERY, VIS_FACE_MISSING, VIS_MOTION, VISUAL_DIM, type VisualSequence } from '../types'
import { poolMeanStd } from '../pool'
import { detectFace, followFace, writeFaceColumns, type FaceOptions, type FaceResult } from './faces'
import { globalDescriptors, type LumaGrid, type RgbFrame } from './global'

export type { RgbFrame } from './global'

/** One sampled frame's visual vector. */
export interface VisualRow {
  time: number
  row: Float32Array
  face: boolean
}

export interface TrackingOptions extends FaceOptions {
  /**
   * Run the face detector on every Nth frame and, in between, follow the face it found: landmarks
   * and expressions are computed in the detected box on every frame, only the detector pass is
   * skipped. 1 = detect on every frame. Default 4 (at 2 fps: a detection every 2 s). A scene
   * change or a face that moved out of its box triggers a detection at once; a face that appears
   * between detections is found at the next one.
   */
  detectEvery?: number
}

/** Mean |Δluma| (0..1) between consecutive frames above which the shot is taken to have changed. */
const SCENE_CHANGE_MOTION = 0.06

/**
 * True when the landmarks found in a carried box no longer sit in it: their centre is off the
 * box centre by over 20% of the box, or their extent is far from the face size the box was made for.
 */
export function faceLeftBox(face: FaceResult): boolean {
  let minX = Infinity
  let maxX = -Infinity
  let minY = Infinity
  let maxY = -Infinity
  for (let i = 0; i < face.landmarks.length; i += 2) {
    const x = face.landmarks[i]!
    const y = face.landmarks[i + 1]!
    minX = Math.min(minX, x)
    maxX = Math.max(maxX, x)
    minY = Math.min(minY, y)
    maxY = Math.max(maxY, y)
  }
  const cx = (minX + maxX) / 2
  const cy = (minY + maxY) / 2
  const extent = Math.max(maxX - minX, maxY - minY)
  return Math.abs(cx - 0.5) > 0.2 || Math.abs(cy - 0.5) > 0.2 || extent < 0.5 || extent > 1.3
}

/**
 * Turns consecutive sampled frames into rows. Keep one per frame stream: motion energy compares
 * each frame with the previous one given to the same extractor, and the face tracker follows the
 * last detection from frame to frame.
 */
export class VisualFrameExtractor {
  private prev: LumaGrid | null = null
  private detected: FaceResult | null = null
  private detectedSize = { width: 0, height: 0 }
  private sinceDetection = Infinity
  /** Frames processed / with a face / on which the detector ran, for progress and reports. */
  frames = 0
  faces = 0
  detections = 0

  constructor(private readonly options: TrackingOptions = {}) {}

  async process(frame: RgbFrame): Promise<VisualRow> {
    const row = new Float32Array(VISUAL_DIM)
    this.prev = globalDescriptors(frame, this.prev, row)
    const face = await this.face(frame, row[VIS_MOTION]!)
    writeFaceColumns(face, row)
    this.frames++
    if (face) this.faces++
    return { time: frame.time, row, face: face !== null }
  }

  private async face(frame: RgbFrame, motion: number): Promise<FaceResult | null> {
    const every = Math.max(1, Math.floor(this.options.detectEvery ?? DEFAULT_DETECT_EVERY))
    const sameShot =
      motion <= SCENE_CHANGE_MOTION &&
      frame.width === this.detectedSize.width &&
      frame.height === this.detectedSize.height
    if (this.sinceDetection + 1 < every && sameShot) {
      this.sinceDetection++
      if (!this.detected) return null
      const followed = await followFace(frame, this.detected)
      if (followed && !faceLeftBox(followed)) return followed
    }
    this.sinceDetection = 0
    this.detections++
    this.detectedSize = { width: frame.width, height: frame.height }
    return (this.detected = await detectFace(frame, this.options))
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
