/**
 * Mirror of the engine's job registry (inference, fine-tuning, exports): snapshots arrive on the
 * `jobs.update` event and replace the stored one whole, so the panel always shows what the engine
 * last said. Listeners registered with `onFinished` run once when a job reaches a final state.
 */
import { defineStore, acceptHMRUpdate } from 'pinia'
import { computed, ref } from 'vue'
import type { JobSnapshot, JobStatus } from '@contract/contract'
import { useApi } from '../api'

const FINAL: JobStatus[] = ['done', 'failed', 'cancelled']

export const useJobsStore = defineStore('jobs', () => {
  const byId = ref<Record<string, JobSnapshot>>({})
  const error = ref<string | null>(null)
  const finishedListeners = new Set<(job: JobSnapshot) => void>()
  let unsubscribe: (() => void) | null = null

  const list = computed(() =>
    Object.values(byId.value).sort(
      (a, b) => (b.startedAt ?? Infinity) - (a.startedAt ?? Infinity) || (a.id < b.id ? 1 : -1),
    ),
  )
  const active = computed(() => list.value.filter((j) => j.status === 'queued' || j.status === 'running'))
  /** Progress over all queued and running jobs (0..1), null when idle. */
  const totalProgress = computed(() => {
    const a = active.value
    if (!a.length) return null
    return a.reduce((s, j) => s + j.progress, 0) / a.length
  })

  function upsert(s: JobSnapshot): void {
    const prev = byId.value[s.id]
    byId.value = { ...byId.value, [s.id]: s }
    if (FINAL.includes(s.status) && (!prev || !FINAL.includes(prev.status)))
      for (const l of finishedListeners) l(s)
  }

  async function init(): Promise<void> {
    const api = useApi()
    unsubscribe?.()
    unsubscribe = api.on('jobs.update', upsert)
    try {
      for (const j of await api.jobs.list()) byId.value = { ...byId.value, [j.id]: j }
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  /** Starts a job through the API: listed at once, or its refusal shown. */
  async function start(request: () => Promise<JobSnapshot>): Promise<JobSnapshot | null> {
    try {
      const s = await request()
      upsert(s)
      error.value = null
      return s
    } catch (err) {
      error.value = (err as Error).message
      return null
    }
  }

  const startInference = (mediaIds: string[]) => start(() => useApi().jobs.startInference({ mediaIds }))

  const startFinetune = (p: {
    baseModel: 'emotion' | 'translation'
    epochs?: number
    heldOutFraction?: number
  }) => start(() => useApi().jobs.startFinetune(p))

  async function cancel(jobId: string): Promise<void> {
    try {
      await useApi().jobs.cancel({ jobId })
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  function onFinished(listener: (job: JobSnapshot) => void): () => void {
    finishedListeners.add(listener)
    return () => finishedListeners.delete(listener)
  }

  function clearFinished(): void {
    byId.value = Object.fromEntries(Object.entries(byId.value).filter(([, j]) => !FINAL.includes(j.status)))
  }

  return {
    byId,
    list,
    active,
    totalProgress,
    error,
    init,
    upsert,
    startInference,
    startFinetune,
    cancel,
    onFinished,
    clearFinished,
  }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useJobsStore, import.meta.hot))
