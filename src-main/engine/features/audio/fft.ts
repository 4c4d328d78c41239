/**
 * Power spectrum of a real frame. Owns the one FFT the audio features use: a radix-2 complex FFT of
 * half length on the even/odd-packed real input, unpacked into the real signal's spectrum.
 *
 * Why hand-written: the audio path must run ≥ 200× real time on one core in plain Node; a packed
 * real FFT with precomputed twiddles and bit-reversal does a 512-point frame in a few microseconds
 * and allocates nothing per frame.
 */

export class RealFft {
  readonly size: number
  private readonly half: number
  private readonly rev: Uint32Array
  private readonly cosT: Float64Array
  private readonly sinT: Float64Array
  /** e^{-2πik/N} for the unpacking step, k = 0..N/2. */
  private readonly cosU: Float64Array
  private readonly sinU: Float64Array
  private readonly re: Float64Array
  private readonly im: Float64Array

  /** @param size power of two ≥ 16 (the padded frame length). */
  constructor(size: number) {
    if (size < 16 || (size & (size - 1)) !== 0)
      throw new Error(`FFT size must be a power of two ≥ 16, got ${size}`)
    this.size = size
    const h = size >> 1
    this.half = h
    const bits = Math.log2(h)
    this.rev = new Uint32Array(h)
    for (let i = 0; i < h; i++) {
      let r = 0
      for (let b = 0; b < bits; b++) if (i & (1 << b)) r |= 1 << (bits - 1 - b)
      this.rev[i] = r
    }
    this.cosT = new Float64Array(h / 2)
    this.sinT = new Float64Array(h / 2)
    for (let i = 0; i < h / 2; i++) {
      this.cosT[i] = Math.cos((2 * Math.PI * i) / h)
      this.sinT[i] = -Math.sin((2 * Math.PI * i) / h)
    }
    this.cosU = new Float64Array(h + 1)
    this.sinU = new Float64Array(h + 1)
    for (let k = 0; k <= h; k++) {
      this.cosU[k] = Math.cos((2 * Math.PI * k) / size)
      this.sinU[k] = -Math.sin((2 * Math.PI * k) / size)
    }
    this.re = new Float64Array(h)
    this.im = new Float64Array(h)
  }

  /**
   * Writes |X[k]|² for k = 0..size/2 (inclusive) into `out` (length ≥ size/2 + 1).
   * `frame` holds up to `size` samples; missing samples count as zero padding.
   */
  powerSpectrum(frame: ArrayLike<number>, frameLength: number, out: Float64Array): void {
    const h = this.half
    const re = this.re
    const im = this.im
    const rev = this.rev
    for (let n = 0; n < h; n++) {
      const a = 2 * n
      const r = rev[n]!
      re[r] = a < frameLength ? frame[a]! : 0
      im[r] = a + 1 < frameLength ? frame[a + 1]! : 0
    }
    // Stages 1 and 2 as one radix-4 pass: their twiddles are 1 and −i, so no multiplies.
    for (let i = 0; i < h; i += 4) {
      const ar = re[i]! + re[i + 1]!
      const ai = im[i]! + im[i + 1]!
      const br = re[i]! - re[i + 1]!
      const bi = im[i]! - im[i + 1]!
      const cr = re[i + 2]! + re[i + 3]!
      const ci = im[i + 2]! + im[i + 3]!
      const dr = re[i + 2]! - re[i + 3]!
      const di = im[i + 2]! - im[i + 3]!
      re[i] = ar + cr
      im[i] = ai + ci
      re[i + 2] = ar - cr
      im[i + 2] = ai - ci
      // (dr + i·di)·(−i) = di − i·dr
      re[i + 1] = br + di
      im[i + 1] = bi - dr
      re[i + 3] = br - di
      im[i + 3] = bi + dr
    }
    // Remaining stages two at a time (radix-2²): stages of length L and 2L share one load/store of
    // the 4 points a, b = a + L/2, c = a + L, d = c + L/2. Twiddles: stage L uses w1 = W_2L^{2j} on
    // (a,b) and (c,d); stage 2L uses w2 = W_2L^j on (a,c) and −i·w2 on (b,d). With h = 4^k·2 the
    // last stage is left over and done alone.
    const cosT = this.cosT
    const sinT = this.sinT
    let len = 8
    for (; len * 2 <= h; len <<= 2) {
      const q1 = len >> 1 // half of stage L
      const step2 = h / (2 * len) // twiddle index step for W_2L
      for (let j = 0; j < q1; j++) {
        const w1r = cosT[2 * j * step2]!
        const w1i = sinT[2 * j * step2]!
        const w2r = cosT[j * step2]!
        const w2i = sinT[j * step2]!
        for (let i0 = j; i0 < h; i0 += 2 * len) {
          const ia = i0
          const ib = i0 + q1
          const ic = i0 + len
          const id = ic + q1
          // stage L
          let tr = re[ib]! * w1r - im[ib]! * w1i
          let ti = re[ib]! * w1i + im[ib]! * w1r
          const ar = re[ia]! + tr
          const ai = im[ia]! + ti
          const br = re[ia]! - tr
          const bi = im[ia]! - ti
          tr = re[id]! * w1r - im[id]! * w1i
          ti = re[id]! * w1i + im[id]! * w1r
          const cr = re[ic]! + tr
          const ci = im[ic]! + ti
          const dr = re[ic]! - tr
          const di = im[ic]! - ti
          // stage 2L
          const xr = cr * w2r - ci * w2i
          const xi = cr * w2i + ci * w2r
          re[ia] = ar + xr
          im[ia] = ai + xi
          re[ic] = ar - xr
          im[ic] = ai - xi
          // (−i·w2)·d = −i·(yr + i·yi) = yi − i·yr, y = w2·d
          const yr = dr * w2r - di * w2i
          const yi = dr * w2i + di * w2r
          re[ib] = br + yi
          im[ib] = bi - yr
          re[id] = br - yi
          im[id] = bi + yr
        }
      }
    }
    for (; len <= h; len <<= 1) {
      const halfLen = len >> 1
      const step = h / len
      for (let j = 0, t = 0; j < halfLen; j++, t += step) {
        const wr = cosT[t]!
        const wi = sinT[t]!
        for (let p = j; p < h; p += len) {
          const q = p + halfLen
          const qr = re[q]!
          const qi = im[q]!
          const xr = qr * wr - qi * wi
          const xi = qr * wi + qi * wr
          const pr = re[p]!
          const pi = im[p]!
          re[q] = pr - xr
          im[q] = pi - xi
          re[p] = pr + xr
          im[p] = pi + xi
        }
      }
    }
    // Unpack: X[k] = E[k] + W^k O[k], E = (Z[k] + conj Z[h-k]) / 2, O = (Z[k] - conj Z[h-k]) / 2i.
    const cosU = this.cosU
    const sinU = this.sinU
    for (let k = 0; k <= h; k++) {
      const k1 = k === h ? 0 : k
      const k2 = k === 0 ? 0 : h - k
      const zr = re[k1]!
      const zi = im[k1]!
      const cr = re[k2]!
      const ci = -im[k2]!
      const er = 0.5 * (zr + cr)
      const ei = 0.5 * (zi + ci)
      // (Z - conjZ') / 2i = (di + i·(-dr)) / 2 where d = Z - conjZ'
      const dr = zr - cr
      const di = zi - ci
      const or = 0.5 * di
      const oi = -0.5 * dr
      const wr = cosU[k]!
      const wi = sinU[k]!
      const xr = er + or * wr - oi * wi
      const xi = ei + or * wi + oi * wr
      out[k] = xr * xr + xi * xi
    }
  }
}
