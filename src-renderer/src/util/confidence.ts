/**
 * Confidence measures for the review queue: the top-label probability shown as a bar, and two
 * uncertainty scores to order the "least confident first" queue by (margin or normalised entropy).
 */
import type { UtteranceRow } from '@contract/contract'

export type UncertaintyMetric = 'margin' | 'entropy'

/** The model's confidence in its own label (0 when there is no prediction), whatever the user set. */
export function confidenceOf(row: UtteranceRow): number {
  const p = row.prediction
  if (!p) return 0
  return p.probabilities[p.label] ?? 0
}

/** 1 − (p1 − p2): 0 = sure, 1 = torn between two labels (the engine's own measure). */
export function marginUncertainty(probs: Record<string, number>): number {
  const v = Object.values(probs).sort((a, b) => b - a)
  if (!v.length) return 1
  return 1 - ((v[0] ?? 0) - (v[1] ?? 0))
}

/** Entropy of the distribution divided by log(K): 0 = one-hot, 1 = uniform. */
export function entropyUncertainty(probs: Record<string, number>): number {
  const v = Object.values(probs)
  if (v.length < 2) return 0
  const sum = v.reduce((a, b) => a + b, 0) || 1
  let h = 0
  for (const x of v) {
    const p = x / sum
    if (p > 0) h -= p * Math.log(p)
  }
  return h / Math.log(v.length)
}

/** Uncertainty of a row; rows without a prediction sort first (most in need of a look). */
export function uncertaintyOf(row: UtteranceRow, metric: UncertaintyMetric): number {
  const p = row.prediction
  if (!p) return 2
  return metric === 'margin' ? marginUncertainty(p.probabilities) : entropyUncertainty(p.probabilities)
}

/** Each field's review state in words (the row badge's tooltip; the review panel shows them as badges). */
export function fieldStates(row: UtteranceRow): string {
  return [
    `emotion: ${row.emotionProvenance ?? 'none'}`,
    `transcript: ${row.transcriptProvenance ?? 'empty'}`,
    `translation: ${row.translationProvenance ?? 'none'}`,
  ].join(' · ')
}

/** Strongest provenance of the row's values, for the row badge. */
export function rowProvenance(row: UtteranceRow): 'corrected' | 'accepted' | 'imported' | 'model' | 'none' {
  const all = [row.emotionProvenance, row.transcriptProvenance, row.translationProvenance]
  if (all.includes('corrected')) return 'corrected'
  if (row.emotionProvenance === 'accepted') return 'accepted'
  if (row.emotionProvenance === 'model' || row.translationProvenance === 'model') return 'model'
  if (all.includes('imported')) return 'imported'
  return 'none'
}
