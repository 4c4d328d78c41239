/**
 * The new visual extractor against the previous settings (extractor fws-features-2: detector every
 * 8th frame, face analysed on every 2nd, no still-picture hold) on the same frames: both run interleaved frame by frame in this process, so the
 * machine's load weighs on both alike. Reports CPU ms per frame of each, their ratio, and how close
 * the per-utterance pooled visual vectors are (mean and std halves of the face columns, expression
 * argmax agreement). Used by bench:batch (on the bench video) and bench/visual-speed.ts.
 */
import os from 'node:os'
import {
  VisualFrameExtractor,
  visualSequence,
  type RgbFrame,
  type TrackingOptions,
  type VisualRow,
} from '../src-main/engine/features/visual'
import {
  DEFAULT_DETECT_EVERY,
  DEFAULT_FACE_EVERY,
  VIS_EXPRESSIONS,
  VIS_FACE_MISSING,
  VISUAL_DIM,
} from '../src-main/engine/features/types'

/** The previous extractor's settings (fws-features-2). */
export const PREVIOUS_SETTINGS: TrackingOptions = { detectEvery: 8, faceEvery: 2, holdStill: false }
/** Detector and face analysis on every frame: the most faithful (and slowest) settings. */
export const EVERY_FRAME_SETTINGS: TrackingOptions = { detectEvery: 1, faceEvery: 1, holdStill: false }

export interface Span {
  start: number
  end: number
}

/** How close two extractors' per-utterance pooled face columns are. */
export interface PooledDiff {
  /** Over utterances with a face in both: max and mean |Δ| of the pooled means of the face columns. */
  meanMaxAbs: number
  meanMeanAbs: number
  /** The same for the pooled standard deviations. */
  stdMaxAbs: number
  stdMeanAbs: number
  /** Utterances whose strongest pooled expression is the same in both. */
  expressionArgmaxAgree: number
  /** Utterances where one found a face and the other did not. */
  facePresenceDiffer: number
}

export interface VisualAgreement {
  frames: number
  utterances: number
  oldMsPerFrame: number
  newMsPerFrame: number
  /** previous CPU time / new CPU time on the same frames. */
  speedup: number
  oldDetections: number
  newDetections: number
  oldAnalyses: number
  newAnalyses: number
  /** The new extractor's settings. */
  newSettings: Required<Pick<TrackingOptions, 'detectEvery' | 'faceEvery' | 'holdStill'>>
  /** new vs previous settings. */
  newVsPrevious: PooledDiff
  /** Each vs the most faithful settings (detector and face analysis on every frame), when run. */
  previousVsEveryFrame: PooledDiff | null
  newVsEveryFrame: PooledDiff | null
  loadavg: number[]
}

async function cpuMs(fn: () => Promise<unknown>): Promise<number> {
  const c0 = process.cpuUsage()
  await fn()
  const c = process.cpuUsage(c0)
  return (c.user + c.system) / 1000
}

function argmaxExpr(pooled: Float32Array): number {
  let best = 0
  for (let k = 1; k < 7; k++) if (pooled[VIS_EXPRESSIONS + k]! > pooled[VIS_EXPRESSIONS + best]!) best = k
  return best
}

function pooledDiff(aRows: VisualRow[], bRows: VisualRow[], spans: readonly Span[]): PooledDiff {
  let meanMaxAbs = 0
  let meanSum = 0
  let stdMaxAbs = 0
  let stdSum = 0
  let cols = 0
  let agree = 0
  let both = 0
  let differ = 0
  for (const s of spans) {
    const pick = (rows: VisualRow[]) => rows.filter((r) => r.time >= s.start && r.time < s.end)
    const a = pick(aRows)
    const b = pick(bRows)
    if (!a.length || !b.length) continue
    const pa = visualSequence(a)
    const pb = visualSequence(b)
    if (pa.facePresent !== pb.facePresent) differ++
    if (!pa.facePresent || !pb.facePresent) continue
    both++
    for (let c = 0; c < VIS_FACE_MISSING; c++) {
      const dm = Math.abs(pa.pooled[c]! - pb.pooled[c]!)
      const ds = Math.abs(pa.pooled[VISUAL_DIM + c]! - pb.pooled[VISUAL_DIM + c]!)
      meanMaxAbs = Math.max(meanMaxAbs, dm)
      stdMaxAbs = Math.max(stdMaxAbs, ds)
      meanSum += dm
      stdSum += ds
      cols++
    }
    if (argmaxExpr(pa.pooled) === argmaxExpr(pb.pooled)) agree++
  }
  return {
    meanMaxAbs,
    meanMeanAbs: cols ? meanSum / cols : 0,
    stdMaxAbs,
    stdMeanAbs: cols ? stdSum / cols : 0,
    expressionArgmaxAgree: both ? agree / both : 1,
    facePresenceDiffer: differ,
  }
}

/**
 * Runs the previous and the new extractor interleaved over `frames` (in time order) and compares
 * the pooled rows per span; with `everyFrame`, also the reference that detects and analyses every frame.
 */
export async function compareVisual(
  frames: readonly RgbFrame[],
  spans: readonly Span[],
  everyFrame = true,
  settings: TrackingOptions = {},
): Promise<VisualAgreement> {
  const newSettings = {
    detectEvery: settings.detectEvery ?? DEFAULT_DETECT_EVERY,
    faceEvery: settings.faceEvery ?? DEFAULT_FACE_EVERY,
    holdStill: settings.holdStill ?? true,
  }
  const oldEx = new VisualFrameExtractor(PREVIOUS_SETTINGS)
  const newEx = new VisualFrameExtractor(newSettings)
  const refEx = new VisualFrameExtractor(EVERY_FRAME_SETTINGS)
  const oldRows: VisualRow[] = []
  const newRows: VisualRow[] = []
  const refRows: VisualRow[] = []
  let oldMs = 0
  let newMs = 0
  for (const f of frames) {
    oldMs += await cpuMs(async () => oldRows.push(await oldEx.process(f)))
    newMs += await cpuMs(async () => newRows.push(await newEx.process(f)))
    if (everyFrame) refRows.push(await refEx.process(f))
  }
  const used = spans.filter((s) => frames.some((f) => f.time >= s.start && f.time < s.end)).length
  return {
    frames: frames.length,
    utterances: used,
    oldMsPerFrame: oldMs / frames.length,
    newMsPerFrame: newMs / frames.length,
    speedup: oldMs / newMs,
    oldDetections: oldEx.detections,
    newDetections: newEx.detections,
    oldAnalyses: oldEx.analyses,
    newAnalyses: newEx.analyses,
    newSettings,
    newVsPrevious: pooledDiff(newRows, oldRows, spans),
    previousVsEveryFrame: everyFrame ? pooledDiff(oldRows, refRows, spans) : null,
    newVsEveryFrame: everyFrame ? pooledDiff(newRows, refRows, spans) : null,
    loadavg: os.loadavg(),
  }
}

function diffLine(name: string, d: PooledDiff): string {
  return `  ${name.padEnd(30)} means max ${d.meanMaxAbs.toFixed(4)} / mean ${d.meanMeanAbs.toFixed(5)}; stds max ${d.stdMaxAbs.toFixed(4)} / mean ${d.stdMeanAbs.toFixed(5)}; strongest expression agrees ${(100 * d.expressionArgmaxAgree).toFixed(0)}%; face presence differs ${d.facePresenceDiffer}`
}

/** The agreement as report lines. */
export function formatAgreement(a: VisualAgreement): string[] {
  const load = a.loadavg.map((x) => x.toFixed(1)).join(' ')
  const n = a.newSettings
  const p = PREVIOUS_SETTINGS
  return [
    `visual extractor, new (detect every ${n.detectEvery}, face every ${n.faceEvery}, ${n.holdStill ? 'still pictures held' : 'no still hold'}) vs previous settings (detect every ${p.detectEvery}, face every ${p.faceEvery}, no still hold), interleaved on the same ${a.frames} frames, ${a.utterances} utterances:`,
    `  CPU per frame: previous ${a.oldMsPerFrame.toFixed(1)} ms, new ${a.newMsPerFrame.toFixed(1)} ms → ${a.speedup.toFixed(2)}× (detections ${a.oldDetections} → ${a.newDetections}; face analyses ${a.oldAnalyses} → ${a.newAnalyses}); load ${load}`,
    `  pooled face columns (box, score, 136 landmarks, 7 expressions), |Δ| per utterance:`,
    diffLine('new vs previous', a.newVsPrevious),
    ...(a.previousVsEveryFrame ? [diffLine('previous vs every-frame ref.', a.previousVsEveryFrame)] : []),
    ...(a.newVsEveryFrame ? [diffLine('new vs every-frame ref.', a.newVsEveryFrame)] : []),
  ]
}
