/**
 * The review dashboard of a project: reviewed/total per media file, the label distribution (model
 * vs human), the confusion matrix of the model's predictions against human labels on reviewed
 * utterances, and the confidence histogram. One function over the utterance rows, so the day
 * review state becomes per field it is the only place that changes what "reviewed" means.
 */
import type { MediaInfo, UtteranceRow } from '../project/types'
import type { ReviewDashboard } from './types'

export const CONFIDENCE_BINS = 10

/** The human label of a row (accepted or corrected), or null when nobody has looked at it. */
export function humanLabel(r: UtteranceRow): string | null {
  return r.emotion != null && (r.emotionProvenance === 'corrected' || r.emotionProvenance === 'accepted')
    ? r.emotion
    : null
}

/** Top class probability of a prediction (the model's confidence). */
export function confidenceOf(r: UtteranceRow): number | null {
  if (!r.prediction) return null
  const v = Object.values(r.prediction.probabilities)
  return v.length ? Math.max(...v) : null
}

export function computeDashboard(media: MediaInfo[], rows: UtteranceRow[]): ReviewDashboard {
  const perMedia = new Map(media.map((m) => [m.id, { mediaId: m.id, name: m.name, reviewed: 0, total: 0 }]))
  const labels = new Map<string, { label: string; model: number; corrected: number; accepted: number }>()
  const lab = (l: string) => {
    let e = labels.get(l)
    if (!e) labels.set(l, (e = { label: l, model: 0, corrected: 0, accepted: 0 }))
    return e
  }
  const pairs: [string, string][] = []
  const bins = new Array<number>(CONFIDENCE_BINS).fill(0)
  const reviewedBins = new Array<number>(CONFIDENCE_BINS).fill(0)
  let reviewed = 0
  for (const r of rows) {
    const m = perMedia.get(r.mediaId)
    const human = humanLabel(r)
    if (m) {
      m.total++
      if (human !== null) m.reviewed++
    }
    if (human !== null) {
      reviewed++
      lab(human)[r.emotionProvenance === 'corrected' ? 'corrected' : 'accepted']++
    }
    if (r.prediction) {
      lab(String(r.prediction.label)).model++
      const c = confidenceOf(r)
      if (c !== null) {
        const b = Math.min(CONFIDENCE_BINS - 1, Math.floor(c * CONFIDENCE_BINS))
        bins[b]++
        if (human !== null) reviewedBins[b]++
      }
      if (human !== null) pairs.push([String(r.prediction.label), human])
    }
  }
  const names = [...new Set(pairs.flat())].sort()
  const idx = new Map(names.map((n, i) => [n, i]))
  const counts = names.map(() => new Array<number>(names.length).fill(0))
  for (const [p, h] of pairs) counts[idx.get(p)!]![idx.get(h)!]!++
  return {
    media: [...perMedia.values()],
    labels: [...labels.values()].sort((a, b) => a.label.localeCompare(b.label)),
    confusion: { labels: names, counts },
    confidence: { bins, reviewed: reviewedBins },
    reviewed,
    total: rows.length,
  }
}
