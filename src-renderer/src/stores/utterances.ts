/**
 * The utterances of the current media and every correction made to them. Owns: the rows (mirrored
 * from the engine), the review view (sort, filter, least-confident-first queue), the selection, and
 * the edit pipeline. Every edit goes through `edits.apply`, which resolves only when the change is
 * durable in the project file; the save state shown to the user is derived from those answers.
 * Edits are sent one at a time, in order, so undo/redo in the engine sees them as typed.
 * Each concern is a composable of its own (utterances-*.ts); this setup function composes them.
 */
import { defineStore, acceptHMRUpdate } from 'pinia'
import { useRowActions } from './utterances-actions'
import { useEdits } from './utterances-edits'
import { useRowLoading, useUtteranceRows } from './utterances-rows'
import { useSaveQueue } from './utterances-save-queue'
import { useSelection } from './utterances-selection'
import { useReviewView } from './utterances-view'

export type { SortKey, ProvenanceFilter } from './utterances-view'
export type { SaveState } from './utterances-save-queue'

export const useUtterancesStore = defineStore('utterances', () => {
  const { rows, mediaId, byId, setRows, byIdGet } = useUtteranceRows()
  const {
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
  } = useReviewView(rows)
  const { selectedId, selected, selectedIndex, select, move } = useSelection(byId, view)
  const { loading, loadError, load, reload } = useRowLoading({ rows, mediaId, byId, selectedId, view })
  const { saveState, saveError, lastSavedAt, pending, enqueue } = useSaveQueue()
  const { lastHistoryId, canUndo, canRedo, apply, undo, redo, resetHistoryFlags } = useEdits({
    rows,
    mediaId,
    selectedId,
    view,
    saveState,
    saveError,
    enqueue,
  })
  const {
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
  } = useRowActions({ rows, byId, selected, apply })

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

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useUtterancesStore, import.meta.hot))
