/**
 * Per-utterance pooling of frame sequences. Owns the [mean, std] summary every pooled vector uses,
 * including the masked variant where some columns are only meaningful on some rows (face columns
 * exist only on frames with a face).
 */

/**
 * [mean(dims), std(dims)] over the rows of a row-major frames×dims sequence (population std).
 * With `rowMask` and `maskedCols`, the columns listed in maskedCols are pooled only over rows whose
 * mask is 1 (zeros when no row qualifies); every other column over all rows.
 */
export function poolMeanStd(
  seq: Float32Array,
  frames: number,
  dims: number,
  rowMask?: Uint8Array,
  maskedCols?: (col: number) => boolean,
): Float32Array {
  const out = new Float32Array(2 * dims)
  if (frames === 0) return out
  const sum = new Float64Array(dims)
  const sq = new Float64Array(dims)
  const cnt = new Float64Array(dims)
  const masked = new Uint8Array(dims)
  if (rowMask && maskedCols) for (let d = 0; d < dims; d++) masked[d] = maskedCols(d) ? 1 : 0
  for (let t = 0; t < frames; t++) {
    const on = !rowMask || rowMask[t] === 1
    const row = t * dims
    for (let d = 0; d < dims; d++) {
      if (masked[d] && !on) continue
      const v = seq[row + d]!
      sum[d] += v
      sq[d] += v * v
      cnt[d]++
    }
  }
  for (let d = 0; d < dims; d++) {
    if (cnt[d] === 0) continue
    const m = sum[d]! / cnt[d]!
    out[d] = m
    out[dims + d] = Math.sqrt(Math.max(0, sq[d]! / cnt[d]! - m * m))
  }
  return out
}
