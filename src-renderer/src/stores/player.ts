/**
 * Playback state shared by the video element, the timeline and the keyboard: the playhead, the
 * review toggles (loop, auto-play on navigate, ± padding) and requests to the player ("play this
 * range", "seek"). The <video> element is owned by VideoPlayer.vue, which carries requests out and
 * reports the time back; selecting an utterance never moves the playhead by itself.
 */
import { defineStore, acceptHMRUpdate } from 'pinia'
import { ref } from 'vue'

export interface PlayerRequest {
  kind: 'play-range' | 'seek' | 'pause' | 'toggle'
  start?: number
  end?: number
  /** Distinguishes two identical requests in a row. */
  nonce: number
}

const TOGGLES_KEY = 'fws.playerToggles'

export const usePlayerStore = defineStore('player', () => {
  const currentTime = ref(0)
  const duration = ref(0)
  const playing = ref(false)
  const loop = ref(false)
  const autoPlay = ref(false)
  const padding = ref(false)
  const paddingSec = ref(0.3)
  /** Playback rate of the video element (0.5× to 2×). */
  const rate = ref(1)
  /** The range being played as "just this utterance", if any. */
  const range = ref<{ start: number; end: number } | null>(null)
  const request = ref<PlayerRequest | null>(null)
  let nonce = 0

  try {
    const saved = JSON.parse(localStorage.getItem(TOGGLES_KEY) ?? '{}') as Record<string, unknown>
    if (typeof saved.loop === 'boolean') loop.value = saved.loop
    if (typeof saved.autoPlay === 'boolean') autoPlay.value = saved.autoPlay
    if (typeof saved.padding === 'boolean') padding.value = saved.padding
  } catch {
    /* defaults */
  }
  function persist(): void {
    try {
      localStorage.setItem(
        TOGGLES_KEY,
        JSON.stringify({ loop: loop.value, autoPlay: autoPlay.value, padding: padding.value }),
      )
    } catch {
      /* a convenience only */
    }
  }

  /** Plays [start, end] (widened by the padding when that toggle is on); loops when loop is on. */
  function playRange(start: number, end: number): void {
    const pad = padding.value ? paddingSec.value : 0
    const s = Math.max(0, start - pad)
    const e = duration.value > 0 ? Math.min(duration.value, end + pad) : end + pad
    range.value = { start: s, end: e }
    request.value = { kind: 'play-range', start: s, end: e, nonce: ++nonce }
  }
  function seek(t: number): void {
    range.value = null
    request.value = { kind: 'seek', start: Math.max(0, t), nonce: ++nonce }
  }
  function pause(): void {
    request.value = { kind: 'pause', nonce: ++nonce }
  }
  function toggle(): void {
    request.value = { kind: 'toggle', nonce: ++nonce }
  }
  function toggleLoop(): void {
    loop.value = !loop.value
    persist()
  }
  function toggleAutoPlay(): void {
    autoPlay.value = !autoPlay.value
    persist()
  }
  function togglePadding(): void {
    padding.value = !padding.value
    persist()
  }

  return {
    currentTime,
    duration,
    playing,
    loop,
    autoPlay,
    padding,
    paddingSec,
    rate,
    range,
    request,
    playRange,
    seek,
    pause,
    toggle,
    toggleLoop,
    toggleAutoPlay,
    togglePadding,
  }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(usePlayerStore, import.meta.hot))
