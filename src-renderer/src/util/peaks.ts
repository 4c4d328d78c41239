/**
 * Waveform peaks for the timeline: the media's audio decoded by the browser (resampled to 8 kHz
 * mono to keep memory small) and reduced to min/max pairs per bucket. Long files are skipped
 * (decoding them whole would cost too much memory); the timeline then shows regions only.
 */

/** Peaks as interleaved [min, max] pairs, `perSec` pairs per second. */
export interface Peaks {
  data: Float32Array
  perSec: number
}

export const PEAKS_PER_SEC = 100
/** Longest media whose waveform is decoded (seconds). */
export const MAX_WAVEFORM_SEC = 45 * 60

export function computePeaks(samples: Float32Array, sampleRate: number, perSec = PEAKS_PER_SEC): Peaks {
  const bucket = Math.max(1, Math.round(sampleRate / perSec))
  const n = Math.ceil(samples.length / bucket)
  const data = new Float32Array(n * 2)
  for (let b = 0; b < n; b++) {
    let lo = 0
    let hi = 0
    const end = Math.min(samples.length, (b + 1) * bucket)
    for (let i = b * bucket; i < end; i++) {
      const v = samples[i]!
      if (v < lo) lo = v
      if (v > hi) hi = v
    }
    data[2 * b] = lo
    data[2 * b + 1] = hi
  }
  return { data, perSec: sampleRate / bucket }
}

export async function loadPeaks(
  url: string,
  durationSec: number,
  signal?: AbortSignal,
): Promise<Peaks | null> {
  if (!(durationSec > 0) || durationSec > MAX_WAVEFORM_SEC) return null
  if (typeof OfflineAudioContext === 'undefined') return null
  const res = await fetch(url, { signal, credentials: 'same-origin' })
  if (!res.ok) throw new Error(`could not load audio for the waveform (HTTP ${res.status})`)
  const buf = await res.arrayBuffer()
  const rate = 8000
  const ctx = new OfflineAudioContext(1, 1, rate)
  const audio = await ctx.decodeAudioData(buf)
  signal?.throwIfAborted()
  return computePeaks(audio.getChannelData(0), audio.sampleRate)
}
