/**
 * Emotion fine-tuning keeps its held-out part out of every choice: the split is stratified and
 * disjoint, the trained weights do not depend on what the held-out examples say, and "after" is
 * what the saved folder scores through the loader.
 */
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { getTf } from '../../../src-main/engine/backend'
import {
  buildEmotionModel,
  finetuneEmotion,
  loadEmotionModel,
  saveEmotionModel,
} from '../../../src-main/engine/models/emotion'
import { splitExamples } from '../../../src-main/engine/models/emotion-finetune'
import type { EmotionExample } from '../../../src-main/engine/models/emotion-model'
import { reportSummary } from '../../../src-main/engine/models/emotion-report'
import { trainClassifier } from '../../../src-main/engine/models/trainer'
import { config, dataset, saveOpts } from './helpers/emotion-task'

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'fws-emo-ft-'))
const corpus = { role: 'finetune', name: 'corrections', sha256: 'cd'.repeat(32) }
let base: string

beforeAll(async () => {
  await getTf()
  const { model } = await buildEmotionModel(config('concat'), dataset(80, 1))
  await trainClassifier(model, dataset(80, 1), dataset(20, 2), {
    epochs: 1,
    batchSize: 16,
    lr: 0.01,
    seed: 1,
  })
  base = tmp()
  saveEmotionModel(base, model, saveOpts)
  model.dispose()
}, 120_000)

describe('emotion fine-tuning', () => {
  it('splits per label into disjoint train, development and held-out parts', () => {
    const examples = dataset(60, 5)
    const s = splitExamples(examples, 0.2, 7)
    expect(s.train.length + s.dev.length + s.held.length).toBe(60)
    expect(new Set([...s.train, ...s.dev, ...s.held]).size).toBe(60)
    for (const label of new Set(examples.map((e) => e.label))) {
      const n = examples.filter((e) => e.label === label).length
      const held = s.held.filter((e) => e.label === label).length
      const dev = s.dev.filter((e) => e.label === label).length
      expect(held).toBe(Math.max(1, Math.round(n * 0.2)))
      expect(dev).toBe(Math.max(1, Math.round((n - held) * 0.2)))
    }
    expect(splitExamples(examples, 0.2, 7).held).toEqual(s.held) // seeded
  })

  it(
    'trains the same weights whatever the held-out examples say, and reports them as saved',
    { timeout: 120_000 },
    async () => {
      const examples = dataset(60, 5)
      const { held } = splitExamples(examples, 0.2, 3)
      // The same examples with every held-out one's text and audio changed (labels kept, so
      // the split is the same): nothing trained or chosen may change.
      const heldSet = new Set(held)
      const scrambled: EmotionExample[] = examples.map((e, i) =>
        heldSet.has(e) ? { ...dataset(60, 99)[i]!, label: e.label } : e,
      )
      const run = (ex: EmotionExample[], out: string) =>
        finetuneEmotion({ base, examples: ex, out, epochs: 3, seed: 3, version: '1.0.1', corpus })
      const out = tmp()
      const a = await run(examples, out)
      const b = await run(scrambled, tmp())
      expect(a.devCount).toBeGreaterThan(0)
      expect(a.heldOutCount).toBe(held.length)
      expect(b.manifest.weights.sha256).toBe(a.manifest.weights.sha256)
      expect(b.after).not.toEqual(a.after)
      // "after" is the saved model's score on the held-out part, as the loader reads it.
      const saved = loadEmotionModel(out)
      try {
        expect(a.after).toEqual(reportSummary(saved.evaluate(held)))
        expect(saved.manifest.metrics.finetune).toMatchObject({ after: a.after, dev: a.devCount })
      } finally {
        saved.dispose()
      }
    },
  )
})
