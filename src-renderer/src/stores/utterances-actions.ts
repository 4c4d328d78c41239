/**
 * The keyboard loop's actions on the selected row (accept, relabel, edit text, nudge bounds, split,
 * merge), each one correction through the edit pipeline, and the translations a transcript
 * correction has made stale.
 */
import { ref, type ComputedRef, type Ref } from 'vue'
import type { Edit, EditResult, UtteranceRow } from '@contract/contract'

/** What the actions read: the rows, the selected row, and `apply` of the edit pipeline. */
export interface RowActionDeps {
  rows: Ref<UtteranceRow[]>
  byId: ComputedRef<Map<string, UtteranceRow>>
  selected: ComputedRef<UtteranceRow | null>
  apply: (edit: Edit) => Promise<EditResult>
}

/** Convenience actions on the selected row, and the stale-translation flags. */
export function useRowActions({ rows, byId, selected, apply }: RowActionDeps) {
  const withSelected = (fn: (row: UtteranceRow) => Edit | null) => async (): Promise<EditResult | null> => {
    const row = selected.value
    if (!row) return null
    const e = fn(row)
    return e ? apply(e) : null
  }
  /** Confirms the selected row's predicted emotion (only the emotion). */
  const accept = withSelected((r) => ({ kind: 'accept', utteranceId: r.id, field: 'emotion' }))
  /** Confirms the selected row's machine translation as human data (its own action). */
  const acceptTranslation = withSelected((r) =>
    r.translationProvenance === 'model' ? { kind: 'accept', utteranceId: r.id, field: 'translation' } : null,
  )
  const relabel = (emotion: string) => withSelected((r) => ({ kind: 'label', utteranceId: r.id, emotion }))()
  /** Rows whose model translation was made from a transcript the user has since corrected. */
  const staleTranslations = ref<Set<string>>(new Set())
  const setTranscript = async (id: string, text: string) => {
    const r = await apply({ kind: 'transcript', utteranceId: id, text })
    if (byId.value.get(id)?.translationProvenance === 'model')
      staleTranslations.value = new Set([...staleTranslations.value, id])
    return r
  }
  /** After inference re-ran (and re-translated from the current transcripts). */
  function clearStale(): void {
    staleTranslations.value = new Set()
  }
  const setTranslation = (id: string, text: string) => apply({ kind: 'translation', utteranceId: id, text })
  /** Moves the start (edge 'start') or end of the selected row by `delta` seconds. */
  const nudge = (edge: 'start' | 'end', delta: number) =>
    withSelected((r) => {
      const start = Math.max(0, edge === 'start' ? r.start + delta : r.start)
      const end = edge === 'end' ? r.end + delta : r.end
      if (end - start < 0.02) return null
      return { kind: 'bounds', utteranceId: r.id, start: round3(start), end: round3(end) }
    })()
  /** Splits the selected row at `at` (its middle when `at` falls outside it). */
  const split = (at: number | null) =>
    withSelected((r) => {
      const t = at != null && at > r.start + 0.02 && at < r.end - 0.02 ? at : (r.start + r.end) / 2
      return { kind: 'split', utteranceId: r.id, at: round3(t) }
    })()
  /** Merges the selected row with the next one in time. */
  const mergeNext = withSelected((r) => {
    const same = rows.value.filter((x) => x.mediaId === r.mediaId)
    const i = same.findIndex((x) => x.id === r.id)
    const next = same[i + 1]
    return next ? { kind: 'merge', utteranceId: r.id, withNextId: next.id } : null
  })

  return {
    accept,
    acceptTranslation,
    relabel,
    setTranscript,
    setTranslation,
    staleTranslations,
    clearStale,
    nudge,
    split,
    mergeNext,
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000
}
