/**
 * Waveform peaks as the timeline draws them: min/max pairs from the engine (media.peaks computes
 * them once per media with ffmpeg and serves any range at the resolution asked for), so the page
 * never downloads or decodes the media itself and a 3-hour file opens like a 3-minute one.
 */
import type { PeaksResult } from '@contract/contract'

/** Interleaved [min, max] pairs, `perSec` pairs per second from `start` seconds on. */
export interface Peaks {
  data: Float32Array
  perSec: number
  start: number
  /** False while the engine's first decode of the file runs (the data stops where it got to). */
  complete: boolean
  /** How far that first decode is (0..1); 1 when complete. */
  progress: number
}

/** Loads the peaks of [start, end) seconds in (at most) `buckets` pairs. */
export type PeaksLoader = (start: number, end: number, buckets: number) => Promise<Peaks>

export function toPeaks(r: PeaksResult): Peaks {
  const data = new Float32Array(r.min.length * 2)
  for (let i = 0; i < r.min.length; i++) {
    data[2 * i] = r.min[i]!
    data[2 * i + 1] = r.max[i]!
  }
  return { data, perSec: r.perSec, start: r.start, complete: r.complete, progress: r.progress }
}

/** Whether `p` covers [start, end) at `pxPerSec` or better (up to the engine's finest resolution). */
export function peaksCover(
  p: Peaks | null,
  start: number,
  end: number,
  pxPerSec: number,
  maxPerSec = 100,
): boolean {
  if (!p || !p.data.length || !p.complete) return false
  const pEnd = p.start + p.data.length / 2 / p.perSec
  return (
    p.start <= start + 1e-6 && pEnd >= end - 1 / p.perSec && p.perSec >= Math.min(pxPerSec, maxPerSec) * 0.95
  )
}
