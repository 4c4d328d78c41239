/**
 * Corpus conditions measured on what they produce: a small synthetic corpus generated for real
 * (espeak-ng + ffmpeg, conflicting visual cue at generation), its features extracted through the
 * real pipeline, then each condition applied and its effect measured on the transformed features.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSyntheticCorpus } from '../../../scripts/corpus-synthetic'
import { AUDIO_FBANK_BINS } from '../../../src-main/engine/features/types'
import {
  applyConditions,
  parseConditions,
  parseCondition,
} from '../../../src-main/engine/models/corpus-conditions'
import { readCorpus } from '../../../src-main/engine/models/corpus'
import { corpusFeatures } from '../../../src-main/engine/models/corpus-features'
import { emotionExamples } from '../../../src-main/engine/models/emotion'
import type { EmotionExample } from '../../../src-main/engine/models/emotion-model'

const N = 12
let dir: string
let examples: EmotionExample[]
let bright: boolean[]

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fws-cond-'))
  await generateSyntheticCorpus({ out: dir, n: N, seed: 5, perFile: 6, visualAgree: 0.25 })
  const corpus = readCorpus(dir)
  bright = corpus.utterances.map((u) => (u.provenance as unknown as { bright: boolean }).bright)
  const feats = await corpusFeatures(corpus, { fps: 0.5 })
  examples = emotionExamples(corpus, { features: feats })
}, 240_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

const valence = (label: string | null | undefined) => label === 'happy' || label === 'calm'

describe('corpus conditions', () => {
  it('generates exactly the requested share of conflicting visual cues', () => {
    const agree = examples.filter((e, i) => bright[i] === valence(e.label)).length
    expect(agree).toBe(3) // round(0.25 × 12)
    // and the cue is really in the video: bright utterances have the higher mean luma
    const luma = (e: EmotionExample) => e.features!.visual.pooled[149]!
    const lo = Math.min(...examples.filter((_, i) => bright[i]).map(luma))
    const hi = Math.max(...examples.filter((_, i) => !bright[i]).map(luma))
    expect(lo).toBeGreaterThan(hi)
  })

  it('missing-M:p removes modality M from that share of utterances (presence masks)', () => {
    expect(examples.every((e) => e.features?.audio.present && e.features.visual.present)).toBe(true)
    const out = applyConditions(
      examples,
      parseConditions(['missing-audio:0.5,missing-visual:0.25', 'missing-text:0.75']),
      3,
    )
    expect(out.filter((e) => !e.features!.audio.present && e.features!.audio.frames === 0).length).toBe(6)
    expect(out.filter((e) => !e.features!.visual.present && !e.features!.visual.facePresent).length).toBe(3)
    expect(out.filter((e) => e.text === '' && !e.features!.textPresent).length).toBe(9)
    expect(examples.every((e) => e.features!.audio.present && e.text.length > 0)).toBe(true) // input untouched
    // seeded: same seed same result, other seed other utterances
    const again = applyConditions(examples, parseConditions(['missing-audio:0.5']), 3)
    const other = applyConditions(examples, parseConditions(['missing-audio:0.5']), 4)
    const ids = (x: EmotionExample[]) => x.map((e) => e.features!.audio.present).join()
    expect(ids(again)).toBe(ids(applyConditions(examples, parseConditions(['missing-audio:0.5']), 3)))
    expect(ids(other)).not.toBe(ids(again))
  })

  it('noise-audio:s mixes noise at s dB SNR, measured on the transformed filterbank energies', () => {
    for (const snr of [0, 10]) {
      const out = applyConditions(examples, [parseCondition(`noise-audio:${snr}`)], 1)
      let sig = 0
      let noise = 0
      out.forEach((e, k) => {
        const a = examples[k]!.features!.audio
        const b = e.features!.audio
        expect(b.frames).toBe(a.frames)
        for (let t = 0; t < a.frames; t++)
          for (let j = 0; j < AUDIO_FBANK_BINS; j++) {
            const s = Math.exp(a.seq[t * a.dims + j]!)
            sig += s
            noise += Math.exp(b.seq[t * b.dims + j]!) - s
          }
        expect(b.pooled[0]).not.toBe(a.pooled[0])
      })
      expect(10 * Math.log10(sig / noise)).toBeCloseTo(snr, 0)
    }
  })

  it('swap-M:p and conflict-visual:p put another utterance’s stream into that share', () => {
    const sw = applyConditions(examples, [parseCondition('swap-audio:0.5')], 2)
    expect(sw.filter((e, i) => e.features!.audio !== examples[i]!.features!.audio).length).toBe(6)
    const tx = applyConditions(examples, [parseCondition('swap-text:0.25')], 2)
    expect(tx.filter((e, i) => e.text !== examples[i]!.text).length).toBeGreaterThanOrEqual(2)
    const cf = applyConditions(examples, [parseCondition('conflict-visual:0.5')], 2)
    const donorLabel = (e: EmotionExample) =>
      examples.find((d) => d.features!.visual === e.features!.visual)!.label
    const changed = cf.filter((e, i) => e.features!.visual !== examples[i]!.features!.visual)
    expect(changed.length).toBe(6)
    expect(changed.every((e) => donorLabel(e) !== e.label)).toBe(true)
  })

  it('refuses malformed conditions with a specific message', () => {
    expect(() => parseCondition('missing-audio:1.5')).toThrow(/share must be in 0..1/)
    expect(() => parseCondition('missing-smell:0.3')).toThrow(/unknown modality 'smell'/)
    expect(() => parseCondition('blur:0.3')).toThrow(/unknown condition 'blur'/)
    expect(() => parseCondition('noise-audio')).toThrow(/expected NAME:VALUE/)
  })
})
