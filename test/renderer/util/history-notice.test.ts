import { describe, expect, it } from 'vitest'
import { describeChange } from '../../../src-renderer/src/util/history-notice'
import { predicted, row } from '../fake-api'

describe('describeChange', () => {
  it('names the utterance and the field an undo changed', () => {
    const before = [predicted(0, { joy: 0.7, anger: 0.3 }), row(1)]
    const relabelled = [
      { ...before[0]!, emotion: 'anger', emotionProvenance: 'corrected' as const },
      before[1]!,
    ]
    expect(describeChange(relabelled, before)).toBe('#1 emotion anger (corrected) → joy (model)')
    const moved = [before[0]!, { ...before[1]!, start: 2.2 }]
    expect(describeChange(before, moved)).toBe('#2 bounds 0:02.00–0:03.50 → 0:02.20–0:03.50')
    const typed = [before[0]!, { ...before[1]!, transcript: 'a much longer transcript than before it was' }]
    expect(describeChange(before, typed)).toBe('#2 transcript “line 1” → “a much longer transcrip…”')
    expect(describeChange(before, before)).toBe('')
  })

  it('says when a split or merge was undone, and caps the list', () => {
    const whole = [row(0, { end: 4 })]
    const parts = [row(0, { end: 2 }), row(1, { id: 'u0b', start: 2, end: 4 })]
    expect(describeChange(parts, whole)).toContain('#1 bounds')
    expect(describeChange(parts, whole)).toContain('#2 merged (a part removed)')
    const many = Array.from({ length: 5 }, (_, i) => row(i))
    const all = many.map((r) => ({ ...r, transcript: 'x' }))
    expect(describeChange(many, all)).toMatch(/and 2 more$/)
  })
})
