/**
 * Pitch track and the 3 How2 pitch features per 10 ms frame. Owns pitch estimation: normalised
 * cross-correlation (NCCF) over lags for 50–400 Hz on a 4 kHz low-passed copy (as Kaldi's
 * `compute-kaldi-pitch-feats` does), a Viterbi path over lags, a lag refinement on the 16 kHz
 * signal with parabolic interpolation, and Kaldi's `process-kaldi-pitch-feats` post-processing:
 *   col 0  POV feature  2·((1.0001 − c)^0.15 − 1), c = NCCF at the chosen lag (voiced → ≈ −1.5, unvoiced → ≈ 0)
 *   col 1  log-pitch minus its probability-of-voicing-weighted mean over a 151-frame window, × 2
 *   col 2  delta log-pitch (regression window ±2 frames), × 10
 *
 * Why a simplified Kaldi: the full algorithm (online ballast, upsampled lag grid, lattice pruning)
 * is several thousand lines; this keeps its features' meaning and scale and, with the real-time
 * budget of the whole audio path at 200× on one core, costs about as much as the filterbank.
 * Unlike Kaldi there is no dither and no noise added to the delta (delta_pitch_noise_stddev), so
 * the features are deterministic and the cache and tests exact.
 * Why the lag weight: a periodic signal correlates as well at 2× and 3× its period as at the period
 * itself; a small linear penalty on long lags (RAPT's LAG_WT 0.3) makes the fundamental win those
 * ties without changing which lag wins elsewhere.
 */
import { AUDIO_FRAME_LENGTH, AUDIO_FRAME_SHIFT, AUDIO_SAMPLE_RATE } from '../types'
import { numFrames } from './fbank'

export const PITCH_MIN_HZ = 50
export const PITCH_MAX_HZ = 400
const DOWN = 4 // 16 kHz → 4 kHz
const RATE4 = AUDIO_SAMPLE_RATE / DOWN
const SHIFT4 = AUDIO_FRAME_SHIFT / DOWN // 40
const WIN4 = AUDIO_FRAME_LENGTH / DOWN // 100
const MIN_LAG4 = Math.floor(RATE4 / PITCH_MAX_HZ) // 10
const MAX_LAG4 = Math.ceil(RATE4 / PITCH_MIN_HZ) // 80
/** Number of 4 kHz lag states, MIN_LAG4..MAX_LAG4. */
const N_LAGS = MAX_LAG4 - MIN_LAG4 + 1
const LAG_WEIGHT = 0.3
/** Viterbi transition cost per (Δ ln lag)²: small, so it only breaks near-ties (Kaldi: 0.1). */
const PENALTY = 0.1
/** Frames with RMS below −100 dBFS have no defined correlation; their NCCF is 0 (unvoiced). */
const MIN_RMS = 1e-5
/** Frames whose 4 kHz NCCF is below this are unvoiced for certain; their lag is not refined. */
const REFINE_MIN_NCCF = 0.3
const NORM_HALF_WINDOW = 75
const POV_SCALE = 2
const PITCH_SCALE = 2
const DELTA_SCALE = 10

/** Low-pass FIR (Hann-windowed sinc, cut-off 1 kHz at 16 kHz), built once. */
const FIR = (() => {
  const taps = 49
  const fc = 1000 / AUDIO_SAMPLE_RATE
  const h = new Float64Array(taps)
  const m = (taps - 1) / 2
  let sum = 0
  for (let i = 0; i < taps; i++) {
    const x = i - m
    const sinc = x === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * x) / (Math.PI * x)
    h[i] = sinc * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (taps - 1)))
    sum += h[i]!
  }
  for (let i = 0; i < taps; i++) h[i]! /= sum
  return h
})()

/** Kaldi's NccfToPov: a logistic fit of P(voiced | NCCF). */
export function nccfToPov(c: number): number {
  const n = c > 1 ? 1 : c < -1 ? -1 : c
  const y =
    -5.2 + 5.4 * Math.exp(7.5 * (n - 1)) + 4.8 * n - 2 * Math.exp(-10 * n) + 4.2 * Math.exp(20 * (n - 1))
  return 1 / (1 + Math.exp(-y))
}

/** Kaldi's NccfToPovFeature × pov_scale. */
export function nccfToPovFeature(c: number): number {
  const n = c > 1 ? 1 : c < -1 ? -1 : c
  return POV_SCALE * (Math.pow(1.0001 - n, 0.15) - 1)
}

export interface PitchTrack {
  frames: number
  /** Estimated F0 in Hz per frame (defined everywhere; meaningful where nccf is high). */
  f0: Float64Array
  /** NCCF at the chosen lag (≈ 1 for periodic frames, ≈ 0 for noise and silence). */
  nccf: Float64Array
}

/** Estimates F0 and voicing of every 10 ms frame of 16 kHz mono PCM. */
export function pitchTrack(pcm: Float32Array): PitchTrack {
  const frames = numFrames(pcm.length)
  const f0 = new Float64Array(frames)
  const nccfOut = new Float64Array(frames)
  if (frames === 0) return { frames, f0, nccf: nccfOut }
  const x4 = lowPass4k(pcm, frames)
  const nccf = lagNccf(x4, frames)
  const path = viterbiPath(nccf, frames)
  refineLags(pcm, nccf, path, f0, nccfOut)
  return { frames, f0, nccf: nccfOut }
}

/** The 4 kHz copy of `pcm` (low-passed, decimated), zero-padded so every frame's window + max lag is in range. */
function lowPass4k(pcm: Float32Array, frames: number): Float64Array {
  const len4 = (frames - 1) * SHIFT4 + WIN4 + MAX_LAG4 + 1
  const x4 = new Float64Array(len4)
  const taps = FIR.length
  const m = (taps - 1) >> 1
  const n = pcm.length
  for (let j = 0; j < len4; j++) {
    const c = j * DOWN
    if (c - m >= n) break
    const off = c - m
    if (off >= 0 && off + taps <= n) {
      // Interior: the filter is symmetric, so fold the two halves (half the multiplies).
      let a0 = FIR[m]! * pcm[c]!
      let a1 = 0
      let k = 0
      for (; k + 1 < m; k += 2) {
        a0 += FIR[k]! * (pcm[off + k]! + pcm[off + taps - 1 - k]!)
        a1 += FIR[k + 1]! * (pcm[off + k + 1]! + pcm[off + taps - 2 - k]!)
      }
      for (; k < m; k++) a0 += FIR[k]! * (pcm[off + k]! + pcm[off + taps - 1 - k]!)
      x4[j] = a0 + a1
    } else {
      const lo = Math.max(0, m - c)
      const hi = Math.min(taps, n - c + m)
      let acc = 0
      for (let k = lo; k < hi; k++) acc += FIR[k]! * pcm[off + k]!
      x4[j] = acc
    }
  }
  return x4
}

/**
 * NCCF of every frame of the 4 kHz signal at every lag, row-major (frames × N_LAGS); rows of frames
 * quieter than MIN_RMS stay 0.
 */
function lagNccf(x4: Float64Array, frames: number): Float64Array {
  const nccf = new Float64Array(frames * N_LAGS)
  // +4: the 4-lag kernel reads up to 3 lags past MAX_LAG4 (those products are computed and dropped).
  const frame = new Float64Array(WIN4 + MAX_LAG4 + 4)
  const fullLen = WIN4 + MAX_LAG4
  const minEnergy = WIN4 * MIN_RMS * MIN_RMS
  const energy = new Float64Array(N_LAGS) // Σ frame[L..L+WIN4)² per lag
  const dots = new Float64Array(4)
  for (let t = 0; t < frames; t++) {
    const s0 = t * SHIFT4
    let mean = 0
    for (let i = 0; i < fullLen; i++) mean += x4[s0 + i]!
    mean /= fullLen
    for (let i = 0; i < fullLen; i++) frame[i] = x4[s0 + i]! - mean
    let e0 = 0
    for (let i = 0; i < WIN4; i++) e0 += frame[i]! * frame[i]!
    if (e0 < minEnergy) continue
    let eL = 0
    for (let i = MIN_LAG4; i < MIN_LAG4 + WIN4; i++) eL += frame[i]! * frame[i]!
    energy[0] = eL
    for (let L = MIN_LAG4 + 1; L <= MAX_LAG4; L++) {
      const a = frame[L - 1]!
      const b = frame[L + WIN4 - 1]!
      eL += b * b - a * a
      energy[L - MIN_LAG4] = eL
    }
    const row = t * N_LAGS
    for (let L = MIN_LAG4; L <= MAX_LAG4; L += 4) {
      lagDot4(frame, L, WIN4, dots)
      for (let k = 0; k < 4 && L + k <= MAX_LAG4; k++) {
        const den = e0 * energy[L + k - MIN_LAG4]!
        nccf[row + L + k - MIN_LAG4] = den > 0 ? dots[k]! / Math.sqrt(den) : 0
      }
    }
  }
  return nccf
}

/**
 * The lag state of every frame on the cheapest path: Viterbi over lag states with local cost
 * 1 − nccf·(1 − LAG_WEIGHT·L/maxLag) and transition cost PENALTY·(ln Li/Lj)².
 */
function viterbiPath(nccf: Float64Array, frames: number): Int16Array {
  const lnLag = new Float64Array(N_LAGS)
  const bias = new Float64Array(N_LAGS)
  for (let s = 0; s < N_LAGS; s++) {
    lnLag[s] = Math.log(MIN_LAG4 + s)
    bias[s] = 1 - (LAG_WEIGHT * (MIN_LAG4 + s)) / MAX_LAG4
  }
  // min_i prev[i] + PENALTY·(x_j − x_i)² for all j at once (x = ln lag, sorted): the lower envelope of
  // parabolas (Felzenszwalb & Huttenlocher's distance transform), O(S) per frame instead of O(S²).
  const back = new Int16Array(frames * N_LAGS)
  let prev = new Float64Array(N_LAGS)
  let cur = new Float64Array(N_LAGS)
  for (let s = 0; s < N_LAGS; s++) prev[s] = 1 - nccf[s]! * bias[s]!
  const hull = new Int32Array(N_LAGS) // parabola indices on the envelope
  const bound = new Float64Array(N_LAGS + 1) // where each envelope parabola starts
  for (let t = 1; t < frames; t++) {
    const row = t * N_LAGS
    let k = 0
    hull[0] = 0
    bound[0] = -Infinity
    bound[1] = Infinity
    for (let q = 1; q < N_LAGS; q++) {
      const xq = lnLag[q]!
      const fq = prev[q]! + PENALTY * xq * xq
      for (;;) {
        const v = hull[k]!
        const xv = lnLag[v]!
        const cross = (fq - (prev[v]! + PENALTY * xv * xv)) / (2 * PENALTY * (xq - xv))
        if (cross <= bound[k]!) {
          k-- // v is hidden under q's parabola (bound[0] = −∞ stops this at the first)
          continue
        }
        k++
        hull[k] = q
        bound[k] = cross
        bound[k + 1] = Infinity
        break
      }
    }
    k = 0
    for (let j = 0; j < N_LAGS; j++) {
      const x = lnLag[j]!
      while (bound[k + 1]! < x) k++
      const i = hull[k]!
      const d = x - lnLag[i]!
      cur[j] = prev[i]! + PENALTY * d * d + 1 - nccf[row + j]! * bias[j]!
      back[row + j] = i
    }
    const tmp = prev
    prev = cur
    cur = tmp
  }
  let state = 0
  for (let s = 1; s < N_LAGS; s++) if (prev[s]! < prev[state]!) state = s
  const path = new Int16Array(frames)
  for (let t = frames - 1; t >= 0; t--) {
    path[t] = state
    if (t > 0) state = back[t * N_LAGS + state]!
  }
  return path
}

/**
 * Writes each frame's NCCF at its chosen lag to `nccfOut` and its F0 to `f0`. The lag is refined by
 * a parabola through the 4 kHz NCCF around it and, for frames that may be voiced, sharpened on the
 * 16 kHz signal: NCCF at the 5 lags nearest 4·lag4, parabola through the peak.
 */
function refineLags(
  pcm: Float32Array,
  nccf: Float64Array,
  path: Int16Array,
  f0: Float64Array,
  nccfOut: Float64Array,
): void {
  const n = pcm.length
  const win = AUDIO_FRAME_LENGTH
  const buf = new Float64Array(win + (MAX_LAG4 + 1) * DOWN + 8)
  const cum = new Float64Array(buf.length + 1) // prefix sums of buf², so any lag's energy is O(1)
  let e0 = 0
  const near = new Float64Array(5)
  const dots = new Float64Array(4)
  const nccAt = (L: number, dot: number): number => {
    const den = e0 * (cum[L + win]! - cum[L]!)
    return den > 0 ? dot / Math.sqrt(den) : 0
  }
  for (let t = 0; t < path.length; t++) {
    const s = path[t]!
    const row = t * N_LAGS
    const c4 = nccf[row + s]!
    nccfOut[t] = c4
    // Parabola through the 4 kHz NCCF around the chosen lag gives a sub-sample estimate...
    let lag4 = MIN_LAG4 + s
    if (s > 0 && s < N_LAGS - 1) lag4 += parabolaOffset(nccf[row + s - 1]!, c4, nccf[row + s + 1]!)
    if (c4 < REFINE_MIN_NCCF) {
      // Unvoiced: its pitch carries no information (the POV weighting ignores it); skip the refinement.
      f0[t] = RATE4 / lag4
      continue
    }
    // ...which the 16 kHz NCCF at the 5 lags around it (one 4-lag pass + one) then sharpens.
    const s0 = t * AUDIO_FRAME_SHIFT
    let mean = 0
    for (let i = 0; i < win; i++) mean += s0 + i < n ? pcm[s0 + i]! : 0
    mean /= win
    const c = Math.min(MAX_LAG4 * DOWN, Math.max(3, Math.round(lag4 * DOWN)))
    const need = Math.min(buf.length, win + c + 8)
    const avail = Math.max(0, Math.min(need, n - s0))
    let acc = 0
    for (let i = 0; i < need; i++) {
      const v = (i < avail ? pcm[s0 + i]! : 0) - mean
      buf[i] = v
      acc += v * v
      cum[i + 1] = acc
    }
    e0 = cum[win]!
    lagDot4(buf, c - 2, win, dots)
    for (let k = 0; k < 4; k++) near[k] = nccAt(c - 2 + k, dots[k]!)
    near[4] = nccAt(c + 2, lagDot(buf, c + 2, win))
    let best = 0
    for (let k = 1; k < 5; k++) if (near[k]! > near[best]!) best = k
    let lag = c - 2 + best
    if (best > 0 && best < 4) lag += parabolaOffset(near[best - 1]!, near[best]!, near[best + 1]!)
    f0[t] = AUDIO_SAMPLE_RATE / lag
  }
}

/** Σ x[i]·x[i+L] for i < n, unrolled ×4 (independent accumulators: the loop is add-latency bound). */
function lagDot(x: Float64Array, L: number, n: number): number {
  let d0 = 0
  let d1 = 0
  let d2 = 0
  let d3 = 0
  let i = 0
  for (; i + 3 < n; i += 4) {
    d0 += x[i]! * x[i + L]!
    d1 += x[i + 1]! * x[i + 1 + L]!
    d2 += x[i + 2]! * x[i + 2 + L]!
    d3 += x[i + 3]! * x[i + 3 + L]!
  }
  for (; i < n; i++) d0 += x[i]! * x[i + L]!
  return d0 + d1 + d2 + d3
}

/**
 * Σ x[i]·x[i+L+k] for k = 0..3 at once: each x[i] is loaded once and the lagged values slide
 * through registers, so the loop does 4 multiply-adds per 2 loads instead of 1 per 2.
 */
function lagDot4(x: Float64Array, L: number, n: number, out: Float64Array): void {
  let d0 = 0
  let d1 = 0
  let d2 = 0
  let d3 = 0
  let b0 = x[L]!
  let b1 = x[L + 1]!
  let b2 = x[L + 2]!
  let b3 = x[L + 3]!
  for (let i = 0; i < n; i++) {
    const a = x[i]!
    d0 += a * b0
    d1 += a * b1
    d2 += a * b2
    d3 += a * b3
    b0 = b1
    b1 = b2
    b2 = b3
    b3 = x[i + L + 4]!
  }
  out[0] = d0
  out[1] = d1
  out[2] = d2
  out[3] = d3
}

/** Offset in (−0.5, 0.5) of the vertex of the parabola through (−1, a), (0, b), (1, c); 0 when not a peak. */
function parabolaOffset(a: number, b: number, c: number): number {
  const den = a - 2 * b + c
  if (den >= 0) return 0
  const o = (0.5 * (a - c)) / den
  return o > 0.5 ? 0.5 : o < -0.5 ? -0.5 : o
}

/**
 * Writes the 3 pitch features of `track` into `out` at row stride `stride`, columns offset..offset+2
 * (POV feature, normalised log-pitch, delta log-pitch).
 */
export function writePitchFeatures(
  track: PitchTrack,
  out: Float32Array,
  stride: number,
  offset: number,
): void {
  const T = track.frames
  if (T === 0) return
  const logp = new Float64Array(T)
  const pov = new Float64Array(T)
  for (let t = 0; t < T; t++) {
    logp[t] = Math.log(track.f0[t]!)
    pov[t] = nccfToPov(track.nccf[t]!)
  }
  // Prefix sums for the POV-weighted moving mean of log-pitch over ±75 frames.
  const cw = new Float64Array(T + 1)
  const cwl = new Float64Array(T + 1)
  const cl = new Float64Array(T + 1)
  for (let t = 0; t < T; t++) {
    cw[t + 1] = cw[t]! + pov[t]!
    cwl[t + 1] = cwl[t]! + pov[t]! * logp[t]!
    cl[t + 1] = cl[t]! + logp[t]!
  }
  for (let t = 0; t < T; t++) {
    const a = Math.max(0, t - NORM_HALF_WINDOW)
    const b = Math.min(T, t + NORM_HALF_WINDOW + 1)
    const w = cw[b]! - cw[a]!
    const mean = w > 1e-10 ? (cwl[b]! - cwl[a]!) / w : (cl[b]! - cl[a]!) / (b - a)
    const row = t * stride + offset
    out[row] = nccfToPovFeature(track.nccf[t]!)
    out[row + 1] = PITCH_SCALE * (logp[t]! - mean)
    let d = 0
    for (let k = 1; k <= 2; k++) {
      const hi = logp[Math.min(T - 1, t + k)]!
      const lo = logp[Math.max(0, t - k)]!
      d += k * (hi - lo)
    }
    out[row + 2] = (DELTA_SCALE * d) / 10
  }
}
