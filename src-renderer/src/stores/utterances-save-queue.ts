/**
 * The write queue of the utterances store: engine writes run one at a time, in order (so undo/redo
 * in the engine sees them as typed), and the save state shown to the user is derived from their answers.
 */
import { ref } from 'vue'

export type SaveState = 'idle' | 'saving' | 'saved' | 'error'

/** The save state and `enqueue`, which runs one engine write after the previous one. */
export function useSaveQueue() {
  const saveState = ref<SaveState>('idle')
  const saveError = ref<string | null>(null)
  const lastSavedAt = ref<number | null>(null)
  const pending = ref(0)
  let chain: Promise<unknown> = Promise.resolve()

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

  return { saveState, saveError, lastSavedAt, pending, enqueue }
}
