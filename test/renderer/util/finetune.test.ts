/** The fine-tune panel's reading of job results: emotion scores in [0, 1], translation BLEU/chrF on 0–100. */
import { describe, expect, it } from 'vitest'
import { parseFinetuneResult } from '../../../src-renderer/src/util/finetune'

describe('parseFinetuneResult', () => {
  it('charts a translation fine-tune: BLEU and chrF before/after as 0–100 scores', () => {
    const v = parseFinetuneResult({
      task: 'translation',
      out: '/p/models/translation-en-de-ft',
      trainCount: 40,
      heldOutCount: 10,
      before: { bleu: 21.5, chrf: 48.25, n: 10 },
      after: { bleu: 30, chrf: 55.5, n: 10 },
    })!
    expect(v.metrics).toEqual([
      { name: 'BLEU', before: 0.215, after: 0.3, percent: true },
      { name: 'chrF', before: 0.4825, after: 0.555, percent: true },
    ])
    expect(v.heldOut).toBe(10)
    expect(v.trained).toBe(40)
    expect(v.modelDir).toBe('/p/models/translation-en-de-ft')
  })

  it('keeps emotion scores as fractions', () => {
    const v = parseFinetuneResult({ before: { weightedF1: 0.5, n: 9 }, after: { weightedF1: 0.6, n: 9 } })!
    expect(v.metrics).toEqual([{ name: 'weightedF1', before: 0.5, after: 0.6 }])
  })
})
