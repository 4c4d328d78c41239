import { describe, expect, it } from 'vitest'
import {
  dragBounds,
  edgeAt,
  hitTest,
  MIN_SPAN_SEC,
  scrollToShow,
  tickStep,
  timeAt,
  xAt,
  zoomAround,
} from '../../../src-renderer/src/util/timeline'

const spans = [
  { id: 'a', start: 0, end: 2 },
  { id: 'b', start: 2.5, end: 4 },
  { id: 'c', start: 3, end: 3.5 },
  { id: 'd', start: 10, end: 12 },
]

describe('timeline geometry', () => {
  const view = { start: 1, pxPerSec: 100, width: 500 }
  it('converts between time and x', () => {
    expect(xAt(view, 2)).toBe(100)
    expect(timeAt(view, 250)).toBe(3.5)
  })
  it('hits the shortest region under the pointer, or none', () => {
    expect(hitTest(view, 50, spans)).toBe('a') // t = 1.5
    expect(hitTest(view, 220, spans)).toBe('c') // t = 3.2: inside b and c
    expect(hitTest(view, 170, spans)).toBe('b') // t = 2.7
    expect(hitTest(view, 130, spans)).toBeNull() // t = 2.3: gap
    expect(hitTest(view, 450, spans)).toBeNull()
  })
  it('scrolls just enough to show a span', () => {
    expect(scrollToShow(view, 2, 3, 100)).toBe(1)
    expect(scrollToShow(view, 10, 12, 100)).toBeCloseTo(7.5)
    expect(scrollToShow(view, 0.2, 0.5, 100)).toBe(0)
  })
  it('zooms around the pointer', () => {
    const z = zoomAround(view, 2, 100, 100, 1)
    expect(z.pxPerSec).toBe(200)
    expect(timeAt(z, 100)).toBeCloseTo(timeAt(view, 100))
  })
  it('picks readable tick steps', () => {
    expect(tickStep(1000)).toBe(0.1)
    expect(tickStep(10)).toBe(10)
  })
})

describe('edgeAt / dragBounds', () => {
  const view = { start: 0, pxPerSec: 100, width: 800 }
  const span = { id: 'a', start: 1, end: 2 }
  it('finds the edge under the pointer within a few pixels', () => {
    expect(edgeAt(view, 103, span)).toBe('start')
    expect(edgeAt(view, 197, span)).toBe('end')
    expect(edgeAt(view, 150, span)).toBeNull()
    expect(edgeAt(view, 90, span)).toBeNull()
  })
  it('keeps a dragged edge between the neighbours, the region non-empty, to the millisecond', () => {
    expect(dragBounds(span, 'start', 0.71234, 0.5, 3)).toEqual({ start: 0.712, end: 2 })
    expect(dragBounds(span, 'start', 0.2, 0.5, 3)).toEqual({ start: 0.5, end: 2 })
    expect(dragBounds(span, 'start', 2.5, 0.5, 3)).toEqual({ start: 2 - MIN_SPAN_SEC, end: 2 })
    expect(dragBounds(span, 'end', 9, 0.5, 3)).toEqual({ start: 1, end: 3 })
    expect(dragBounds(span, 'end', 0, 0.5, 3)).toEqual({ start: 1, end: 1 + MIN_SPAN_SEC })
  })
})
