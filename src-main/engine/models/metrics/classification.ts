/**
 * Classification metrics for the emotion head. Owns: accuracy, per-class precision/recall/F1,
 * macro F1 (unweighted mean over classes), weighted F1 (mean weighted by gold support, MELD's
 * standard metric) and the confusion matrix (rows = gold, columns = predicted).
 *
 * Conventions (same as scikit-learn's defaults with zero_division=0): a class with no predictions
 * has precision 0; a class with no gold examples has recall 0 and does not count in weighted F1
 * (support 0); macro F1 averages over the classes that occur in gold or predictions.
 */

export interface ClassMetrics {
  precision: number
  recall: number
  f1: number
  support: number
}

export interface ClassificationReport {
  n: number
  accuracy: number
  macroF1: number
  weightedF1: number
  labels: string[]
  perClass: Record<string, ClassMetrics>
  /** confusion[i][j] = number of items with gold labels[i] predicted as labels[j]. */
  confusion: number[][]
}

/** Metrics for predicted vs gold class indices over `labels`. */
export function classificationReport(
  gold: readonly number[],
  pred: readonly number[],
  labels: readonly string[],
): ClassificationReport {
  if (gold.length !== pred.length)
    throw new Error(`metrics: ${gold.length} gold labels but ${pred.length} predictions`)
  const K = labels.length
  const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0))
  let correct = 0
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i]!
    const p = pred[i]!
    if (!(g >= 0 && g < K) || !(p >= 0 && p < K))
      throw new Error(`metrics: class index out of range at item ${i} (gold ${g}, predicted ${p})`)
    confusion[g]![p]!++
    if (g === p) correct++
  }
  const perClass: Record<string, ClassMetrics> = {}
  let macroSum = 0
  let macroCount = 0
  let weighted = 0
  for (let k = 0; k < K; k++) {
    const tp = confusion[k]![k]!
    const support = confusion[k]!.reduce((a, b) => a + b, 0)
    const predicted = confusion.reduce((a, row) => a + row[k]!, 0)
    const precision = predicted ? tp / predicted : 0
    const recall = support ? tp / support : 0
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0
    perClass[labels[k]!] = { precision, recall, f1, support }
    if (support > 0 || predicted > 0) {
      macroSum += f1
      macroCount++
    }
    weighted += f1 * support
  }
  const n = gold.length
  return {
    n,
    accuracy: n ? correct / n : 0,
    macroF1: macroCount ? macroSum / macroCount : 0,
    weightedF1: n ? weighted / n : 0,
    labels: [...labels],
    perClass,
    confusion,
  }
}

/** Index of the largest value in each row of a row-major [n, k] array. */
export function argmaxRows(probs: ArrayLike<number>, k: number): number[] {
  const n = probs.length / k
  const out = new Array<number>(n)
  for (let i = 0; i < n; i++) {
    let best = 0
    for (let j = 1; j < k; j++) if (probs[i * k + j]! > probs[i * k + best]!) best = j
    out[i] = best
  }
  return out
}
