/**
 * Learning-rate schedules of the training core, one per task as each was trained: linear warm-up
 * then cosine decay to a floor (emotion), and linear warm-up then inverse square root (the
 * Transformer's "Noam" schedule without the d_model factor; translation).
 */

export interface WarmupCosine {
  /** Peak learning rate. */
  lr: number
  /** Steps of linear warm-up from lr/10. */
  warmupSteps: number
  /** Total steps the cosine decay spans. */
  totalSteps: number
  /** Final learning rate as a fraction of the peak. */
  floor: number
}

/** Warm-up + cosine: the learning rate before update `step` (0-based). */
export function warmupCosineAt(s: WarmupCosine, step: number): number {
  if (step < s.warmupSteps) return s.lr * (0.1 + (0.9 * step) / Math.max(1, s.warmupSteps))
  const p = Math.min(1, (step - s.warmupSteps) / Math.max(1, s.totalSteps - s.warmupSteps))
  return s.lr * (s.floor + (1 - s.floor) * 0.5 * (1 + Math.cos(Math.PI * p)))
}

/** Warm-up + inverse square root: peak at `warmup`; `step` is 1-based (the update being made). */
export function inverseSqrtAt(step: number, peak: number, warmup: number): number {
  const s = Math.max(1, step)
  return peak * Math.min(s / warmup, Math.sqrt(warmup / s))
}
