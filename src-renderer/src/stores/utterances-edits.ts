/**
 * The edit pipeline of the utterances store: corrections, undo and redo go to the engine through
 * the write queue, and each answer (changed and removed rows, history flags) is merged into the rows.
 */
import { ref, triggerRef, type ComputedRef, type Ref } from 'vue'
import type { Edit, EditResult, UtteranceRow } from '@contract/contract'
import { useApi } from '../api'
import { byTime } from './utterances-rows'
import type { SaveState } from './utterances-save-queue'

/** What the edit pipeline reads and writes: the rows, the selection, and the write queue. */
export interface EditDeps {
  rows: Ref<UtteranceRow[]>
  mediaId: Ref<string | null>
  selectedId: Ref<string | null>
  view: ComputedRef<UtteranceRow[]>
  saveState: Ref<SaveState>
  saveError: Ref<string | null>
  enqueue: <T>(fn: () => Promise<T>) => Promise<T>
}

/** `apply`, `undo` and `redo`, and the engine's history state after the last answer. */
export function useEdits({ rows, mediaId, selectedId, view, saveState, saveError, enqueue }: EditDeps) {
  const lastHistoryId = ref<number | null>(null)
  const canUndo = ref(false)
  const canRedo = ref(false)

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

  function resetHistoryFlags(canU: boolean, canR: boolean): void {
    canUndo.value = canU
    canRedo.value = canR
  }

  return { lastHistoryId, canUndo, canRedo, apply, undo, redo, resetHistoryFlags }
}
