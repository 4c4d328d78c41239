import { describe, expect, it } from 'vitest'
import { audioMeasures, faceExpressions } from '../../../src-main/engine/review/evidence'
import {
  EXPRESSION_LABELS,
  VIS_EXPRESSIONS,
  VIS_FACE_MISSING,
  VISUAL_DIM,
} from '../../../src-main/engine/features/types'
import { AUDIO_SAMPLE_RATE } from '../../../src-main/engine/media/audio'

function tone(hz: number, amp: number, sec: number): Float32Array {
  const x = new Float32Array(Math.round(sec * AUDIO_SAMPLE_RATE))
  for (let i = 0; i < x.length; i++) x[i] = amp * Math.sin((2 * Math.PI * hz * i) / AUDIO_SAMPLE_RATE)
  return x
}

describe('audioMeasures', () => {
  it('measures the energy, pitch and speaking rate of a known signal', () => {
    const a = audioMeasures(tone(200, 0.5, 2), 'one two three four', 2)!
    expect(a.energyDb).toBeCloseTo(20 * Math.log10(0.5 / Math.SQRT2), 0)
    expect(a.pitchHz!.low).toBeGreaterThan(190)
    expect(a.pitchHz!.high).toBeLessThan(210)
    expect(a.voicedShare).toBeGreaterThan(0.9)
    expect(a.wordsPerSec).toBe(2)
    const quiet = audioMeasures(new Float32Array(AUDIO_SAMPLE_RATE), '', 1)!
    expect(quiet.pitchHz).toBeNull()
    expect(quiet.voicedShare).toBe(0)
    expect(quiet.energyDb).toBe(-120)
  })
})

describe('faceExpressions', () => {
  it('averages expressions over the frames with a face and reports their share', () => {
    const frames = 4
    const seq = new Float32Array(frames * VISUAL_DIM)
    const happy = EXPRESSION_LABELS.indexOf('happy')
    const sad = EXPRESSION_LABELS.indexOf('sad')
    // Frames 0 and 2 have a face (happy 0.8 / 0.4, sad 0.2 / 0.6); 1 and 3 have none.
    seq[VIS_EXPRESSIONS + happy] = 0.8
    seq[VIS_EXPRESSIONS + sad] = 0.2
    seq[VISUAL_DIM + VIS_FACE_MISSING] = 1
    seq[VISUAL_DIM + VIS_EXPRESSIONS + happy] = 0.99 // ignored: no face
    seq[2 * VISUAL_DIM + VIS_EXPRESSIONS + happy] = 0.4
    seq[2 * VISUAL_DIM + VIS_EXPRESSIONS + sad] = 0.6
    seq[3 * VISUAL_DIM + VIS_FACE_MISSING] = 1
    const f = faceExpressions(seq, frames)!
    expect(f.faceShare).toBe(0.5)
    expect(f.frames).toBe(4)
    expect(f.expressions.happy).toBeCloseTo(0.6)
    expect(f.expressions.sad).toBeCloseTo(0.4)
    expect(f.expressions.neutral).toBe(0)
    expect(faceExpressions(new Float32Array(0), 0)).toBeNull()
  })
})
