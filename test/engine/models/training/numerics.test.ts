/**
 * The one training core keeps each task's numbers: tiny fixed-seed runs of the emotion trainer
 * (LMF and GAN-Fusion) and of the translation trainer (AutoFusion and GAN-Fusion) must give the
 * loss curves and final weights recorded before the two trainers were moved onto the core
 * (values printed by this test on the commit before; weights compared by sha256 of their bytes).
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getTf } from '../../../../src-main/engine/backend'
import type { FusionMethod } from '../../../../src-main/engine/fusion/types'
import { startGradientWorkers } from '../../../../src-main/engine/jobs/gradient-workers'
import { buildEmotionModel, DEFAULT_EMOTION_CONFIG } from '../../../../src-main/engine/models/emotion'
import { trainClassifier } from '../../../../src-main/engine/models/trainer'
import { readTensorFile } from '../../../../src-main/engine/models/training/tensor-file'
import { trainTranslation } from '../../../../src-main/engine/models/translation/train'
import { dataset as emotionTask } from '../helpers/emotion-task'

let dir: string
beforeAll(async () => {
  await getTf()
  dir = mkdtempSync(join(tmpdir(), 'fws-numerics-'))
  const pairs = Array.from({ length: 60 }, (_, i) => {
    const a = ['red', 'blue', 'big'][i % 3]!
    const n = ['dog', 'cat', 'man', 'woman'][Math.floor(i / 3) % 4]!
    const de: Record<string, string> = {
      red: 'rote',
      blue: 'blaue',
      big: 'große',
      dog: 'Hund',
      cat: 'Katze',
      man: 'Mann',
      woman: 'Frau',
    }
    return [`the ${a} ${n} runs.`, `der ${de[a]} ${de[n]} läuft.`]
  })
  writeFileSync(join(dir, 'train.en'), pairs.map((p) => p[0]).join('\n') + '\n')
  writeFileSync(join(dir, 'train.de'), pairs.map((p) => p[1]).join('\n') + '\n')
  writeFileSync(
    join(dir, 'val.en'),
    pairs
      .slice(0, 6)
      .map((p) => p[0])
      .join('\n') + '\n',
  )
  writeFileSync(
    join(dir, 'val.de'),
    pairs
      .slice(0, 6)
      .map((p) => p[1])
      .join('\n') + '\n',
  )
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function sha(arrays: Float32Array[]): string {
  const h = createHash('sha256')
  for (const a of arrays) h.update(Buffer.from(a.buffer, a.byteOffset, a.byteLength))
  return h.digest('hex').slice(0, 16)
}

/** The synthetic task these figures were recorded on (two words per valence, 4–6 audio frames). */
const dataset = (n: number, seed: number) =>
  emotionTask(n, seed, { pos: ['great', 'nice'], neg: ['awful', 'bad'], frameSpread: 3 })

async function emotionRun(fusion: FusionMethod): Promise<{ losses: number[]; weights: string }> {
  const { model } = await buildEmotionModel(
    {
      ...DEFAULT_EMOTION_CONFIG,
      fusion,
      labels: ['joy', 'neutral', 'anger', 'sadness'],
      latentDim: 8,
      fusedDim: 8,
      headHidden: 8,
      dropout: 0.1,
      modalityDropout: 0,
      text: {
        ...DEFAULT_EMOTION_CONFIG.text,
        embDim: 8,
        hidden: 4,
        contextTurns: 0,
        pretrained: false,
        freezeEmbedding: false,
      },
      seqHidden: 4,
      seed: 3,
    },
    dataset(48, 1),
  )
  try {
    const r = await trainClassifier(model, dataset(48, 1), dataset(16, 2), {
      epochs: 2,
      batchSize: 16,
      lr: 0.01,
      seed: 5,
      patience: 5,
      weightDecay: 0.01,
    })
    // Final weights = the best epoch's (restored by trainClassifier).
    return {
      losses: r.history.map((h) => h.trainLoss),
      weights: sha(model.store.list().map((e) => e.variable.dataSync() as Float32Array)),
    }
  } finally {
    model.dispose()
  }
}

/**
 * A tiny translation run of 26 steps. `interrupt`: first train until an abort at step 10, then
 * resume ('legacy': from that state rewritten in the layout before the one core, `<out>/state`).
 */
async function translationRun(
  fusion: FusionMethod,
  out: string,
  workers = 0,
  interrupt?: 'abort' | 'legacy',
): Promise<{ losses: number[]; weights: string }> {
  const base = {
    trainSrc: join(dir, 'train.en'),
    trainTgt: join(dir, 'train.de'),
    valSrc: join(dir, 'val.en'),
    valTgt: join(dir, 'val.de'),
    out: join(dir, out),
    vocabSize: 40,
    model: {
      dModel: 16,
      heads: 2,
      ffDim: 32,
      encLayers: 1,
      decLayers: 1,
      dropout: 0,
      latentDim: 8,
      fusedDim: 8,
      fusion,
    },
    batchTokens: 150,
    peakLr: 3e-3,
    warmupSteps: 10,
    maxSteps: 26,
    checkpointEvery: 26,
    validateEvery: 100,
    valLimit: 3,
    validateOnStop: false,
    seed: 2,
    workers,
    gradientWorkers: startGradientWorkers,
  }
  if (interrupt) {
    const ac = new AbortController()
    const first = await trainTranslation({
      ...base,
      checkpointEvery: 10,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.stage === 'checkpoint' && p.step === 10) ac.abort()
      },
    })
    expect(first.steps).toBe(10)
    if (interrupt === 'legacy') toLegacyState(join(dir, `${out}.training`, 'state'), join(dir, out, 'state'))
  }
  const r = await trainTranslation({ ...base, resume: !!interrupt })
  expect(r.steps).toBe(26)
  const state = join(dir, `${out}.training`, 'state')
  const tensors = [...readTensorFile(state, 'model'), ...readTensorFile(state, 'optimizer')]
  const st = JSON.parse(readFileSync(join(state, 'trainer.json'), 'utf8'))
  return {
    losses: (st.losses as { loss: number }[]).map((l) => l.loss),
    weights: sha(tensors.map((t) => t.data)),
  }
}

/** Rewrites a state folder as the translation trainer wrote it before the one core, at `to`. */
function toLegacyState(from: string, to: string): void {
  const meta = JSON.parse(readFileSync(join(from, 'trainer.json'), 'utf8'))
  const { task: _t, optimizers, sha256: _s, ...fields } = meta
  void [_t, _s]
  const gan = optimizers['optimizer-gan'] as { step: number } | undefined
  writeFileSync(
    join(from, 'trainer.json'),
    JSON.stringify({
      ...fields,
      format: 'fws-translation-state-1',
      ...(gan ? { ganAdamStep: gan.step } : {}),
    }),
  )
  mkdirSync(dirname(to), { recursive: true })
  renameSync(from, to)
}

describe('training numerics', () => {
  it('emotion (LMF, GAN-Fusion): loss curve and final weights as recorded', async () => {
    const recorded = {
      lmf: { losses: [1.3532121181488037, 1.2745089133580525], weights: 'f28c934889487fb5' },
      ganfusion: { losses: [2.0655580361684165, 1.6494015455245972], weights: '3c9000d6964b4733' },
    }
    for (const fusion of ['lmf', 'ganfusion'] as const) {
      const r = await emotionRun(fusion)
      r.losses.forEach((l, i) => expect(l).toBeCloseTo(recorded[fusion].losses[i]!, 6))
      expect(r.weights).toBe(recorded[fusion].weights)
    }
  }, 120_000)

  it('translation (AutoFusion, GAN-Fusion): loss curve and final weights + moments as recorded', async () => {
    const recorded = {
      autofusion: { losses: [3.939838104248047], weights: 'dbc6341af92df3e2' },
      ganfusion: { losses: [4.00183217048645], weights: 'c1c031c50219d281' },
      // Data parallel: the main thread + one gradient worker (the engine's worker pool).
      workers: { losses: [3.9398181302284416], weights: '503e3097e42ab945' },
    }
    for (const [run, fusion, workers] of [
      ['autofusion', 'autofusion', 0],
      ['ganfusion', 'ganfusion', 0],
      ['workers', 'autofusion', 1],
    ] as const) {
      const r = await translationRun(fusion, run, workers)
      r.losses.forEach((l, i) => expect(l).toBeCloseTo(recorded[run].losses[i]!, 6))
      expect(r.weights).toBe(recorded[run].weights)
    }
  }, 180_000)

  it('translation resumes after an abort to the same weights and moments as the uninterrupted run', async () => {
    // The recorded results of the uninterrupted runs above.
    const recorded = { autofusion: 'dbc6341af92df3e2', ganfusion: 'c1c031c50219d281' }
    for (const fusion of ['autofusion', 'ganfusion'] as const)
      expect((await translationRun(fusion, `${fusion}-resumed`, 0, 'abort')).weights).toBe(recorded[fusion])
    // A state in the layout before the one core (inside the model folder) is moved out and resumes the same.
    expect((await translationRun('ganfusion', 'legacy', 0, 'legacy')).weights).toBe(recorded.ganfusion)
    expect(existsSync(join(dir, 'legacy', 'state'))).toBe(false)
  }, 180_000)
})
