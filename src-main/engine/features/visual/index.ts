/**
 * Visual features of sampled frames and of utterances: one VISUAL_DIM row per frame (face columns
 * from faces.ts, global descriptors from global.ts) and the per-utterance sequence, pooled vector
 * and masks. Owns the frame-to-row step (including the motion state carried between frames) and the
 * assembly of rows into a VisualSequence.
 */
import {
  DEFAULT_DETECT_EVERY,
  DEFAULT_FACE_EVERY,
  VIS_FACE_MISSING,
  VIS_MOTION,
  VISUAL_DIM,
  type VisualSequence,
} from '../types'
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
   * skipped. 1 = detect on every frame. Default 8 (at 2 fps: a detection every 4 s). A scene
   * change or a face that moved out of its box triggers a detection at once; a face that appears
   * between detections is found at the next one.
   */
  detectEvery?: number
  /**
   * Analyse the face (landmarks and expressions) on every Nth sampled frame of a shot; the frames
   * in between carry the last analysed face columns (their global columns are their own). 1 =
   * every frame. Default 4: at 2 fps a face analysis every 2 s, two or three per utterance. A
   * scene change analyses at once.
   */
  faceEvery?: number
  /**
   * Hold the face on a frame whose picture has not changed since the last face analysis (mean
   * |Δluma| at most STILL_LUMA over the whole frame and over the face's box): an analysis would see
   * the same picture. A due detection is skipped the same way when the picture is also unchanged
   * since that detection. Default true; false runs the schedule whatever the picture does.
   */
  holdStill?: boolean
}

/** What the extractor does for a frame's face columns. */
export type FaceStep = 'detect' | 'follow' | 'hold' | 'none'

export interface FaceScheduleState {
  /** Sampled frames since the last detection (Infinity before the first). */
  sinceDetection: number
  /** Sampled frames since the last face analysis, detection or follow (Infinity before the first). */
  sinceAnalysis: number
  /** The frame continues the shot of the last detection (no scene change, same size). */
  sameShot: boolean
  /** The last detection found a face to follow. */
  tracking: boolean
  /** The picture is unchanged since the last face analysis (see TrackingOptions.holdStill). */
  stillSinceAnalysis?: boolean
  /** The picture is unchanged since the last detection. */
  stillSinceDetection?: boolean
}

/**
 * The face step for the next frame: detect on a new shot or every `detectEvery` frames; hold the
 * last analysed face on the frames between analyses; otherwise follow the tracked face, or report
 * none when the last detection found nothing (a face that appears is found at the next detection).
 * A picture unchanged since the last analysis is held instead of analysed, and instead of a due
 * detection when it is also unchanged since that detection (the same picture, the same result).
 */
export function faceStep(s: FaceScheduleState, detectEvery: number, faceEvery: number): FaceStep {
  if (!s.sameShot) return 'detect'
  if (s.sinceDetection + 1 >= detectEvery)
    return s.stillSinceAnalysis && s.stillSinceDetection ? 'hold' : 'detect'
  if (s.sinceAnalysis + 1 < faceEvery || s.stillSinceAnalysis) return 'hold'
  return s.tracking ? 'follow' : 'none'
}

/** Mean |Δluma| (0..1) between consecutive frames above which the shot is taken to have changed. */
const SCENE_CHANGE_MOTION = 0.06

/**
 * Mean |Δluma| (0..1), over the whole frame and over the face's box, at or below which a picture
 * counts as unchanged: one grey level, the size of the re-encoding noise of a still shot, far
 * below what a moving mouth or eye changes in the box of a face.
 */
export const STILL_LUMA = 1 / 255

/**
 * True when `grid` shows the same picture as `ref`: mean |Δ| at most STILL_LUMA over the whole grid
 * and over `box` ([x, y, w, h] normalised), when given.
 */
export function samePicture(
  grid: LumaGrid,
  ref: LumaGrid | null,
  box: readonly [number, number, number, number] | null,
): boolean {
  if (!ref || ref.width !== grid.width || ref.height !== grid.height) return false
  const { width: w, height: h, values: a } = grid
  const b = ref.values
  let all = 0
  for (let i = 0; i < a.length; i++) all += Math.abs(a[i]! - b[i]!)
  if (all / a.length > STILL_LUMA) return false
  if (!box) return true
  const x0 = Math.max(0, Math.floor(box[0] * w))
  const y0 = Math.max(0, Math.floor(box[1] * h))
  const x1 = Math.min(w, Math.ceil((box[0] + box[2]) * w))
  const y1 = Math.min(h, Math.ceil((box[1] + box[3]) * h))
  let inBox = 0
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) inBox += Math.abs(a[y * w + x]! - b[y * w + x]!)
  const n = (x1 - x0) * (y1 - y0)
  return n <= 0 || inBox / n <= STILL_LUMA
}

/** Centre and extent of a face's landmarks, in box-normalised coordinates. */
function landmarkBounds(face: FaceResult): { cx: number; cy: number; extent: number } {
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
  return { cx: (minX + maxX) / 2, cy: (minY + maxY) / 2, extent: Math.max(maxX - minX, maxY - minY) }
}

/**
 * True when the landmarks found in a carried box no longer sit in it: their centre is off the
 * box centre by over 20% of the box, or their extent is far from the face size the box was made for.
 */
export function faceLeftBox(face: FaceResult): boolean {
  const { cx, cy, extent } = landmarkBounds(face)
  return Math.abs(cx - 0.5) > 0.2 || Math.abs(cy - 0.5) > 0.2 || extent < 0.5 || extent > 1.3
}

/**
 * Moves the box of a followed face with its landmarks: the box is shifted so the landmarks sit in
 * it where they sat in the detector's box (`detected`), and the landmarks are re-expressed in the
 * shifted box. Between detections the box columns then follow a moving face, as the detector's
 * box would, and the next frame's crop is taken where the face now is. Size and score are kept.
 */
export function recentreOnLandmarks(followed: FaceResult, detected: FaceResult): FaceResult {
  const dx = landmarkBounds(followed).cx - landmarkBounds(detected).cx
  const dy = landmarkBounds(followed).cy - landmarkBounds(detected).cy
  const [x, y, w, h] = followed.box
  const landmarks = new Float32Array(followed.landmarks.length)
  for (let i = 0; i < landmarks.length; i += 2) {
    landmarks[i] = followed.landmarks[i]! - dx
    landmarks[i + 1] = followed.landmarks[i + 1]! - dy
  }
  return { ...followed, box: [Math.max(0, x + dx * w), Math.max(0, y + dy * h), w, h], landmarks }
}

/**
 * Turns consecutive sampled frames into rows. Keep one per frame stream: motion energy compares
 * each frame with the previous one given to the same extractor, and the face tracker follows the
 * last detection from frame to frame.
 */
export class VisualFrameExtractor {
  private prev: LumaGrid | null = null
  private detected: FaceResult | null = null
  /** The tracked face: the last detection, its box moved with the landmarks of each follow. */
  private tracked: FaceResult | null = null
  private last: FaceResult | null = null
  private detectedSize = { width: 0, height: 0 }
  private sinceDetection = Infinity
  private sinceAnalysis = Infinity
  /** Luma grids of the frames of the last face analysis and of the last detection. */
  private analysedGrid: LumaGrid | null = null
  private detectedGrid: LumaGrid | null = null
  private readonly detectEvery: number
  private readonly faceEvery: number
  private readonly holdStill: boolean
  /** Frames processed / with a face / on which the detector ran / whose face was analysed, for reports. */
  frames = 0
  faces = 0
  detections = 0
  analyses = 0

  constructor(private readonly options: TrackingOptions = {}) {
    this.detectEvery = Math.max(1, Math.floor(options.detectEvery ?? DEFAULT_DETECT_EVERY))
    this.faceEvery = Math.max(1, Math.floor(options.faceEvery ?? DEFAULT_FACE_EVERY))
    this.holdStill = options.holdStill ?? true
  }

  async process(frame: RgbFrame): Promise<VisualRow> {
    const row = new Float32Array(VISUAL_DIM)
    this.prev = globalDescriptors(frame, this.prev, row)
    const face = await this.face(frame, row[VIS_MOTION]!, this.prev)
    writeFaceColumns(face, row)
    this.frames++
    if (face) this.faces++
    return { time: frame.time, row, face: face !== null }
  }

  private async face(frame: RgbFrame, motion: number, grid: LumaGrid): Promise<FaceResult | null> {
    const sameShot =
      motion <= SCENE_CHANGE_MOTION &&
      frame.width === this.detectedSize.width &&
      frame.height === this.detectedSize.height
    const stillSinceAnalysis = this.holdStill && samePicture(grid, this.analysedGrid, this.last?.box ?? null)
    const step = faceStep(
      {
        sinceDetection: this.sinceDetection,
        sinceAnalysis: this.sinceAnalysis,
        sameShot,
        tracking: this.detected !== null,
        stillSinceAnalysis,
        stillSinceDetection:
          stillSinceAnalysis && samePicture(grid, this.detectedGrid, this.detected?.box ?? null),
      },
      this.detectEvery,
      this.faceEvery,
    )
    this.sinceDetection++
    this.sinceAnalysis++
    if (step === 'hold') return this.last
    this.sinceAnalysis = 0
    this.analysedGrid = grid
    if (step === 'none') return (this.last = null)
    if (step === 'follow') {
      this.analyses++
      const followed = await followFace(frame, this.tracked!)
      if (followed && !faceLeftBox(followed))
        return (this.last = this.tracked = recentreOnLandmarks(followed, this.detected!))
    }
    this.sinceDetection = 0
    this.detectedGrid = grid
    this.detections++
    this.analyses++
    this.detectedSize = { width: frame.width, height: frame.height }
    this.detected = this.tracked = await detectFace(frame, this.options)
    return (this.last = this.detected)
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
