/**
 * extractFeatures: the entry point that turns (media file, utterances) into per-utterance audio and
 * visual features with masks, through the cache. Owns the plan: which utterances are cached, how
 * the missing ones are grouped into decode spans (one ffmpeg audio decode and one frame sampling
 * run per span instead of one per utterance), how sampled frames are assigned to utterances, and
 * progress / cancellation across all of it.
 */
import { readAudio } from '../media/audio'
import { sampleFrames } from '../media/frames'
import { probe, type MediaProbe } from '../media/probe'
import { abortError } from '../core/abort'
import { audioFeatures } from './audio'
import { featureKey, fileFingerprint, readCached, writeCached, type CachedFeatures } from './cache'
import type { FaceDetectorChoice } from './visual/faces'
import { VisualFrameExtractor, visualSequence, type VisualRow } from './visual'
import {
  AUDIO_DIM,
  AUDIO_POOLED_DIM,
  AUDIO_SAMPLE_RATE,
  DEFAULT_DETECT_EVERY,
  DEFAULT_FACE_EVERY,
  EXTRACTOR_VERSION,
  VISUAL_DIM,
  VISUAL_POOLED_DIM,
  type ModalitySequence,
  type UtteranceFeatures,
  type VisualSequence,
} from './types'

/** What extractFeatures needs of an utterance (segment/'s Utterance fits). */
export interface FeatureUtterance {
  id: string
  start: number
  end: number
  text?: string
}

export interface ExtractOptions {
  /** Frames per second sampled inside utterances for visual features. Default 2. */
  fps?: number
  /** Frames are scaled so their shorter side has this many pixels. Default 320. */
  shortSide?: number
  /** Face detector: 'tiny' (default, fast), 'tiny+ssd' (SSD where tiny finds nothing), 'ssd'. */
  detector?: FaceDetectorChoice
  /** Face detector input size (multiple of 32). Default 320. */
  inputSize?: number
  /** Run the face detector on every Nth sampled frame and track the face in between (see TrackingOptions). */
  detectEvery?: number
  /** Analyse the face on every Nth sampled frame and hold it in between (see TrackingOptions). */
  faceEvery?: number
  /** Skip visual features (visual.present = false for all). */
  noVisual?: boolean
  /** Use the feature cache (default true). false: always compute, never read or write. */
  cache?: boolean
  /** Hash the whole file for the cache key instead of sampled blocks (see cache.ts). */
  fullHash?: boolean
  /** A content hash the caller already has (e.g. the batch pipeline's sha256): used as the fingerprint. */
  contentHash?: string
  /** A probe of the file already made. */
  probe?: MediaProbe
  signal?: AbortSignal
  /** Fraction done (0..1), monotonic, with a stage name. */
  onProgress?: (fraction: number, stage: string) => void
}

/** Utterances closer than this are decoded in one span (ffmpeg start-up and seeks cost more than the gap). */
const MAX_GAP_SEC = 10
/** A span never grows past this (bounds memory: 120 s of 16 kHz float32 is 7.7 MB). */
const MAX_SPAN_SEC = 120

function check(file: string, utterances: readonly FeatureUtterance[]): void {
  if (!Array.isArray(utterances)) throw new TypeError('utterances must be an array')
  const seen = new Set<string>()
  for (const u of utterances) {
    if (!u || typeof u.id !== 'string' || !u.id)
      throw new Error(`every utterance needs a non-empty string id (file ${file})`)
    if (seen.has(u.id)) throw new Error(`utterance id "${u.id}" appears twice`)
    seen.add(u.id)
    if (!Number.isFinite(u.start) || !Number.isFinite(u.end) || u.start < 0 || u.end <= u.start)
      throw new Error(
        `utterance ${u.id} has bad bounds [${u.start}, ${u.end}]: need 0 ≤ start < end (seconds)`,
      )
  }
}

interface Span {
  start: number
  end: number
  items: FeatureUtterance[]
}

/** Groups utterances (sorted by start) into decode spans. */
export function planSpans(utterances: readonly FeatureUtterance[]): Span[] {
  const sorted = [...utterances].sort((a, b) => a.start - b.start || a.end - b.end)
  const spans: Span[] = []
  for (const u of sorted) {
    const last = spans[spans.length - 1]
    if (last && u.start - last.end <= MAX_GAP_SEC && Math.max(last.end, u.end) - last.start <= MAX_SPAN_SEC) {
      last.end = Math.max(last.end, u.end)
      last.items.push(u)
    } else spans.push({ start: u.start, end: u.end, items: [u] })
  }
  return spans
}

function emptyAudio(): ModalitySequence {
  return {
    frames: 0,
    dims: AUDIO_DIM,
    seq: new Float32Array(0),
    pooled: new Float32Array(AUDIO_POOLED_DIM),
    present: false,
  }
}

function emptyVisual(): VisualSequence {
  return {
    frames: 0,
    dims: VISUAL_DIM,
    seq: new Float32Array(0),
    pooled: new Float32Array(VISUAL_POOLED_DIM),
    present: false,
    facePresent: false,
    times: new Float32Array(0),
  }
}

/**
 * Features of every utterance of `file`, in the order given. Cached per (file fingerprint,
 * utterance bounds, settings, EXTRACTOR_VERSION). Missing modalities are masked: no audio stream or
 * a silent clip → audio.present false; no video stream → visual.present false; no face in any
 * sampled frame → visual.facePresent false (and the per-frame face-missing column is 1); no
 * transcript → textPresent false. Throws MediaError for unreadable media, an Error named
 * 'AbortError' (jobs/registry isAbortError) on cancel.
 */
export async function extractFeatures(
  file: string,
  utterances: readonly FeatureUtterance[],
  opts: ExtractOptions = {},
): Promise<UtteranceFeatures[]> {
  try {
    return await extract(file, utterances, opts)
  } catch (err) {
    // One cancellation error whatever was running (ffmpeg's MediaError CANCELLED, face-api, cache I/O).
    if (opts.signal?.aborted) throw abortError('feature extraction cancelled')
    throw err
  }
}

/**
 * An utterance shorter than the sampling interval (no frame of its own) gets the sampled frame
 * nearest its middle, but only one within one sampling interval of it (none for an utterance past
 * the video's end).
 */
function addNearestFrames(
  items: readonly FeatureUtterance[],
  rows: Map<string, VisualRow[]>,
  all: readonly VisualRow[],
  fps: number,
): void {
  for (const u of items) {
    const list = rows.get(u.id)!
    if (list.length || !all.length) continue
    const mid = (u.start + u.end) / 2
    let best = all[0]!
    for (const r of all) if (Math.abs(r.time - mid) < Math.abs(best.time - mid)) best = r
    const gap = Math.max(u.start - best.time, best.time - u.end, 0)
    if (gap <= 1 / fps) list.push(best)
  }
}

async function extract(
  file: string,
  utterances: readonly FeatureUtterance[],
  opts: ExtractOptions,
): Promise<UtteranceFeatures[]> {
  check(file, utterances)
  const fps = opts.fps ?? 2
  if (!(fps > 0 && fps <= 30)) throw new Error(`fps must be in (0, 30], got ${fps}`)
  const shortSide = opts.shortSide ?? 320
  const detector = opts.detector ?? 'tiny'
  const inputSize = opts.inputSize ?? 320
  const detectEvery = opts.detectEvery ?? DEFAULT_DETECT_EVERY
  const faceEvery = opts.faceEvery ?? DEFAULT_FACE_EVERY
  const useCache = opts.cache !== false
  const signal = opts.signal
  const report = opts.onProgress ?? (() => {})
  const aborted = () => {
    if (signal?.aborted) throw abortError('feature extraction cancelled')
  }
  aborted()
  const info = opts.probe ?? (await probe(file, { signal }))
  report(0, 'cache')

  const results = new Map<string, CachedFeatures>()
  const keys = new Map<string, string>()
  if (useCache && utterances.length) {
    const fingerprint = opts.contentHash ?? (await fileFingerprint(file, { full: opts.fullHash, signal }))
    for (const u of utterances) {
      aborted()
      // Audio-only runs have their own keys: their empty visual part must never satisfy a full run.
      const key = featureKey({
        fingerprint,
        start: u.start,
        end: u.end,
        fps,
        shortSide,
        detector: opts.noVisual ? 'none' : detector,
        inputSize,
        detectEvery,
        faceEvery,
      })
      keys.set(u.id, key)
      const hit = await readCached(key)
      if (hit) results.set(u.id, hit)
    }
  }

  const todo = utterances.filter((u) => !results.has(u.id))
  const spans = planSpans(todo)
  const totalSec = spans.reduce((s, sp) => s + (sp.end - sp.start), 0)
  let doneSec = 0
  // Audio decode is ~1/20 of the time of frame sampling + face-api; weights keep progress even.
  const wAudio = info.video && !opts.noVisual ? 0.05 : 1
  for (const span of spans) {
    aborted()
    const dur = span.end - span.start
    const at = (f: number, stage: string) =>
      report(Math.min(1, totalSec ? (doneSec + f * dur) / totalSec : 1), stage)

    const audio = new Map<string, ModalitySequence>()
    if (info.audio) {
      const pcm = await readAudio(file, {
        start: span.start,
        end: span.end,
        signal,
        onProgress: (f) => at(f * wAudio * 0.5, 'audio'),
      })
      for (const u of span.items) {
        const a = Math.max(0, Math.round((u.start - span.start) * AUDIO_SAMPLE_RATE))
        const b = Math.min(pcm.length, Math.round((u.end - span.start) * AUDIO_SAMPLE_RATE))
        audio.set(u.id, b > a ? audioFeatures(pcm.subarray(a, b)) : emptyAudio())
      }
    }
    at(wAudio, 'audio')

    const rows = new Map<string, VisualRow[]>(span.items.map((u) => [u.id, []]))
    if (info.video && !opts.noVisual) {
      const extractor = new VisualFrameExtractor({ detector, inputSize, detectEvery, faceEvery })
      const all: VisualRow[] = []
      for await (const frame of sampleFrames(file, {
        fps,
        shortSide,
        // Reference frames only when samples are ≥ 4 source frames apart: a sample then lands at
        // most a frame or two from its time, and the decoder skips the B-frames (~40% of its CPU
        // time on x264's default settings).
        skipNonRef: info.video.fps > 0 && fps * 4 <= info.video.fps,
        start: span.start,
        end: span.end,
        signal,
        probe: info,
      })) {
        aborted()
        const row = await extractor.process(frame)
        all.push(row)
        for (const u of span.items) if (row.time >= u.start && row.time < u.end) rows.get(u.id)!.push(row)
        at(wAudio + (1 - wAudio) * Math.min(1, (frame.time - span.start) / dur), 'visual')
      }
      addNearestFrames(span.items, rows, all, fps)
    }

    for (const u of span.items) {
      const r = rows.get(u.id)!
      const entry: CachedFeatures = {
        audio: audio.get(u.id) ?? emptyAudio(),
        visual: r.length ? visualSequence(r) : emptyVisual(),
      }
      results.set(u.id, entry)
      const key = keys.get(u.id)
      if (useCache && key) await writeCached(key, entry)
    }
    doneSec += dur
    at(0, 'spans')
  }
  report(1, 'done')

  return utterances.map((u) => {
    const f = results.get(u.id)
    if (!f) throw new Error(`internal error: no features were computed for utterance ${u.id} of ${file}`)
    const text = u.text ?? ''
    return {
      utteranceId: u.id,
      start: u.start,
      end: u.end,
      text,
      textPresent: text.trim().length > 0,
      audio: f.audio,
      visual: f.visual,
      extractorVersion: EXTRACTOR_VERSION,
    }
  })
}
