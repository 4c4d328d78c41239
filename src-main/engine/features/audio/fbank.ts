/**
 * 40-channel log-mel filterbank energies, 25 ms window / 10 ms hop at 16 kHz. Owns the framing and
 * the filterbank: the Kaldi `compute-fbank-feats` recipe that How2's audio features were made with
 * (DC removal, pre-emphasis 0.97, Povey window, 512-point power spectrum, 40 triangular mel filters
 * from 20 Hz to Nyquist on the 1127·ln(1 + f/700) scale, natural log floored at FLT_EPSILON).
 *
 * Differences from Kaldi's defaults, on purpose: no dither (features must be deterministic so the
 * cache and tests are exact; digital silence therefore gives exactly the floor log(FLT_EPSILON)).
 * Samples are scaled to the int16 range first so values are on the same scale as How2's.
 */
import { AUDIO_FBANK_BINS, AUDIO_FRAME_LENGTH, AUDIO_FRAME_SHIFT, AUDIO_SAMPLE_RATE } from '../types'
import { RealFft } from './fft'

/** float32 epsilon: Kaldi's energy floor; log of it is the value of a silent channel. */
export const FLT_EPSILON = 1.1920928955078125e-7
export const LOG_ENERGY_FLOOR = Math.log(FLT_EPSILON)
/** Float PCM in [-1, 1] → int16 scale, the scale Kaldi (and How2's features) saw. */
export const PCM_SCALE = 32768
export const FFT_SIZE = 512
export const MEL_LOW_HZ = 20
export const PREEMPHASIS = 0.97

export function melScale(hz: number): number {
  return 1127 * Math.log(1 + hz / 700)
}

/**
 * Number of frames for `n` samples (Kaldi snip-edges): 1 + ⌊(n − 400) / 160⌋; a clip shorter than
 * one window but not empty still yields one zero-padded frame so that short utterances are not lost.
 */
export function numFrames(n: number): number {
  if (n <= 0) return 0
  if (n < AUDIO_FRAME_LENGTH) return 1
  return 1 + Math.floor((n - AUDIO_FRAME_LENGTH) / AUDIO_FRAME_SHIFT)
}

/** Sparse triangular mel filters over FFT bins 0..FFT_SIZE/2 − 1: for each filter, first bin and weights. */
export interface MelFilters {
  first: Int32Array
  weights: Float64Array[]
}

export function melFilters(
  bins = AUDIO_FBANK_BINS,
  sampleRate = AUDIO_SAMPLE_RATE,
  fftSize = FFT_SIZE,
  lowHz = MEL_LOW_HZ,
  highHz = sampleRate / 2,
): MelFilters {
  const nFft = fftSize / 2
  const binHz = sampleRate / fftSize
  const melLow = melScale(lowHz)
  const melHigh = melScale(highHz)
  const delta = (melHigh - melLow) / (bins + 1)
  const first = new Int32Array(bins)
  const weights: Float64Array[] = []
  for (let b = 0; b < bins; b++) {
    const left = melLow + b * delta
    const center = left + delta
    const right = center + delta
    const w: number[] = []
    let start = -1
    for (let i = 0; i < nFft; i++) {
      const mel = melScale(binHz * i)
      if (mel > left && mel < right) {
        if (start < 0) start = i
        w.push(mel <= center ? (mel - left) / (center - left) : (right - mel) / (right - center))
      }
    }
    first[b] = Math.max(0, start)
    weights.push(Float64Array.from(w))
  }
  return { first, weights }
}

/** Povey window: (0.5 − 0.5·cos(2πn/(N−1)))^0.85, Kaldi's default. */
export function poveyWindow(n = AUDIO_FRAME_LENGTH): Float64Array {
  const w = new Float64Array(n)
  for (let i = 0; i < n; i++) w[i] = Math.pow(0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)), 0.85)
  return w
}

/** Reusable fbank computer (buffers and tables allocated once). */
export class Fbank {
  private readonly fft = new RealFft(FFT_SIZE)
  private readonly filters = melFilters()
  private readonly window = poveyWindow()
  private readonly frame = new Float64Array(AUDIO_FRAME_LENGTH)
  private readonly power = new Float64Array(FFT_SIZE / 2 + 1)

  /**
   * Writes log-mel energies of every frame of `pcm` (16 kHz mono, float in [-1, 1]) into `out`
   * at row stride `stride`, columns [offset, offset + 40).
   */
  compute(pcm: Float32Array, out: Float32Array, stride: number, offset = 0): number {
    const frames = numFrames(pcm.length)
    const L = AUDIO_FRAME_LENGTH
    const frame = this.frame
    const window = this.window
    const { first, weights } = this.filters
    for (let t = 0; t < frames; t++) {
      const s0 = t * AUDIO_FRAME_SHIFT
      const avail = Math.min(L, pcm.length - s0)
      let mean = 0
      for (let i = 0; i < avail; i++) mean += pcm[s0 + i]!
      mean = (mean * PCM_SCALE) / L
      // DC removal, pre-emphasis (x[i] − 0.97·x[i−1], x[0] − 0.97·x[0]) and the window in one pass.
      let prev = (avail > 0 ? pcm[s0]! * PCM_SCALE : 0) - mean
      frame[0] = (prev - PREEMPHASIS * prev) * window[0]!
      for (let i = 1; i < L; i++) {
        const cur = (i < avail ? pcm[s0 + i]! * PCM_SCALE : 0) - mean
        frame[i] = (cur - PREEMPHASIS * prev) * window[i]!
        prev = cur
      }
      this.fft.powerSpectrum(frame, L, this.power)
      const row = t * stride + offset
      for (let b = 0; b < AUDIO_FBANK_BINS; b++) {
        const w = weights[b]!
        const f = first[b]!
        let e = 0
        for (let k = 0; k < w.length; k++) e += w[k]! * this.power[f + k]!
        out[row + b] = Math.log(e > FLT_EPSILON ? e : FLT_EPSILON)
      }
    }
    return frames
  }
}
