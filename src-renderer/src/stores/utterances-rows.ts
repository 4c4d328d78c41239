/**
 * The rows of the utterances store: the current media's utterances in time order, mirrored from the
 * engine, and their loading. Rows live in a shallowRef: 10,000 rows must not become 10,000 deep proxies.
 */
import { computed, ref, shallowRef, type ComputedRef, type Ref } from 'vue'
import type { UtteranceRow } from '@contract/contract'
import { useApi } from '../api'

/** Time order: by media, then start, then end. */
export function byTime(a: UtteranceRow, b: UtteranceRow): number {
  return a.mediaId === b.mediaId ? a.start - b.start || a.end - b.end : a.mediaId < b.mediaId ? -1 : 1
}

/** The rows in time order, the media they belong to, and lookup by id. */
export function useUtteranceRows() {
  /** Rows in time order. */
  const rows = shallowRef<UtteranceRow[]>([])
  const mediaId = ref<string | null>(null)
  const byId = computed(() => new Map(rows.value.map((r) => [r.id, r])))

  /** Replaces rows directly (tests and benchmarks drive the table without an engine). */
  function setRows(list: UtteranceRow[]): void {
    rows.value = [...list].sort(byTime)
  }

  function byIdGet(id: string): UtteranceRow | null {
    return byId.value.get(id) ?? null
  }

  return { rows, mediaId, byId, setRows, byIdGet }
}

/** What loading reads and writes: the rows, and the selection it keeps valid. */
export interface RowLoadingDeps {
  rows: Ref<UtteranceRow[]>
  mediaId: Ref<string | null>
  byId: ComputedRef<Map<string, UtteranceRow>>
  selectedId: Ref<string | null>
  view: ComputedRef<UtteranceRow[]>
}

/** Loads a media's rows from the engine, keeping the selection when it survives (else the first row shown). */
export function useRowLoading({ rows, mediaId, byId, selectedId, view }: RowLoadingDeps) {
  const loading = ref(false)
  const loadError = ref<string | null>(null)

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

  return { loading, loadError, load, reload }
}
