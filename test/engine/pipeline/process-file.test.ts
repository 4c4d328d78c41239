/** The emotion step's model calls: every utterance predicted once, with its neighbours as context. */
import { describe, expect, it } from 'vitest'
import { predictionWindows } from '../../../src-main/engine/pipeline/process-file'

describe('predictionWindows', () => {
  it('covers every utterance exactly once and reads up to `overlap` neighbours on either side', () => {
    for (const [n, chunk, overlap] of [
      [0, 32, 8],
      [5, 32, 8],
      [32, 32, 8],
      [33, 32, 8],
      [100, 32, 8],
      [100, 32, 0],
    ] as const) {
      const ws = predictionWindows(n, chunk, overlap)
      const kept = ws.flatMap((w) => Array.from({ length: w.to - w.from }, (_, k) => w.from + k))
      expect(kept).toEqual([...Array(n).keys()])
      for (const w of ws) {
        expect(w.to - w.from).toBeLessThanOrEqual(chunk)
        expect(w.lo).toBe(Math.max(0, w.from - overlap))
        expect(w.hi).toBe(Math.min(n, w.to + overlap))
      }
    }
    expect(predictionWindows(70, 32, 8)).toEqual([
      { lo: 0, hi: 40, from: 0, to: 32 },
      { lo: 24, hi: 70, from: 32, to: 64 },
      { lo: 56, hi: 70, from: 64, to: 70 },
    ])
  })
})
