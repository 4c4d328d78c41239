/**
 * The utterances of the current media and every correction made to them. Owns: the rows (mirrored
 * from the engine), the review view (sort, filter, least-confident-first queue), the selection, and
 * the edit pipeline. Every edit goes through `edits.apply`, which resolves only when the change is
 * durable in the project file; the save state shown to the user is derived from those answers.
 * Edits are sent one at a time, in order, so undo/redo in the engine sees them as typed.
 */
import { defineStore, acceptHMRUpdate } from 'pinia'
import { computed, ref, shallowRef, triggerRef } from 'vue'
import type { Edit, EditResult, UtteranceRow } from '@contract/contract'
import { useApi } from '../api'
import { confidenceOf, rowProvenance, uncertaintyOf, type UncertaintyMetric } from '../util/confidence'

export type SortKey = 'time' | 'confidence' | 'emotion' | 'provenance'
export type ProvenanceFilter = 'all' | 'model' | 'corrected' | 'accepted' | 'unreviewed' | 'unlabelled'
export type SaveState = 'idle' | 'saving' | 'saved' | 'error'

function byTime(a: UtteranceRow, b: UtteranceRow): number {
  return a.mediaId === b.mediaId ? a.start - b.start || a.end - b.end : a.mediaId < b.mediaId ? -1 : 1
}

export const useUtterancesStore = defineStore('utterances', () => {
  /** Rows in time order. A shallowRef: 10,000 rows must not become 10,000 deep proxies. */
  const rows = shallowRef<UtteranceRow[]>([])
  const mediaId = ref<string | null>(null)
  const loading = ref(false)
  const loadError = ref<string | null>(null)
  const selectedId = ref<string | null>(null)

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

  const saveState = ref<SaveState>('idle')
  const saveError = ref<string | null>(null)
  const lastHistoryId = ref<number | null>(null)
  const lastSavedAt = ref<number | null>(null)
  const pending = ref(0)
  const canUndo = ref(false)
  const canRedo = ref(false)
  let chain: Promise<unknown> = Promise.resolve()

  const byId = computed(() => new Map(rows.value.map((r) => [r.id, r])))
  const selected = computed(() => (selectedId.value ? (byId.value.get(selectedId.value) ?? null) : null))

  /** The rows as the table shows them: filtered, then sorted (or queued). */
  const view = computed<UtteranceRow[]>(() => {
    const text = filterText.value.trim().toLowerCase()
    const emo = filterEmotion.value
    const prov = filterProvenance.value
    let out = rows.value.filter((r) => {
      if (
        text &&
        !r.transcript.toLowerCase().includes(text) &&
        !(r.translation ?? '').toLowerCase().includes(text)
      )
        return false
      if (emo !== 'all' && (r.emotion ?? r.prediction?.label ?? '') !== emo) return false
      if (confidenceBelow.value !== null && (!r.prediction || confidenceOf(r) >= confidenceBelow.value))
        return false
      if (prov !== 'all') {
        const p = rowProvenance(r)
        if (prov === 'unreviewed' && (p === 'corrected' || p === 'accepted')) return false
        if (prov === 'unlabelled' && (r.emotion ?? r.prediction?.label)) return false
        if ((prov === 'model' || prov === 'corrected' || prov === 'accepted') && p !== prov) return false
      }
      return true
    })
    if (queueMode.value) {
      const m = metric.value
      out = out
        .filter((r) => r.emotionProvenance !== 'corrected' && r.emotionProvenance !== 'accepted')
        .map((r) => [uncertaintyOf(r, m), r] as const)
        .sort((a, b) => b[0] - a[0] || byTime(a[1], b[1]))
        .map(([, r]) => r)
      return out
    }
    const dir = sortDesc.value ? -1 : 1
    switch (sortKey.value) {
      case 'time':
        return sortDesc.value ? [...out].reverse() : out
      case 'confidence': {
        const m = metric.value
        return out
          .map((r) => [uncertaintyOf(r, m), r] as const)
          .sort((a, b) => dir * (a[0] - b[0]) || byTime(a[1], b[1]))
          .map(([, r]) => r)
      }
      case 'emotion': {
        // Unlabelled rows go last in either direction.
        const lab = (r: UtteranceRow) => r.emotion ?? r.prediction?.label ?? null
        return [...out].sort((a, b) => {
          const la = lab(a)
          const lb = lab(b)
          if (la === lb) return byTime(a, b)
          if (la === null) return 1
          if (lb === null) return -1
          return dir * la.localeCompare(lb) || byTime(a, b)
        })
      }
      case 'provenance':
        return [...out].sort((a, b) => dir * rowProvenance(a).localeCompare(rowProvenance(b)) || byTime(a, b))
    }
    return out
  })

  const selectedIndex = computed(() =>
    selectedId.value ? view.value.findIndex((r) => r.id === selectedId.value) : -1,
  )
  const reviewedCount = computed(
    () =>
      rows.value.filter((r) => r.emotionProvenance === 'corrected' || r.emotionProvenance === 'accepted')
        .length,
  )

  async function load(id: string | null): Promise<void> {
    mediaId.value = id
    if (!id) {
      rows.value = []
      selectedId.value = null
      return
    }
    loading.value = true
    try {
      const list = await useApi().utterances.list({ mediaId: id })
      if (mediaId.value !== id) return // the user switched media meanwhile
      rows.value = [...list].sort(byTime)
      loadError.value = null
      if (!selectedId.value || !byId.value.has(selectedId.value)) selectedId.value = view.value[0]?.id ?? null
    } catch (err) {
      loadError.value = (err as Error).message
    } finally {
      loading.value = false
    }
  }

  async function reload(): Promise<void> {
    await load(mediaId.value)
  }

  /** Replaces rows directly (tests and benchmarks drive the table without an engine). */
  function setRows(list: UtteranceRow[]): void {
    rows.value = [...list].sort(byTime)
  }

  function byIdGet(id: string): UtteranceRow | null {
    return byId.value.get(id) ?? null
  }

  function select(id: string | null): void {
    selectedId.value = id
  }

  /** Moves the selection by `step` rows through the current view (wraps at neither end). */
  function move(step: number): UtteranceRow | null {
    const v = view.value
    if (!v.length) return null
    const i = selectedIndex.value
    const next = i < 0 ? (step > 0 ? 0 : v.length - 1) : Math.min(v.length - 1, Math.max(0, i + step))
    selectedId.value = v[next]!.id
    return v[next]!
  }

  function mergeResult(r: EditResult): void {
    const map = new Map(rows.value.map((x) => [x.id, x]))
    for (const id of r.removed) map.delete(id)
    for (const row of r.changed) if (!mediaId.value || row.mediaId === mediaId.value) map.set(row.id, row)
    rows.value = [...map.values()].sort(byTime)
    triggerRef(rows)
    canUndo.value = r.canUndo
    canRedo.value = r.canRedo
    lastHistoryId.value = r.historyId
    if (selectedId.value && !map.has(selectedId.value))
      selectedId.value = r.changed[0]?.id ?? view.value[0]?.id ?? null
  }

  /** Runs one engine write after the previous one, tracking the save state. */
  function enqueue<T>(fn: () => Promise<T>): Promise<T> {
    pending.value++
    saveState.value = 'saving'
    const p = chain.then(fn)
    chain = p.catch(() => undefined)
    return p.then(
      (v) => {
        pending.value--
        if (pending.value === 0 && saveState.value !== 'error') {
          saveState.value = 'saved'
          lastSavedAt.value = Date.now()
        }
        return v
      },
      (err: Error) => {
        pending.value--
        saveState.value = 'error'
        saveError.value = err.message
        throw err
      },
    )
  }

  /** Applies one correction; resolves once it is durable (the engine's answer) and the rows updated. */
  async function apply(edit: Edit): Promise<EditResult> {
    const r = await enqueue(() => useApi().edits.apply(edit))
    saveError.value = saveState.value === 'error' ? saveError.value : null
    mergeResult(r)
    return r
  }

  async function undo(): Promise<boolean> {
    const r = await enqueue(() => useApi().edits.undo())
    if (r) mergeResult(r)
    else canUndo.value = false
    return !!r
  }

  async function redo(): Promise<boolean> {
    const r = await enqueue(() => useApi().edits.redo())
    if (r) mergeResult(r)
    else canRedo.value = false
    return !!r
  }

  // Convenience actions on the selected row (the keyboard loop).
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

  function resetHistoryFlags(canU: boolean, canR: boolean): void {
    canUndo.value = canU
    canRedo.value = canR
  }

  return {
    rows,
    mediaId,
    loading,
    loadError,
    selectedId,
    selected,
    selectedIndex,
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
    saveState,
    saveError,
    lastHistoryId,
    lastSavedAt,
    pending,
    canUndo,
    canRedo,
    load,
    reload,
    setRows,
    byIdGet,
    select,
    move,
    apply,
    undo,
    redo,
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
    resetHistoryFlags,
  }
})

function round3(x: number): number {
  return Math.round(x * 1000) / 1000
}

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useUtterancesStore, import.meta.hot))
