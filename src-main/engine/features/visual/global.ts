/**
 * Global frame descriptors: brightness, colour moments and motion energy of an RGB24 frame. Owns the
 * 12 VIS_GLOBAL columns, which every sampled frame gets whether or not a face is visible, so that a
 * face-less scene (slides, a landscape, a back-turned speaker) still carries a visual signal.
 */
import { VIS_GLOBAL, VIS_GLOBAL_DIM } from '../types'

/** Motion is measured on a grid of every MOTION_STEP-th pixel (both axes): cheap and size-stable. */
const MOTION_STEP = 4
const MOMENT_STEP = 2

/** A frame as the sampler yields it: RGB24, row-major, width·height·3 bytes. */
export interface RgbFrame {
  /** Presentation time in seconds from the start of the file. */
  time: number
  width: number
  height: number
  data: Uint8Array
}

/** Subsampled luma plane kept from the previous frame for motion energy. */
export interface LumaGrid {
  width: number
  height: number
  values: Float32Array
}

/** Running raw moments (Σx, Σx², Σx³) of one 0..255 channel. */
class Moments {
  private n = 0
  private s = 0
  private s2 = 0
  private s3 = 0

  add(x: number): void {
    this.n++
    this.s += x
    this.s2 += x * x
    this.s3 += x * x * x
  }

  /** [mean / 255, standard deviation / 255, skewness]. */
  scaled(): [number, number, number] {
    const m = this.s / this.n
    const v = Math.max(0, this.s2 / this.n - m * m)
    const sd = Math.sqrt(v)
    // Third central moment from raw moments: E[x³] − 3mE[x²] + 2m³.
    const c3 = this.s3 / this.n - 3 * m * (this.s2 / this.n) + 2 * m * m * m
    const skew = sd > 1e-6 ? c3 / (sd * sd * sd) : 0
    return [m / 255, sd / 255, skew]
  }
}

/**
 * Writes the 12 global descriptors of `frame` into `out` at `offset + VIS_GLOBAL` and returns the
 * luma grid for the next frame's motion. Pixel values are on the 0..1 scale; luma is BT.601.
 * Motion energy = mean |Δluma| over the grid against `prev` (0 when there is no previous frame or its
 * size differs).
 */
export function globalDescriptors(
  frame: RgbFrame,
  prev: LumaGrid | null,
  out: Float32Array,
  offset = 0,
): LumaGrid {
  const { width, height, data } = frame
  const n = width * height
  if (data.length < n * 3)
    throw new Error(`frame data has ${data.length} bytes, expected ${n * 3} for ${width}×${height} RGB24`)
  const red = new Moments()
  const green = new Moments()
  const blue = new Moments()
  const luma = new Moments()
  // Moments over every MOMENT_STEP-th pixel of every MOMENT_STEP-th row: a quarter of the work for
  // statistics that differ from the full-frame ones by far less than frame-to-frame variation.
  for (let yy = 0; yy < height; yy += MOMENT_STEP)
    for (let xx = 0, p = yy * width * 3; xx < width; xx += MOMENT_STEP, p += 3 * MOMENT_STEP) {
      const r = data[p]!
      const g = data[p + 1]!
      const b = data[p + 2]!
      red.add(r)
      green.add(g)
      blue.add(b)
      luma.add(0.299 * r + 0.587 * g + 0.114 * b)
    }
  const [mr, sdr, kr] = red.scaled()
  const [mg, sdg, kg] = green.scaled()
  const [mb, sdb, kb] = blue.scaled()
  const [my, sdy] = luma.scaled()

  const gw = Math.ceil(width / MOTION_STEP)
  const gh = Math.ceil(height / MOTION_STEP)
  const grid = new Float32Array(gw * gh)
  for (let gy = 0; gy < gh; gy++)
    for (let gx = 0; gx < gw; gx++) {
      const p = (gy * MOTION_STEP * width + gx * MOTION_STEP) * 3
      grid[gy * gw + gx] = (0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!) / 255
    }
  let motion = 0
  if (prev && prev.width === gw && prev.height === gh) {
    let s = 0
    for (let i = 0; i < grid.length; i++) s += Math.abs(grid[i]! - prev.values[i]!)
    motion = s / grid.length
  }
  const o = offset + VIS_GLOBAL
  const vals = [my, sdy, mr, mg, mb, sdr, sdg, sdb, kr, kg, kb, motion]
  for (let i = 0; i < VIS_GLOBAL_DIM; i++) out[o + i] = vals[i]!
  return { width: gw, height: gh, values: grid }
}
