/**
 * The open project and its media. Mirrors the engine's `project.changed` event; the media list is
 * re-read after adds and after inference jobs finish. Recent projects are remembered locally.
 */
import { defineStore, acceptHMRUpdate } from 'pinia'
import { computed, ref } from 'vue'
import type { MediaInfo, ProjectInfo } from '@contract/contract'
import { useApi } from '../api'

const RECENT_KEY = 'fws.recentProjects'

function readRecent(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]') as unknown
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, 8) : []
  } catch {
    return []
  }
}

export const useProjectStore = defineStore('project', () => {
  const info = ref<ProjectInfo | null>(null)
  const media = ref<MediaInfo[]>([])
  const currentMediaId = ref<string | null>(null)
  const busy = ref(false)
  const error = ref<string | null>(null)
  const recent = ref<string[]>(readRecent())
  let unsubscribe: (() => void) | null = null

  const currentMedia = computed(() => media.value.find((m) => m.id === currentMediaId.value) ?? null)

  function remember(path: string): void {
    recent.value = [path, ...recent.value.filter((p) => p !== path)].slice(0, 8)
    try {
      localStorage.setItem(RECENT_KEY, JSON.stringify(recent.value))
    } catch {
      /* storage full or disabled: recent list is a convenience only */
    }
  }

  async function run<T>(fn: () => Promise<T>): Promise<T | undefined> {
    busy.value = true
    error.value = null
    try {
      return await fn()
    } catch (err) {
      error.value = (err as Error).message
      return undefined
    } finally {
      busy.value = false
    }
  }

  async function init(): Promise<void> {
    const api = useApi()
    unsubscribe?.()
    unsubscribe = api.on('project.changed', (p) => {
      info.value = p
      if (!p) {
        media.value = []
        currentMediaId.value = null
      }
    })
    await run(async () => {
      info.value = await api.project.current()
      if (info.value) await refreshMedia()
    })
  }

  async function refreshMedia(): Promise<void> {
    media.value = await useApi().media.list()
    if (!media.value.some((m) => m.id === currentMediaId.value))
      currentMediaId.value = media.value[0]?.id ?? null
  }

  async function open(path: string): Promise<boolean> {
    const r = await run(async () => {
      info.value = await useApi().project.open({ path })
      remember(info.value.path)
      await refreshMedia()
      return true
    })
    return !!r
  }

  async function create(path: string): Promise<boolean> {
    const r = await run(async () => {
      info.value = await useApi().project.create({ path })
      remember(info.value.path)
      await refreshMedia()
      return true
    })
    return !!r
  }

  async function close(): Promise<void> {
    await run(async () => {
      await useApi().project.close()
      info.value = null
      media.value = []
      currentMediaId.value = null
    })
  }

  /** Adds media files by absolute path; resolves to the added items ([] on error, see `error`). */
  async function addMedia(paths: string[]): Promise<MediaInfo[]> {
    const clean = paths.map((p) => p.trim()).filter(Boolean)
    if (!clean.length) return []
    const added = await run(async () => {
      const r = await useApi().media.add({ paths: clean })
      await refreshMedia()
      if (r[0]) currentMediaId.value = r[0].id
      info.value = await useApi().project.current()
      return r
    })
    return added ?? []
  }

  function selectMedia(id: string): void {
    currentMediaId.value = id
  }

  return {
    info,
    media,
    currentMediaId,
    currentMedia,
    busy,
    error,
    recent,
    init,
    refreshMedia,
    open,
    create,
    close,
    addMedia,
    selectMedia,
  }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useProjectStore, import.meta.hot))
