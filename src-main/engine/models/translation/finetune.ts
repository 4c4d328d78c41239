/**
 * Fine-tuning a translation model on corrected translations (source text → corrected target).
 * Owns: the seeded held-out split, BLEU/chrF of the base and of the new model on that split (both
 * measured through loadTranslationModel, i.e. exactly what will run), a fixed number of epochs of
 * teacher-forced training from the base weights (same loss, fusion and GAN-Fusion stages as
 * `fws train translation`; the held-out part is never used to choose anything), and writing the
 * new version (manifest naming its parent, same vocabulary, decoding settings carried over).
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import type * as TF from '@tensorflow/tfjs'
import { getTf } from '../../backend'
import { BpeVocab, type BpeVocabJson } from '../../features/text/bpe'
import { Rng } from '../../fusion/nn'
import {
  loadCheckpoint,
  manifestInput,
  readManifest,
  type CheckpointManifest,
  type DataFile,
} from '../checkpoint'
import { saveTranslationCheckpoint, translationConfig } from './checkpoint'
import { epochBatches, type EncodedPair } from './data'
import { evaluateTranslation, loadTranslationModel } from './index'
import { TranslationModel } from './model'
import { throwIfAborted } from '../training/control'
import { disposeOptimisers, translationOptimisers, translationStep } from './train-step'

export interface TranslationPair {
  src: string
  tgt: string
}

export interface FinetuneTranslationOptions {
  /** Base translation model folder. */
  base: string
  pairs: TranslationPair[]
  /** Folder for the new version (must not hold a model). */
  out: string
  heldOutFraction?: number
  epochs?: number
  lr?: number
  batchTokens?: number
  seed?: number
  /** Beam width for the before/after scores (default: the model's decoding setting). */
  beam?: number
  version?: string
  /** The corrections corpus the pairs came from (name and content sha256), recorded as data. */
  corpus: DataFile
  log?: (line: string) => void
  signal?: AbortSignal
  onProgress?: (p: { fraction: number; epoch: number; epochs: number }) => void
}

export interface TranslationScores {
  bleu: number
  chrf: number
  n: number
}

export interface FinetuneTranslationResult {
  manifest: CheckpointManifest
  before: TranslationScores
  after: TranslationScores
  trainCount: number
  heldOutCount: number
  /** Mean training loss per epoch. */
  losses: number[]
}

async function score(dir: string, pairs: TranslationPair[], beam?: number): Promise<TranslationScores> {
  const m = await loadTranslationModel(dir)
  try {
    const { result } = await evaluateTranslation(
      m,
      pairs.map((p) => p.src),
      pairs.map((p) => p.tgt),
      { beam },
    )
    return { bleu: result.bleu, chrf: result.chrf, n: result.n }
  } finally {
    m.dispose()
  }
}

export async function finetuneTranslation(o: FinetuneTranslationOptions): Promise<FinetuneTranslationResult> {
  const log = o.log ?? (() => {})
  if (path.resolve(o.out) === path.resolve(o.base))
    throw new Error('fine-tuning must write a new folder, not overwrite the base model')
  if (existsSync(path.join(o.out, 'manifest.json')))
    throw new Error(`${o.out} already holds a model; choose a new folder for the fine-tuned version`)
  // Checked (manifest, every file's checksum) before anything heavy happens.
  const ck = loadCheckpoint(o.base, { task: 'translation' })
  const bm = ck.manifest
  const config = translationConfig(o.base, ck.modelConfig)
  const frac = o.heldOutFraction ?? 0.2
  const seed = o.seed ?? 1
  const epochs = o.epochs ?? 5
  const lr = o.lr ?? 1e-4
  const pairs = o.pairs.filter((p) => p.src.trim() && p.tgt.trim())
  const order = new Rng(seed).shuffle([...pairs.keys()])
  const k = Math.max(1, Math.round(pairs.length * frac))
  const held = order.slice(0, k).map((i) => pairs[i]!)
  const train = order.slice(k).map((i) => pairs[i]!)
  if (held.length < 1 || train.length < 2)
    throw new Error(
      `fine-tuning needs more corrected translations: ${pairs.length} give ${train.length} to train on and ${held.length} held out`,
    )
  log(`scoring ${bm.name}@${bm.version} on ${held.length} held-out corrections …`)
  const before = await score(o.base, held, o.beam)

  const { tf } = await getTf()
  const vocabJson = JSON.parse(ck.readFile('vocab')) as BpeVocabJson
  const vocab = new BpeVocab(vocabJson)
  const weights = new Map<string, TF.Tensor>()
  for (const [name, t] of ck.tensors) weights.set(name, tf.tensor(t.data, t.shape, 'float32'))
  const model = new TranslationModel(tf, config, { seed, weights })
  tf.dispose([...weights.values()])
  const maxTok = config.maxLen - 2
  const encoded: EncodedPair[] = train
    .map((p) => ({
      src: [...vocab.encode(p.src), 3].slice(0, maxTok),
      tgt: vocab.encode(p.tgt).slice(0, maxTok - 1),
    }))
    .filter((p) => p.tgt.length > 0)
  const hyper = bm.hyperparameters as { labelSmoothing?: number; clipNorm?: number }
  const labelSmoothing = hyper.labelSmoothing ?? 0.1
  const opt = translationOptimisers(model, hyper.clipNorm ?? 1)
  const batchTokens = o.batchTokens ?? 1200
  const losses: number[] = []
  const t0 = Date.now()
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const batches = epochBatches(encoded, batchTokens, seed, epoch)
      let sum = 0
      for (const rows of batches) {
        throwIfAborted(o.signal, 'fine-tuning cancelled')
        const loss = await translationStep(tf, model, opt, { pairs: encoded, rows, lr, labelSmoothing })
        if (!Number.isFinite(loss)) throw new Error(`fine-tuning diverged (loss ${loss}); use a lower --lr`)
        sum += loss
        await new Promise((r) => setImmediate(r))
      }
      losses.push(sum / Math.max(1, batches.length))
      log(`epoch ${epoch + 1}/${epochs}: loss ${losses[epoch]!.toFixed(3)}`)
      o.onProgress?.({ fraction: (epoch + 1) / epochs, epoch: epoch + 1, epochs })
    }
    log(`scoring the new version on the same held-out corrections …`)
    const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)
    const training = bm.training as { steps?: number; seconds?: number } | undefined
    const { averaged: _averaged, ...base } = manifestInput(bm)
    void _averaged
    const save = (metrics: Record<string, unknown>) =>
      saveTranslationCheckpoint(
        o.out,
        {
          ...base,
          version: o.version ?? `${bm.version}.ft${stamp}`,
          createdAt: new Date().toISOString(),
          parent: { name: bm.name, version: bm.version, weightsSha256: bm.weights.sha256 },
          parameters: model.parameterCount(),
          // What the weights have seen: the parent's data, then the corrections.
          data: [...bm.data, o.corpus],
          hyperparameters: {
            ...bm.hyperparameters,
            finetune: { epochs, lr, batchTokens, heldOutFraction: frac, seed, labelSmoothing },
          },
          training: {
            ...training,
            steps: (training?.steps ?? 0) + opt.main.adam.step,
            seconds: (training?.seconds ?? 0) + Math.round((Date.now() - t0) / 1000),
            command: 'fws finetune',
          },
          metrics,
        },
        config,
        new Map(model.vars),
        vocabJson,
        bm.files.vocab,
      )
    save({ ...bm.metrics })
    const after = await score(o.out, held, o.beam)
    // The held-out scores go into the new manifest (rewritten with its checksums).
    save({ ...bm.metrics, finetune: { before, after, train: train.length, heldOut: held.length } })
    return {
      manifest: readManifest(o.out, 'translation'),
      before,
      after,
      trainCount: train.length,
      heldOutCount: held.length,
      losses,
    }
  } finally {
    disposeOptimisers(opt)
    model.dispose()
  }
}
