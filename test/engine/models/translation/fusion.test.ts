/**
 * The translator's fusion through the library's createFusion: checkpoint names (AutoFusion keeps
 * the translation checkpoints' fusion.c1/c2/r1/r2), the hidden size of configs made before the
 * fusion choice (floor(k/2)) vs new ones (recorded), resuming such a training state, and the
 * shipped model loading with the one AutoFusion implementation.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type * as TF from '@tensorflow/tfjs'
import { getTf } from '../../../../src-main/engine/backend'
import { loadCheckpoint } from '../../../../src-main/engine/models/checkpoint'
import { translationConfig } from '../../../../src-main/engine/models/translation/checkpoint'
import { trainTranslation } from '../../../../src-main/engine/models/translation/train'
import {
  TranslationModel,
  fusionWeightName,
  translationFusionOptions,
  type TranslationConfig,
} from '../../../../src-main/engine/models/translation/model'

let tf: typeof TF
beforeAll(async () => {
  tf = (await getTf()).tf
})

const tiny: TranslationConfig = {
  vocabSize: 20,
  dModel: 8,
  heads: 2,
  ffDim: 16,
  encLayers: 1,
  decLayers: 1,
  latentDim: 5,
  fusedDim: 4,
  dropout: 0,
  maxLen: 16,
  audioDim: 3,
  visualDim: 3,
}

describe('translation fusion', () => {
  it('names fusion weights like translation checkpoints always have', () => {
    expect(fusionWeightName('fusion/compress1/w')).toBe('fusion.c1.w')
    expect(fusionWeightName('fusion/reconstruct2/b')).toBe('fusion.r2.b')
    expect(fusionWeightName('fusion/real_text/compress1/w')).toBe('fusion.real_text.compress1.w')
    expect(fusionWeightName('fusion/G_audio/bn1/moving_mean')).toBe('fusion.G_audio.bn1.moving_mean')
  })

  it('a config without fusion is AutoFusion with floor(k/2); a new one records its hidden size', () => {
    const legacy = new TranslationModel(tf, tiny)
    expect(legacy.fusion.method).toBe('autofusion')
    expect(legacy.vars.get('fusion.c1.w')!.shape).toEqual([15, 7])
    const opts = translationFusionOptions('autofusion', {}, tiny.latentDim)
    expect(opts).toEqual({ autoFusionHidden: 8 })
    const fresh = new TranslationModel(tf, { ...tiny, fusion: 'autofusion', fusionOptions: opts })
    expect(fresh.vars.get('fusion.c1.w')!.shape).toEqual([15, 8])
    // Weights of one method are refused by another, naming the weight.
    const weights = new Map([...legacy.vars].map(([k, v]) => [k, v.clone() as TF.Tensor]))
    expect(() => new TranslationModel(tf, { ...tiny, fusion: 'concat' }, { weights })).toThrow(
      /missing weight "fusion\.proj\.w"/,
    )
    expect(() => new TranslationModel(tf, fresh.config, { weights })).toThrow(
      /fusion\.c1\.w" has shape \[15,7\]/,
    )
    tf.dispose([...weights.values()])
    legacy.dispose()
    fresh.dispose()
  })

  const shipped = join(import.meta.dirname, '../../../../resources/models/translation-en-de')
  it.runIf(existsSync(join(shipped, 'weights.bin')))(
    'the shipped model loads with the one AutoFusion',
    () => {
      const ck = loadCheckpoint(shipped, { task: 'translation' })
      const config = translationConfig(shipped, ck.modelConfig)
      const weights = new Map<string, TF.Tensor>()
      for (const [name, t] of ck.tensors) weights.set(name, tf.tensor(t.data, t.shape, 'float32'))
      const model = new TranslationModel(tf, config, { weights })
      expect(model.fusion.method).toBe('autofusion')
      // Every stored weight is used, the fusion's under its old names.
      expect([...model.vars.keys()].sort()).toEqual([...weights.keys()].sort())
      expect(model.vars.get('fusion.c1.w')!.shape).toEqual([3 * config.latentDim, 192])
      tf.dispose([...weights.values()])
      model.dispose()
    },
  )
})

describe('resuming a training state made before the fusion choice', () => {
  it('continues as AutoFusion (floor(k/2)) and refuses another --fusion', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fws-tr-legacy-'))
    try {
      const src = ['the dog runs.', 'the cat sleeps.', 'a man eats.', 'the woman runs.']
      const tgt = ['der Hund läuft.', 'die Katze schläft.', 'ein Mann isst.', 'die Frau läuft.']
      for (const [f, lines] of [
        ['s.en', src],
        ['s.de', tgt],
      ] as const)
        writeFileSync(join(dir, f), lines.join('\n') + '\n')
      const opts = {
        trainSrc: join(dir, 's.en'),
        trainTgt: join(dir, 's.de'),
        valSrc: join(dir, 's.en'),
        valTgt: join(dir, 's.de'),
        out: join(dir, 'm'),
        vocabSize: 40,
        // latentDim 5: k = 15 is odd, so floor(k/2) = 7 and round(k/2) = 8 differ.
        model: {
          dModel: 8,
          heads: 2,
          ffDim: 16,
          encLayers: 1,
          decLayers: 1,
          latentDim: 5,
          fusedDim: 4,
          dropout: 0,
        },
        batchTokens: 100,
        checkpointEvery: 1000,
        validateOnStop: false,
      }
      await trainTranslation({
        ...opts,
        model: { ...opts.model, fusion: 'autofusion', fusionOptions: { autoFusionHidden: 7 } },
        maxSteps: 2,
      })
      // Make the state look like one written before the fusion choice (no config.fusion).
      const statePath = join(dir, 'm.training', 'state', 'trainer.json')
      const state = JSON.parse(readFileSync(statePath, 'utf8'))
      delete state.hyper.config.fusion
      delete state.hyper.config.fusionOptions
      writeFileSync(statePath, JSON.stringify(state))
      await expect(
        trainTranslation({ ...opts, resume: true, model: { ...opts.model, fusion: 'concat' }, maxSteps: 4 }),
      ).rejects.toThrow(/trained with autofusion/)
      const r = await trainTranslation({ ...opts, resume: true, maxSteps: 4 })
      expect(r.steps).toBe(4)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
