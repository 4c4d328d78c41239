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
  let sr = 0
  let sg = 0
  let sb = 0
  let sr2 = 0
  let sg2 = 0
  let sb2 = 0
  let sr3 = 0
  let sg3 = 0
  let sb3 = 0
  let sy = 0
  let sy2 = 0
  // Moments over every MOMENT_STEP-th pixel of every MOMENT_STEP-th row: a quarter of the work for
  // statistics that differ from the full-frame ones by far less than frame-to-frame variation.
  let count = 0
  for (let yy = 0; yy < height; yy += MOMENT_STEP)
    for (let xx = 0, p = yy * width * 3; xx < width; xx += MOMENT_STEP, p += 3 * MOMENT_STEP) {
      count++
      const r = data[p]!
      const g = data[p + 1]!
      const b = data[p + 2]!
      const y = 0.299 * r + 0.587 * g + 0.114 * b
      sr += r
      sg += g
      sb += b
      sr2 += r * r
      sg2 += g * g
      sb2 += b * b
      sr3 += r * r * r
      sg3 += g * g * g
      sb3 += b * b * b
      sy += y
      sy2 += y * y
    }
  const moments = (s: number, s2: number, s3: number): [number, number, number] => {
    const m = s / count
    const v = Math.max(0, s2 / count - m * m)
    const sd = Math.sqrt(v)
    // Third central moment from raw moments: E[x³] − 3mE[x²] + 2m³.
    const c3 = s3 / count - 3 * m * (s2 / count) + 2 * m * m * m
    const skew = sd > 1e-6 ? c3 / (sd * sd * sd) : 0
    return [m / 255, sd / 255, skew]
  }
  const [mr, sdr, kr] = moments(sr, sr2, sr3)
  const [mg, sdg, kg] = moments(sg, sg2, sg3)
  const [mb, sdb, kb] = moments(sb, sb2, sb3)
  const my = sy / count
  const sdy = Math.sqrt(Math.max(0, sy2 / count - my * my))

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
  const vals = [my / 255, sdy / 255, mr, mg, mb, sdr, sdg, sdb, kr, kg, kb, motion]
  for (let i = 0; i < VIS_GLOBAL_DIM; i++) out[o + i] = vals[i]!
  return { width: gw, height: gh, values: grid }
}
