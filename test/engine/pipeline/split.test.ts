import { describe, expect, it } from 'vitest'
import { MIN_PART_SEC, splitParts } from '../../../src-main/engine/pipeline/batch'

const utts = (n: number, every: number, len: number) =>
  Array.from({ length: n }, (_, i) => ({ start: i * every, end: i * every + len }))

describe('splitParts', () => {
  it('keeps a short file in one part', () => {
    const u = utts(10, 3, 2) // 29 s
    expect(splitParts(u, 2)).toEqual([{ offset: 0, utterances: u }])
    expect(splitParts([], 2)).toEqual([{ offset: 0, utterances: [] }])
  })

  it('cuts a long file into contiguous runs of about equal time, covering every utterance once', () => {
    const u = utts(200, 3, 2.5) // 600 s
    const parts = splitParts(u, 2)
    expect(parts).toHaveLength(2)
    expect(parts[0]!.offset).toBe(0)
    expect(parts[1]!.offset).toBe(parts[0]!.utterances.length)
    expect(parts.flatMap((p) => p.utterances)).toEqual(u)
    expect(Math.abs(parts[0]!.utterances.length - parts[1]!.utterances.length)).toBeLessThanOrEqual(2)
    expect(splitParts(u, 1)).toHaveLength(1)
    // Never more parts than MIN_PART_SEC allows.
    expect(splitParts(utts(40, 3, 2), 8).length).toBeLessThanOrEqual(Math.floor(119 / MIN_PART_SEC))
  })
})
