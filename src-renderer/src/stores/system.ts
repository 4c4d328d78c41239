/** System status for the status bar: what `fws doctor` reports (backend and why, ffmpeg, models). */
import { defineStore, acceptHMRUpdate } from 'pinia'
import { computed, ref } from 'vue'
import type { DoctorReport } from '@contract/contract'
import { useApi } from '../api'

export const useSystemStore = defineStore('system', () => {
  const report = ref<DoctorReport | null>(null)
  const error = ref<string | null>(null)
  const loading = ref(false)
  /** Browser mode: whether the event socket is up (always true in Electron). */
  const connected = ref(true)

  async function load(): Promise<void> {
    loading.value = true
    try {
      report.value = await useApi().system.doctor()
      error.value = null
    } catch (err) {
      error.value = (err as Error).message
    } finally {
      loading.value = false
    }
  }

  const backendLabel = computed(() => {
    const b = report.value?.backend
    if (!b) return '…'
    if ('error' in b) return 'no backend'
    return `${b.name} (${b.gpu ? 'GPU' : 'CPU'})`
  })
  /** One line on why this backend: the used attempt's reason plus any fallback warning. */
  const backendWhy = computed(() => {
    const b = report.value?.backend
    if (!b) return ''
    if ('error' in b) return b.error
    const used = b.attempts.find((a) => a.used)
    const skipped = b.attempts.filter((a) => !a.used).map((a) => `${a.name}: ${a.reason}`)
    return [used?.reason, b.forced ? `forced by FWS_BACKEND=${b.forced}` : null, ...skipped]
      .filter(Boolean)
      .join(' · ')
  })
  const backendWarning = computed(() => {
    const b = report.value?.backend
    if (!b) return null
    if ('error' in b) return b.error
    return b.warning
  })
  /** Where the models run: 'all on GPU', 'all on CPU' or 'n/m on GPU'. */
  const devicesLabel = computed(() => {
    const d = report.value?.devices
    if (!d?.length) return '…'
    const onGpu = d.filter((x) => x.device === 'gpu').length
    return onGpu === d.length ? 'all on GPU' : onGpu === 0 ? 'all on CPU' : `${onGpu}/${d.length} on GPU`
  })
  /** One line per model: its device, runtime and why. */
  const devicesWhy = computed(() =>
    (report.value?.devices ?? [])
      .map(
        (d) =>
          `${d.model}: ${d.device ? d.device.toUpperCase() : 'cannot run'} (${d.runtime}${d.via ? ' ' + d.via : ''}) — ${d.reason}`,
      )
      .join('\n'),
  )
  const modelsUsable = computed(() => report.value?.models.filter((m) => m.present && !m.problem) ?? [])
  const ffmpegLabel = computed(() => {
    const f = report.value?.ffmpeg
    if (!f) return '…'
    if ('error' in f) return 'ffmpeg missing'
    // Static builds report versions like "N-47683-g0e8eb07980": show where it came from instead.
    const v = /^\d+(\.\d+)+/.exec(f.version)?.[0]
    return v ? `ffmpeg ${v}` : `ffmpeg (${f.source})`
  })

  return {
    report,
    error,
    loading,
    connected,
    load,
    backendLabel,
    backendWhy,
    backendWarning,
    devicesLabel,
    devicesWhy,
    modelsUsable,
    ffmpegLabel,
  }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useSystemStore, import.meta.hot))
