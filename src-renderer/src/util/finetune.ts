/**
 * Reads a fine-tune job's result for the charts. The job result is `unknown` in the contract, so
 * this accepts the shapes the engine reports — `{ before, after }` metric objects (emotion: scores
 * in [0, 1]; translation: BLEU and chrF on 0–100), each optionally
 * carrying a confusion matrix (`confusion` or `confusionMatrix`, rows = true label) and `labels` —
 * and ignores anything else rather than guessing.
 */

export interface MetricPair {
  name: string
  /** In [0, 1] (BLEU and chrF are reported 0–100 and stored here divided by 100). */
  before: number
  after: number
  /** Show as a 0–100 score (BLEU, chrF) rather than a fraction. */
  percent?: boolean
}

/** Translation scores the engine reports on a 0–100 scale. */
const PERCENT_SCORES: Record<string, string> = { bleu: 'BLEU', chrf: 'chrF' }

export interface Confusion {
  labels: string[]
  matrix: number[][]
}

export interface FinetuneView {
  /** Overall scores in [0, 1] (accuracy, macro/weighted F1…). */
  metrics: MetricPair[]
  /** Per-label F1 before/after, when reported. */
  perClass: MetricPair[]
  /** Size of the held-out split and of the training set, when reported. */
  heldOut: number | null
  trained: number | null
  before: Confusion | null
  after: Confusion | null
  modelDir: string | null
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v)

function confusionOf(m: unknown, fallbackLabels: unknown): Confusion | null {
  if (!isObj(m)) return null
  const raw = m.confusion ?? m.confusionMatrix
  const matrix = isObj(raw) && Array.isArray(raw.matrix) ? raw.matrix : raw
  const labels = (isObj(raw) && Array.isArray(raw.labels) ? raw.labels : m.labels) ?? fallbackLabels
  if (
    !Array.isArray(matrix) ||
    !matrix.every((r) => Array.isArray(r) && r.every((x) => typeof x === 'number'))
  )
    return null
  const ls = Array.isArray(labels) ? labels.map(String) : matrix.map((_, i) => String(i))
  if (ls.length !== matrix.length) return null
  return { labels: ls, matrix: matrix as number[][] }
}

export function parseFinetuneResult(result: unknown): FinetuneView | null {
  if (!isObj(result)) return null
  const metricsRoot = isObj(result.metrics) ? result.metrics : result
  const before = metricsRoot.before
  const after = metricsRoot.after
  if (!isObj(before) || !isObj(after)) return null
  const pairs = (b: Record<string, unknown>, a: Record<string, unknown>): MetricPair[] => {
    const out: MetricPair[] = []
    for (const [k, v] of Object.entries(b)) {
      const x = a[k]
      const pct = PERCENT_SCORES[k]
      if (pct && typeof v === 'number' && typeof x === 'number' && v >= 0 && v <= 100 && x >= 0 && x <= 100) {
        out.push({ name: pct, before: v / 100, after: x / 100, percent: true })
        continue
      }
      // Scores only: counts such as `n` would dwarf them on a shared axis.
      if (typeof v === 'number' && typeof x === 'number' && v >= 0 && v <= 1 && x >= 0 && x <= 1)
        out.push({ name: k, before: v, after: x })
    }
    return out
  }
  const metrics = pairs(before, after)
  const perClass =
    isObj(before.perClass) && isObj(after.perClass) ? pairs(before.perClass, after.perClass) : []
  const num = (...xs: unknown[]) => (xs.find((x) => typeof x === 'number') as number | undefined) ?? null
  const modelDir = [result.modelDir, result.outDir, result.out, result.model, result.dir].find(
    (x) => typeof x === 'string',
  ) as string | undefined
  return {
    metrics,
    perClass,
    heldOut: num(result.heldOutCount, before.n),
    trained: num(result.trainCount, result.used),
    before: confusionOf(before, result.labels),
    after: confusionOf(after, result.labels),
    modelDir: modelDir ?? null,
  }
}
