/**
 * Waveform peaks of a media file for the timeline. Owns the base resolution (min/max of the 16 kHz
 * mono signal per 10 ms bucket, computed once per media by the streaming audio decode), its cache
 * on disk (<cacheDir()>/peaks/v1, keyed by content hash) and the downsampling to the number of
 * buckets a view asks for over a time range. Memory stays flat while decoding: one pass, chunk by
 * chunk; the base of a 3-hour file is 8.6 MB.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { cacheDir } from '../paths'
import { AUDIO_SAMPLE_RATE, decodeAudio } from './audio'

/** Base buckets per second (10 ms each, 160 samples at 16 kHz). */
export const BASE_PEAKS_PER_SEC = 100
const SAMPLES_PER_BUCKET = AUDIO_SAMPLE_RATE / BASE_PEAKS_PER_SEC

/** Base peaks: interleaved [min, max] per bucket of 1/BASE_PEAKS_PER_SEC s. */
export interface BasePeaks {
  data: Float32Array
  perSec: number
}

/** Min/max per bucket of a signal at `sampleRate`, fed chunk by chunk (chunks of any size). */
export class PeaksAccumulator {
  private readonly parts: Float32Array[] = []
  private cur = new Float32Array(8192)
  private n = 0
  private inBucket = 0
  private lo = 0
  private hi = 0
  constructor(private readonly samplesPerBucket: number) {}

  push(chunk: Float32Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const v = chunk[i]!
      if (this.inBucket === 0) this.lo = this.hi = v
      else if (v < this.lo) this.lo = v
      else if (v > this.hi) this.hi = v
      if (++this.inBucket === this.samplesPerBucket) this.flush()
    }
  }

  private flush(): void {
    if (this.n === this.cur.length) {
      this.parts.push(this.cur)
      this.cur = new Float32Array(this.cur.length * 2)
      this.n = 0
    }
    this.cur[this.n++] = this.lo
    this.cur[this.n++] = this.hi
    this.inBucket = 0
  }

  /** A copy of the complete buckets so far (the accumulator keeps going). */
  snapshot(): Float32Array {
    const total = this.parts.reduce((s, p) => s + p.length, 0) + this.n
    const out = new Float32Array(total)
    let o = 0
    for (const p of this.parts) {
      out.set(p, o)
      o += p.length
    }
    out.set(this.cur.subarray(0, this.n), o)
    return out
  }

  /** The interleaved [min, max] pairs, the last partial bucket included. */
  finish(): Float32Array {
    if (this.inBucket > 0) this.flush()
    return this.snapshot()
  }
}

export function peaksCachePath(sha256: string): string {
  const key = sha256.replace(/^sha256:/, '')
  return path.join(cacheDir(), 'peaks', 'v1', key.slice(0, 2), `${key}.f32`)
}

interface InFlight {
  done: Promise<BasePeaks>
  acc: PeaksAccumulator | null
  fraction: number
}
const inFlight = new Map<string, InFlight>()
/** The last few bases read, by cache path: zooming and scrolling a long file re-reads nothing. */
const recent = new Map<string, BasePeaks>()
const RECENT_MAX = 3

/** What a running first decode of this content has reached (null when none runs). */
export function partialPeaks(sha256: string): { peaks: BasePeaks; fraction: number } | null {
  const f = inFlight.get(peaksCachePath(sha256))
  if (!f?.acc) return null
  return { peaks: { data: f.acc.snapshot(), perSec: BASE_PEAKS_PER_SEC }, fraction: f.fraction }
}

/**
 * The base peaks of a media file: from the cache, or decoded once (concurrent callers for the same
 * content share one decode). Throws the audio decode's MediaError (NO_AUDIO, NOT_FOUND, ...).
 */
export function basePeaks(
  file: string,
  sha256: string,
  opts: { signal?: AbortSignal; onProgress?: (f: number) => void } = {},
): Promise<BasePeaks> {
  const cachePath = peaksCachePath(sha256)
  const hit = recent.get(cachePath)
  if (hit) return Promise.resolve(hit)
  const running = inFlight.get(cachePath)
  if (running) return running.done
  const entry = { acc: null, fraction: 0 } as Omit<InFlight, 'done'> as InFlight
  entry.done = (async (): Promise<BasePeaks> => {
    try {
      const buf = await readFile(cachePath)
      return {
        data: new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4),
        perSec: BASE_PEAKS_PER_SEC,
      }
    } catch {
      /* not cached yet */
    }
    const acc = (entry.acc = new PeaksAccumulator(SAMPLES_PER_BUCKET))
    const onProgress = (f: number) => {
      entry.fraction = f
      opts.onProgress?.(f)
    }
    for await (const chunk of decodeAudio(file, { signal: opts.signal, onProgress })) acc.push(chunk)
    const data = acc.finish()
    await mkdir(path.dirname(cachePath), { recursive: true })
    const tmp = `${cachePath}.${process.pid}.part`
    await writeFile(tmp, Buffer.from(data.buffer, data.byteOffset, data.byteLength))
    await rename(tmp, cachePath)
    return { data, perSec: BASE_PEAKS_PER_SEC }
  })()
    .then((base) => {
      recent.delete(cachePath)
      recent.set(cachePath, base)
      if (recent.size > RECENT_MAX) recent.delete(recent.keys().next().value!)
      return base
    })
    .finally(() => inFlight.delete(cachePath))
  inFlight.set(cachePath, entry)
  return entry.done
}

export interface PeaksView {
  start: number
  end: number
  /** Buckets per second of this view (≤ the base resolution). */
  perSec: number
  min: number[]
  max: number[]
}

/**
 * Downsamples base peaks to at most `buckets` min/max pairs over [start, end) seconds: each output
 * bucket is the min of the mins and max of the maxes of the base buckets it covers. Zoomed in past
 * the base resolution, the base buckets themselves are returned.
 */
export function viewPeaks(base: BasePeaks, start: number, end: number, buckets: number): PeaksView {
  const total = base.data.length / 2
  const b0 = Math.max(0, Math.min(total, Math.floor(start * base.perSec + 1e-6)))
  const b1 = Math.max(b0, Math.min(total, Math.ceil(end * base.perSec - 1e-6)))
  const span = b1 - b0
  const n = Math.max(0, Math.min(Math.floor(buckets), span))
  const min = new Array<number>(n)
  const max = new Array<number>(n)
  for (let i = 0; i < n; i++) {
    const from = b0 + Math.floor((i * span) / n)
    const to = Math.max(from + 1, b0 + Math.floor(((i + 1) * span) / n))
    let lo = Infinity
    let hi = -Infinity
    for (let b = from; b < to; b++) {
      const l = base.data[2 * b]!
      const h = base.data[2 * b + 1]!
      if (l < lo) lo = l
      if (h > hi) hi = h
    }
    // Four decimals: the JSON stays small and a pixel never sees the difference.
    min[i] = Math.round(lo * 1e4) / 1e4
    max[i] = Math.round(hi * 1e4) / 1e4
  }
  return {
    start: b0 / base.perSec,
    end: b1 / base.perSec,
    perSec: span > 0 ? (n * base.perSec) / span : base.perSec,
    min,
    max,
  }
}
