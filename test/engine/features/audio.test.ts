// Audio features against known signals: sines and a harmonic-rich sawtooth give their pitch, silence
// gives the floor energies and the silence mask, and the log-mel energies match an independent
// reference (naive DFT + directly evaluated triangular mel filters) computed here.
import { describe, expect, it } from 'vitest'
import { audioFeatures } from '../../../src-main/engine/features/audio'
import {
  Fbank,
  FLT_EPSILON,
  LOG_ENERGY_FLOOR,
  numFrames,
} from '../../../src-main/engine/features/audio/fbank'
import { nccfToPov, pitchTrack } from '../../../src-main/engine/features/audio/pitch'
import { RealFft } from '../../../src-main/engine/features/audio/fft'
import {
  AUDIO_DELTA_PITCH,
  AUDIO_DIM,
  AUDIO_LOG_PITCH,
  AUDIO_POOLED_DIM,
  AUDIO_POV,
} from '../../../src-main/engine/features/types'

const SR = 16000

function sine(hz: number, sec: number, amp = 0.3): Float32Array {
  const x = new Float32Array(Math.round(SR * sec))
  for (let i = 0; i < x.length; i++) x[i] = amp * Math.sin((2 * Math.PI * hz * i) / SR)
  return x
}

/** Deterministic pseudo-random noise (LCG), so failures reproduce. */
function noise(n: number, amp: number, seed = 1): Float32Array {
  const x = new Float32Array(n)
  let s = seed
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0
    x[i] = amp * (s / 2 ** 32 - 0.5) * 2
  }
  return x
}

function median(xs: ArrayLike<number>): number {
  const a = Array.from(xs).sort((p, q) => p - q)
  return a[a.length >> 1]!
}

describe('framing', () => {
  it('uses 25 ms windows every 10 ms (Kaldi snip-edges) and keeps a short clip as one frame', () => {
    expect(numFrames(16000)).toBe(98) // 1 + floor((16000 - 400) / 160)
    expect(numFrames(400)).toBe(1)
    expect(numFrames(559)).toBe(1)
    expect(numFrames(560)).toBe(2)
    expect(numFrames(100)).toBe(1)
    expect(numFrames(0)).toBe(0)
    const f = audioFeatures(sine(200, 1))
    expect(f.dims).toBe(AUDIO_DIM)
    expect(f.frames).toBe(98)
    expect(f.seq.length).toBe(98 * 43)
    expect(f.pooled.length).toBe(AUDIO_POOLED_DIM)
  })
})

describe('pitch', () => {
  it.each([60, 110, 155, 220, 310, 390])('a %d Hz sine gives that pitch within 0.5 %%', (hz) => {
    const tr = pitchTrack(sine(hz, 1))
    const mid = tr.f0.slice(5, -5)
    expect(Math.abs(median(mid) / hz - 1)).toBeLessThan(0.005)
    for (const f of mid) expect(Math.abs(f / hz - 1)).toBeLessThan(0.02)
    expect(median(tr.nccf.slice(5, -5))).toBeGreaterThan(0.95)
  })

  it('a 130 Hz sawtooth (strong harmonics) gives the fundamental, not an octave', () => {
    const x = new Float32Array(SR)
    for (let i = 0; i < SR; i++) x[i] = 0.3 * (2 * ((i * 130) / SR - Math.floor((i * 130) / SR)) - 1)
    const tr = pitchTrack(x)
    expect(Math.abs(median(tr.f0.slice(5, -5)) / 130 - 1)).toBeLessThan(0.01)
  })

  it('voicing separates a periodic signal from white noise', () => {
    const voiced = audioFeatures(sine(180, 1))
    const unvoiced = audioFeatures(noise(SR, 0.2))
    const col = (f: typeof voiced, c: number) =>
      Array.from({ length: f.frames }, (_, t) => f.seq[t * AUDIO_DIM + c]!)
    // Kaldi's POV feature: ≈ −1.5 for NCCF 1, ≈ 0 for NCCF 0.
    expect(median(col(voiced, AUDIO_POV))).toBeLessThan(-1.2)
    expect(median(col(unvoiced, AUDIO_POV))).toBeGreaterThan(-0.6)
    expect(nccfToPov(1)).toBeGreaterThan(0.9)
    expect(nccfToPov(0)).toBeLessThan(0.01)
  })

  it('a steady pitch normalises to ≈ 0 with zero delta; a rising glide has positive delta', () => {
    const steady = audioFeatures(sine(150, 1))
    for (let t = 5; t < steady.frames - 5; t++) {
      expect(Math.abs(steady.seq[t * AUDIO_DIM + AUDIO_LOG_PITCH]!)).toBeLessThan(0.02)
      expect(Math.abs(steady.seq[t * AUDIO_DIM + AUDIO_DELTA_PITCH]!)).toBeLessThan(0.02)
    }
    // Exponential glide 100 → 200 Hz over 1 s: d ln f0 / frame = ln 2 / 100; Kaldi's delta (×10 scale,
    // regression over ±2 frames) gives 10 · ln2/100 ≈ 0.0693 per frame.
    const x = new Float32Array(SR)
    let phase = 0
    for (let i = 0; i < SR; i++) {
      phase += (2 * Math.PI * 100 * Math.pow(2, i / SR)) / SR
      x[i] = 0.3 * Math.sin(phase)
    }
    const glide = audioFeatures(x)
    const d = Array.from(
      { length: glide.frames - 20 },
      (_, k) => glide.seq[(k + 10) * AUDIO_DIM + AUDIO_DELTA_PITCH]!,
    )
    expect(Math.abs(median(d) - (10 * Math.LN2) / 100)).toBeLessThan(0.01)
    const tr = pitchTrack(x)
    expect(tr.f0[10]!).toBeLessThan(tr.f0[tr.frames - 10]!)
  })
})

describe('silence', () => {
  it('digital silence gives the floor energy log(FLT_EPSILON) in every channel and masks the modality', () => {
    const f = audioFeatures(new Float32Array(SR))
    expect(LOG_ENERGY_FLOOR).toBeCloseTo(Math.log(1.1920928955078125e-7), 10)
    for (let t = 0; t < f.frames; t++)
      for (let b = 0; b < 40; b++) expect(f.seq[t * AUDIO_DIM + b]).toBeCloseTo(LOG_ENERGY_FLOOR, 5)
    expect(f.present).toBe(false)
    expect(Array.from(f.pooled).every((v) => v === 0)).toBe(true)
    for (const v of f.seq) expect(Number.isFinite(v)).toBe(true)
  })

  it('quiet room noise (−70 dBFS) is above the floor and not masked; speech-level audio is louder still', () => {
    const quiet = audioFeatures(noise(SR, 3e-4))
    const loud = audioFeatures(sine(200, 1))
    expect(quiet.present).toBe(true)
    expect(quiet.seq[10 * AUDIO_DIM + 20]!).toBeGreaterThan(LOG_ENERGY_FLOOR + 5)
    expect(loud.pooled[5]!).toBeGreaterThan(quiet.pooled[5]!)
    expect(audioFeatures(new Float32Array(0)).frames).toBe(0)
  })
})

/**
 * Independent reference for one frame's 40 log-mel energies: the same recipe (DC removal,
 * pre-emphasis 0.97, Povey window, 512-point power spectrum, 40 triangles on the 1127·ln(1+f/700)
 * mel scale from 20 Hz to 8 kHz), but computed with a naive O(N²) DFT and filter weights evaluated
 * from the mel formula at each bin, with no shared code.
 */
function referenceLogMel(pcm: Float32Array, frame: number): number[] {
  const N = 400
  const x: number[] = []
  for (let i = 0; i < N; i++) x.push((pcm[frame * 160 + i] ?? 0) * 32768)
  const mean = x.reduce((a, b) => a + b, 0) / N
  const d = x.map((v) => v - mean)
  const p = d.map((v, i) => (i === 0 ? v - 0.97 * v : v - 0.97 * d[i - 1]!))
  const w = p.map((v, i) => v * Math.pow(0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (N - 1)), 0.85))
  const power: number[] = []
  for (let k = 0; k < 256; k++) {
    let re = 0
    let im = 0
    for (let n = 0; n < N; n++) {
      re += w[n]! * Math.cos((2 * Math.PI * k * n) / 512)
      im -= w[n]! * Math.sin((2 * Math.PI * k * n) / 512)
    }
    power.push(re * re + im * im)
  }
  const mel = (f: number) => 1127 * Math.log(1 + f / 700)
  const lo = mel(20)
  const hi = mel(8000)
  const out: number[] = []
  for (let m = 0; m < 40; m++) {
    const l = lo + (m * (hi - lo)) / 41
    const c = lo + ((m + 1) * (hi - lo)) / 41
    const r = lo + ((m + 2) * (hi - lo)) / 41
    let e = 0
    for (let k = 0; k < 256; k++) {
      const z = mel((k * 16000) / 512)
      const tri = z <= l || z >= r ? 0 : z <= c ? (z - l) / (c - l) : (r - z) / (r - c)
      e += tri * power[k]!
    }
    out.push(Math.log(Math.max(e, FLT_EPSILON)))
  }
  return out
}

describe('real FFT', () => {
  it.each([16, 32, 64, 128, 512, 1024])('power spectrum of size %d matches a naive DFT', (size) => {
    const x = noise(size - 3, 1, size) // shorter than size: the rest is zero padding
    const out = new Float64Array(size / 2 + 1)
    new RealFft(size).powerSpectrum(x, x.length, out)
    for (let k = 0; k <= size / 2; k++) {
      let re = 0
      let im = 0
      for (let n = 0; n < x.length; n++) {
        re += x[n]! * Math.cos((2 * Math.PI * k * n) / size)
        im -= x[n]! * Math.sin((2 * Math.PI * k * n) / size)
      }
      expect(Math.abs(out[k]! - (re * re + im * im))).toBeLessThan(1e-9 * size * size)
    }
    expect(() => new RealFft(100)).toThrow(/power of two/)
  })
})

describe('log-mel filterbank', () => {
  it('agrees with the independent reference within 1e-3 on noise, a chord and a chirp', () => {
    const chord = new Float32Array(8000)
    for (let i = 0; i < chord.length; i++)
      chord[i] = 0.2 * Math.sin((2 * Math.PI * 440 * i) / SR) + 0.1 * Math.sin((2 * Math.PI * 2500 * i) / SR)
    const chirp = new Float32Array(8000)
    for (let i = 0; i < chirp.length; i++)
      chirp[i] = 0.25 * Math.sin(2 * Math.PI * (100 * (i / SR) + 3000 * (i / SR) ** 2))
    const fb = new Fbank()
    for (const sig of [noise(8000, 0.1, 7), chord, chirp]) {
      const frames = numFrames(sig.length)
      const out = new Float32Array(frames * 40)
      fb.compute(sig, out, 40)
      for (const t of [0, 7, frames - 1]) {
        const ref = referenceLogMel(sig, t)
        for (let b = 0; b < 40; b++) expect(Math.abs(out[t * 40 + b]! - ref[b]!)).toBeLessThan(1e-3)
      }
    }
  })

  it('a 1 kHz tone puts its energy in the channel whose centre is nearest 1 kHz', () => {
    const f = audioFeatures(sine(1000, 0.5))
    const row = Array.from(f.seq.subarray(10 * AUDIO_DIM, 10 * AUDIO_DIM + 40))
    const peak = row.indexOf(Math.max(...row))
    const mel = (hz: number) => 1127 * Math.log(1 + hz / 700)
    const centres = Array.from({ length: 40 }, (_, m) => mel(20) + ((m + 1) * (mel(8000) - mel(20))) / 41)
    const want = centres.reduce(
      (best, c, m) => (Math.abs(c - mel(1000)) < Math.abs(centres[best]! - mel(1000)) ? m : best),
      0,
    )
    expect(peak).toBe(want)
  })
})
