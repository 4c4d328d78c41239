import { describe, expect, it } from 'vitest'
import { SHORTCUTS, commandForKey } from '../../../src-renderer/src/composables/shortcuts'
import { formatTime, pathsFromDropText, projectFolder } from '../../../src-renderer/src/util/format'
import { entropyUncertainty, marginUncertainty } from '../../../src-renderer/src/util/confidence'
import { parseFinetuneResult } from '../../../src-renderer/src/util/finetune'

describe('keyboard map', () => {
  it('maps the review keys', () => {
    expect(commandForKey({ key: 'ArrowDown' })).toEqual({ action: 'next' })
    expect(commandForKey({ key: 'k' })).toEqual({ action: 'prev' })
    expect(commandForKey({ key: 'Enter' })).toEqual({ action: 'accept' })
    expect(commandForKey({ key: '3' })).toEqual({ action: 'relabel', index: 2 })
    expect(commandForKey({ key: '0' })).toBeNull()
    expect(commandForKey({ key: 'z', ctrlKey: true })).toEqual({ action: 'undo' })
    expect(commandForKey({ key: 'Z', ctrlKey: true, shiftKey: true })).toEqual({ action: 'redo' })
    expect(commandForKey({ key: 'y', metaKey: true })).toEqual({ action: 'redo' })
    expect(commandForKey({ key: 'a', ctrlKey: true })).toBeNull()
    expect(commandForKey({ key: '{' })).toEqual({ action: 'nudge-end-left' })
    expect(commandForKey({ key: 'x' })).toBeNull()
  })
  it('shows every action that has a key', () => {
    const shown = new Set(SHORTCUTS.map((s) => s.action))
    for (const key of [
      'j',
      'k',
      'Enter',
      '1',
      'e',
      't',
      ' ',
      'l',
      'p',
      'o',
      's',
      'm',
      '[',
      '{',
      'q',
      '/',
      '+',
      '?',
    ])
      expect(shown.has(commandForKey({ key })!.action), key).toBe(true)
  })
})

describe('format helpers', () => {
  it('formats times', () => {
    expect(formatTime(83.456)).toBe('1:23.456')
    expect(formatTime(3723.5)).toBe('1:02:03.500')
    expect(formatTime(5, 2)).toBe('0:05.00')
  })
  it('finds the project folder of a .fwsproj file', () => {
    expect(projectFolder('/data/study/s.fwsproj')).toBe('/data/study')
    expect(projectFolder('/data/study/')).toBe('/data/study')
  })
  it('reads dropped file URIs and paths', () => {
    expect(pathsFromDropText('# comment\nfile:///tmp/a%20b.mp4\r\n/tmp/c.mkv\nhttp://x/y\n')).toEqual([
      '/tmp/a b.mp4',
      '/tmp/c.mkv',
    ])
  })
})

describe('uncertainty', () => {
  it('margin is 1 − (p1 − p2), entropy normalised to [0, 1]', () => {
    expect(marginUncertainty({ a: 0.7, b: 0.2, c: 0.1 })).toBeCloseTo(0.5)
    expect(entropyUncertainty({ a: 1, b: 0, c: 0 })).toBeCloseTo(0)
    expect(entropyUncertainty({ a: 1 / 3, b: 1 / 3, c: 1 / 3 })).toBeCloseTo(1)
  })
})

describe('fine-tune result', () => {
  it('pairs numeric metrics and reads confusion matrices', () => {
    // The shape of the engine's FinetuneSummary (reportSummary before/after).
    const v = parseFinetuneResult({
      before: {
        n: 4,
        accuracy: 0.5,
        weightedF1: 0.4,
        perClass: { a: 0.5, b: 0.4 },
        confusion: [
          [1, 1],
          [0, 2],
        ],
        labels: ['a', 'b'],
      },
      after: {
        n: 4,
        accuracy: 0.75,
        weightedF1: 0.7,
        perClass: { a: 0.8, b: 0.6 },
        confusion: [
          [2, 0],
          [1, 1],
        ],
        labels: ['a', 'b'],
      },
      heldOutCount: 4,
      trainCount: 12,
      out: '/m/v2',
    })!
    expect(v.metrics).toEqual([
      { name: 'accuracy', before: 0.5, after: 0.75 },
      { name: 'weightedF1', before: 0.4, after: 0.7 },
    ])
    expect(v.perClass).toEqual([
      { name: 'a', before: 0.5, after: 0.8 },
      { name: 'b', before: 0.4, after: 0.6 },
    ])
    expect([v.heldOut, v.trained]).toEqual([4, 12])
    expect(v.after).toEqual({
      labels: ['a', 'b'],
      matrix: [
        [2, 0],
        [1, 1],
      ],
    })
    expect(v.modelDir).toBe('/m/v2')
    expect(parseFinetuneResult({ nothing: 1 })).toBeNull()
    expect(parseFinetuneResult(null)).toBeNull()
  })
})
