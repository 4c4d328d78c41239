/** The selection of the utterances store: one row, by id, moved through the review view. */
import { computed, ref, type ComputedRef } from 'vue'
import type { UtteranceRow } from '@contract/contract'

/** The selected row over `byId`, and its place in and moves through `view`. */
export function useSelection(
  byId: ComputedRef<Map<string, UtteranceRow>>,
  view: ComputedRef<UtteranceRow[]>,
) {
  const selectedId = ref<string | null>(null)
  const selected = computed(() => (selectedId.value ? (byId.value.get(selectedId.value) ?? null) : null))
  const selectedIndex = computed(() =>
    selectedId.value ? view.value.findIndex((r) => r.id === selectedId.value) : -1,
  )

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

  return { selectedId, selected, selectedIndex, select, move }
}
