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
  const { byId, ...rowsApi } = useUtteranceRows()
  const { rows, mediaId } = rowsApi
  const review = useReviewView(rows)
  const selection = useSelection(byId, review.view)
  const { selectedId, selected } = selection
  const loading = useRowLoading({ rows, mediaId, byId, selectedId, view: review.view })
  const { enqueue, ...saveQueue } = useSaveQueue()
  const { saveState, saveError } = saveQueue
  const edits = useEdits({ rows, mediaId, selectedId, view: review.view, saveState, saveError, enqueue })
  const actions = useRowActions({ rows, byId, selected, apply: edits.apply })
  return { ...rowsApi, ...loading, ...selection, ...review, ...saveQueue, ...edits, ...actions }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useUtterancesStore, import.meta.hot))
