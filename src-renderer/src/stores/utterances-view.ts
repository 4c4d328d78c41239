/**
 * The review view of the utterances store: the rows as the table shows them, filtered (text,
 * emotion, provenance, confidence), then sorted or queued (unreviewed rows, least confident first).
 */
import { computed, ref, type Ref } from 'vue'
import type { UtteranceRow } from '@contract/contract'
import { confidenceOf, rowProvenance, uncertaintyOf, type UncertaintyMetric } from '../util/confidence'
import { byTime } from './utterances-rows'

export type SortKey = 'time' | 'confidence' | 'emotion' | 'provenance'
export type ProvenanceFilter = 'all' | 'model' | 'corrected' | 'accepted' | 'unreviewed' | 'unlabelled'

/** The filter settings of the view, read once per recomputation. */
interface RowFilter {
  text: string
  emotion: string
  provenance: ProvenanceFilter
  confidenceBelow: number | null
}

/** Whether `r` passes every filter of `f` (`f.text` already trimmed and lower-cased). */
function passesFilter(r: UtteranceRow, f: RowFilter): boolean {
  const { text, emotion: emo, provenance: prov } = f
  if (
    text &&
    !r.transcript.toLowerCase().includes(text) &&
    !(r.translation ?? '').toLowerCase().includes(text)
  )
    return false
  if (emo !== 'all' && (r.emotion ?? r.prediction?.label ?? '') !== emo) return false
  if (f.confidenceBelow !== null && (!r.prediction || confidenceOf(r) >= f.confidenceBelow)) return false
  if (prov !== 'all') {
    const p = rowProvenance(r)
    if (prov === 'unreviewed' && (p === 'corrected' || p === 'accepted')) return false
    if (prov === 'unlabelled' && (r.emotion ?? r.prediction?.label)) return false
    if ((prov === 'model' || prov === 'corrected' || prov === 'accepted') && p !== prov) return false
  }
  return true
}

/** The review queue: unreviewed rows, least confident first. */
function queued(rows: UtteranceRow[], m: UncertaintyMetric): UtteranceRow[] {
  return rows
    .filter((r) => r.emotionProvenance !== 'corrected' && r.emotionProvenance !== 'accepted')
    .map((r) => [uncertaintyOf(r, m), r] as const)
    .sort((a, b) => b[0] - a[0] || byTime(a[1], b[1]))
    .map(([, r]) => r)
}

/** `rows` (in time order) sorted by `key`, descending when `desc`; ties in time order. */
function sorted(rows: UtteranceRow[], key: SortKey, desc: boolean, m: UncertaintyMetric): UtteranceRow[] {
  const dir = desc ? -1 : 1
  switch (key) {
    case 'time':
      return desc ? [...rows].reverse() : rows
    case 'confidence': {
      return rows
        .map((r) => [uncertaintyOf(r, m), r] as const)
        .sort((a, b) => dir * (a[0] - b[0]) || byTime(a[1], b[1]))
        .map(([, r]) => r)
    }
    case 'emotion': {
      // Unlabelled rows go last in either direction.
      const lab = (r: UtteranceRow) => r.emotion ?? r.prediction?.label ?? null
      return [...rows].sort((a, b) => {
        const la = lab(a)
        const lb = lab(b)
        if (la === lb) return byTime(a, b)
        if (la === null) return 1
        if (lb === null) return -1
        return dir * la.localeCompare(lb) || byTime(a, b)
      })
    }
    case 'provenance':
      return [...rows].sort((a, b) => dir * rowProvenance(a).localeCompare(rowProvenance(b)) || byTime(a, b))
  }
  return rows
}

/** The view's settings and the rows it shows, over `rows` (in time order). */
export function useReviewView(rows: Ref<UtteranceRow[]>) {
  const sortKey = ref<SortKey>('time')
  const sortDesc = ref(false)
  const filterText = ref('')
  const filterEmotion = ref<string>('all')
  const filterProvenance = ref<ProvenanceFilter>('all')
  /** Only rows whose model confidence is below this (the dashboard's histogram threshold); null = all. */
  const confidenceBelow = ref<number | null>(null)
  /** Review queue: unreviewed rows, least confident first. */
  const queueMode = ref(false)
  const metric = ref<UncertaintyMetric>('margin')

  /** The rows as the table shows them: filtered, then sorted (or queued). */
  const view = computed<UtteranceRow[]>(() => {
    const filter: RowFilter = {
      text: filterText.value.trim().toLowerCase(),
      emotion: filterEmotion.value,
      provenance: filterProvenance.value,
      confidenceBelow: confidenceBelow.value,
    }
    const out = rows.value.filter((r) => passesFilter(r, filter))
    if (queueMode.value) return queued(out, metric.value)
    return sorted(out, sortKey.value, sortDesc.value, metric.value)
  })

  const reviewedCount = computed(
    () =>
      rows.value.filter((r) => r.emotionProvenance === 'corrected' || r.emotionProvenance === 'accepted')
        .length,
  )

  return {
    sortKey,
    sortDesc,
    filterText,
    filterEmotion,
    filterProvenance,
    confidenceBelow,
    queueMode,
    metric,
    view,
    reviewedCount,
  }
}
