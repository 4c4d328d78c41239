// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import Timeline from '../../../src-renderer/src/components/Timeline.vue'
import type { Peaks } from '../../../src-renderer/src/util/peaks'
import { row } from '../fake-api'

// Rows at [2i, 2i + 1.5] s; the component falls back to an 800 px width without layout.
const rows = Array.from({ length: 10 }, (_, i) => row(i))

function canvasAt(w: ReturnType<typeof mount>, x: number) {
  return w.find('canvas.timeline-overlay').trigger('click', { clientX: x, clientY: 60 })
}

describe('Timeline', () => {
  it('fits the whole media at first', async () => {
    const w = mount(Timeline, { props: { duration: 20, utterances: rows, selectedId: null, currentTime: 0 } })
    await w.vm.$nextTick()
    const view = (w.vm as unknown as { view: { start: number; pxPerSec: number } }).view
    expect(view.start).toBe(0)
    expect(view.pxPerSec).toBe(40)
    expect(w.text()).toContain('20.0 s visible')
  })

  it('selects a region on click without seeking', async () => {
    const w = mount(Timeline, { props: { duration: 20, utterances: rows, selectedId: null, currentTime: 7 } })
    await canvasAt(w, 4.5 * 40) // t = 4.5 s: inside u2 (4..5.5)
    expect(w.emitted('select')).toEqual([['u2']])
    expect(w.emitted('seek')).toBeUndefined()
  })

  it('seeks when clicking between regions', async () => {
    const w = mount(Timeline, { props: { duration: 20, utterances: rows, selectedId: null, currentTime: 0 } })
    await canvasAt(w, 5.75 * 40) // t = 5.75 s: the gap after u2
    expect(w.emitted('seek')).toEqual([[5.75]])
    expect(w.emitted('select')).toBeUndefined()
  })

  it('zooms in and keeps the selected region in view', async () => {
    const w = mount(Timeline, { props: { duration: 20, utterances: rows, selectedId: null, currentTime: 0 } })
    const vm = w.vm as unknown as {
      zoom: (f: number) => void
      view: { start: number; pxPerSec: number; width: number }
    }
    vm.zoom(4)
    expect(vm.view.pxPerSec).toBe(160)
    await w.setProps({ selectedId: 'u9' }) // 18..19.5 s, off screen at this zoom
    const visibleEnd = vm.view.start + vm.view.width / vm.view.pxPerSec
    expect(vm.view.start).toBeLessThanOrEqual(18)
    expect(visibleEnd).toBeGreaterThanOrEqual(19.5)
    // A click on that region at the new zoom still selects, not seeks.
    await canvasAt(w, (18.5 - vm.view.start) * vm.view.pxPerSec)
    expect(w.emitted('select')).toEqual([['u9']])
  })
})

describe('Timeline edge drag', () => {
  it('drags an edge of the selected region and emits the new bounds once, without a seek', async () => {
    const w = mount(Timeline, { props: { duration: 20, utterances: rows, selectedId: 'u2', currentTime: 0 } })
    await w.vm.$nextTick()
    const overlay = w.find('canvas.timeline-overlay')
    // 40 px/s: u2's end (5.5 s) is at x = 220; drag it to x = 230 (5.75 s), before u3 (6 s).
    await overlay.trigger('pointerdown', { clientX: 221, pointerId: 1 })
    await overlay.trigger('pointermove', { clientX: 226, pointerId: 1 })
    await overlay.trigger('pointermove', { clientX: 230, pointerId: 1 })
    await overlay.trigger('pointerup', { clientX: 230, pointerId: 1 })
    await overlay.trigger('click', { clientX: 230 })
    expect(w.emitted('bounds')).toEqual([['u2', 4, 5.75]])
    expect(w.emitted('seek')).toBeUndefined()
    // Dragging past the next region stops at its start.
    await overlay.trigger('pointerdown', { clientX: 219, pointerId: 1 })
    await overlay.trigger('pointermove', { clientX: 400, pointerId: 1 })
    await overlay.trigger('pointerup', { clientX: 400, pointerId: 1 })
    expect(w.emitted('bounds')![1]).toEqual(['u2', 4, 6])
  })
})

describe('Timeline waveform from the engine', () => {
  it('asks for the visible range, draws a partial answer and asks again until complete', async () => {
    vi.useFakeTimers()
    try {
      const calls: [number, number, number][] = []
      let complete = false
      const loadPeaks = async (start: number, end: number, buckets: number): Promise<Peaks> => {
        calls.push([start, end, buckets])
        return { data: new Float32Array(20), perSec: 1, start, complete, progress: complete ? 1 : 0.4 }
      }
      const w = mount(Timeline, {
        props: { duration: 20, utterances: rows, selectedId: null, currentTime: 0, loadPeaks },
      })
      await vi.advanceTimersByTimeAsync(150)
      // The whole media fits in 800 px: one pair per pixel over [0, 20].
      expect(calls).toEqual([[0, 20, 800]])
      expect(w.find('[data-testid="timeline"]').attributes('data-waveform')).toBe('partial')
      expect(w.text()).toContain('waveform 40 %')
      complete = true
      await vi.advanceTimersByTimeAsync(1200)
      expect(calls).toHaveLength(2)
      expect(w.find('[data-testid="timeline"]').attributes('data-waveform')).toBe('ready')
      // Complete and covering the view: no more requests.
      await vi.advanceTimersByTimeAsync(3000)
      expect(calls).toHaveLength(2)
    } finally {
      vi.useRealTimers()
    }
  })
})
