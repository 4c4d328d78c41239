/**
 * Geometry of the timeline, as pure functions: time ↔ x at a zoom level, which utterance a click
 * hits, and how to scroll so a span is visible. The canvas component only draws and forwards events.
 */

export interface TimelineView {
  /** Seconds at the left edge. */
  start: number
  pxPerSec: number
  width: number
}

export interface Span {
  id: string
  start: number
  end: number
}

export function xAt(view: TimelineView, t: number): number {
  return (t - view.start) * view.pxPerSec
}

export function timeAt(view: TimelineView, x: number): number {
  return view.start + x / view.pxPerSec
}

/** The utterance under x (the shortest one when they overlap), or null for empty timeline. */
export function hitTest(view: TimelineView, x: number, spans: readonly Span[]): string | null {
  const t = timeAt(view, x)
  let best: Span | null = null
  // Spans are time-ordered: binary search the first span that could contain t.
  let lo = 0
  let hi = spans.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (spans[mid]!.end < t) lo = mid + 1
    else hi = mid
  }
  for (let i = Math.max(0, lo - 4); i < spans.length; i++) {
    const s = spans[i]!
    if (s.start > t) break
    if (t >= s.start && t <= s.end && (!best || s.end - s.start < best.end - best.start)) best = s
  }
  return best?.id ?? null
}

/** A view start that shows [a, b] (with a margin), moving as little as possible. */
export function scrollToShow(view: TimelineView, a: number, b: number, duration: number): number {
  const span = view.width / view.pxPerSec
  const margin = span * 0.1
  let start = view.start
  if (a < start + margin || b - a > span) start = a - margin
  else if (b > start + span - margin) start = b - span + margin
  return clampStart(start, span, duration)
}

export function clampStart(start: number, visibleSec: number, duration: number): number {
  return Math.max(0, Math.min(start, Math.max(0, duration - visibleSec)))
}

/** Zooms by `factor` keeping the time under `anchorX` fixed. */
export function zoomAround(
  view: TimelineView,
  factor: number,
  anchorX: number,
  duration: number,
  minPx: number,
  maxPx = 2000,
): TimelineView {
  const t = timeAt(view, anchorX)
  const pxPerSec = Math.min(maxPx, Math.max(minPx, view.pxPerSec * factor))
  const start = clampStart(t - anchorX / pxPerSec, view.width / pxPerSec, duration)
  return { ...view, pxPerSec, start }
}

/** A "nice" ruler tick step in seconds for a zoom level (at least ~80 px apart). */
export function tickStep(pxPerSec: number): number {
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600]
  return steps.find((s) => s * pxPerSec >= 80) ?? 3600
}

/** Which edge of `span` is within `tolPx` pixels of x (the nearer one), or null. */
export function edgeAt(view: TimelineView, x: number, span: Span, tolPx = 5): 'start' | 'end' | null {
  const ds = Math.abs(xAt(view, span.start) - x)
  const de = Math.abs(xAt(view, span.end) - x)
  if (Math.min(ds, de) > tolPx) return null
  return ds <= de ? 'start' : 'end'
}

/** Shortest utterance a drag can leave (seconds). */
export const MIN_SPAN_SEC = 0.05

/**
 * New bounds when `edge` of `span` is dragged to time t: kept inside [lower, upper] (the
 * neighbours' edges or the media), at least MIN_SPAN_SEC long, rounded to the millisecond.
 */
export function dragBounds(
  span: Span,
  edge: 'start' | 'end',
  t: number,
  lower: number,
  upper: number,
): { start: number; end: number } {
  const ms = (v: number) => Math.round(v * 1000) / 1000
  if (edge === 'start')
    return { start: ms(Math.max(lower, Math.min(t, span.end - MIN_SPAN_SEC))), end: span.end }
  return { start: span.start, end: ms(Math.min(upper, Math.max(t, span.start + MIN_SPAN_SEC))) }
}
