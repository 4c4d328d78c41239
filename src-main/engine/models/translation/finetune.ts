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
  type LoadedCheckpoint,
  type ManifestInput,
} from '../checkpoint'
import { saveTranslationCheckpoint, translationConfig } from './checkpoint'
import { epochBatches, type EncodedPair } from './data'
import { evaluateTranslation, loadTranslationModel } from './index'
import { TranslationModel, type TranslationConfig } from './model'
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

/** One network of the base folder (its own, or an ensemble member's subfolder), checked and read. */
interface BaseNetwork {
  /** Subfolder of an ensemble member; null for the folder's own network. */
  sub: string | null
  ck: LoadedCheckpoint
  config: TranslationConfig
}

function baseNetworks(base: string): BaseNetwork[] {
  const ck = loadCheckpoint(base, { task: 'translation' })
  const subs = [null, ...(ck.manifest.ensemble ?? []).map((m) => m.dir)]
  return [ck, ...ck.members].map((c, i) => ({
    sub: subs[i]!,
    ck: c,
    config: translationConfig(c.dir, c.modelConfig),
  }))
}

/** The label smoothing a network was trained with (fine-tuning keeps it). */
const labelSmoothingOf = (m: CheckpointManifest) =>
  (m.hyperparameters as { labelSmoothing?: number }).labelSmoothing ?? 0.1

/** What training one network from its base weights gave: the model (caller disposes), losses, steps. */
interface TrainedNetwork {
  model: TranslationModel
  losses: number[]
  steps: number
}

/** A fixed number of epochs of teacher-forced training of one network from its base weights. */
async function trainNetwork(
  tf: typeof TF,
  net: BaseNetwork,
  encoded: EncodedPair[],
  o: { epochs: number; lr: number; seed: number; batchTokens: number; signal?: AbortSignal },
  onEpoch: (epoch: number, loss: number) => void,
): Promise<TrainedNetwork> {
  const weights = new Map<string, TF.Tensor>()
  for (const [name, t] of net.ck.tensors) weights.set(name, tf.tensor(t.data, t.shape, 'float32'))
  const model = new TranslationModel(tf, net.config, { seed: o.seed, weights })
  tf.dispose([...weights.values()])
  const hyper = net.ck.manifest.hyperparameters as { clipNorm?: number }
  const labelSmoothing = labelSmoothingOf(net.ck.manifest)
  const opt = translationOptimisers(model, hyper.clipNorm ?? 1)
  const losses: number[] = []
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const batches = epochBatches(encoded, o.batchTokens, o.seed, epoch)
      let sum = 0
      for (const rows of batches) {
        throwIfAborted(o.signal, 'fine-tuning cancelled')
        const loss = await translationStep(tf, model, opt, { pairs: encoded, rows, lr: o.lr, labelSmoothing })
        if (!Number.isFinite(loss)) throw new Error(`fine-tuning diverged (loss ${loss}); use a lower --lr`)
        sum += loss
        await new Promise((r) => setImmediate(r))
      }
      losses.push(sum / Math.max(1, batches.length))
      onEpoch(epoch, losses[epoch]!)
    }
    return { model, losses, steps: opt.main.adam.step }
  } catch (err) {
    model.dispose()
    throw err
  } finally {
    disposeOptimisers(opt)
  }
}

/** How a fine-tuning ran, as the new manifests record it. */
interface FinetuneRecord {
  version?: string
  corpus: DataFile
  stamp: string
  t0: number
  settings: { epochs: number; lr: number; batchTokens: number; heldOutFraction: number; seed: number }
}

/** The new manifest of a network: the base's, as a child version of it trained on the corrections. */
function childManifest(
  net: BaseNetwork,
  t: TrainedNetwork,
  metrics: Record<string, unknown>,
  r: FinetuneRecord,
): ManifestInput {
  const m = net.ck.manifest
  const training = m.training as { steps?: number; seconds?: number } | undefined
  const { averaged: _averaged, ...base } = manifestInput(m)
  void _averaged
  return {
    ...base,
    version: r.version ?? `${m.version}.ft${r.stamp}`,
    createdAt: new Date().toISOString(),
    parent: { name: m.name, version: m.version, weightsSha256: m.weights.sha256 },
    parameters: t.model.parameterCount(),
    // What the weights have seen: the parent's data, then the corrections.
    data: [...m.data, r.corpus],
    hyperparameters: {
      ...m.hyperparameters,
      finetune: { ...r.settings, labelSmoothing: labelSmoothingOf(m) },
    },
    training: {
      ...training,
      steps: (training?.steps ?? 0) + t.steps,
      seconds: (training?.seconds ?? 0) + Math.round((Date.now() - r.t0) / 1000),
      command: 'fws finetune',
    },
    metrics,
  }
}

/**
 * Fine-tunes a translation model folder on corrected pairs. An ensemble is fine-tuned member by
 * member on the same pairs (same seed and batches) and written as an ensemble again.
 */
export async function finetuneTranslation(o: FinetuneTranslationOptions): Promise<FinetuneTranslationResult> {
  const log = o.log ?? (() => {})
  if (path.resolve(o.out) === path.resolve(o.base))
    throw new Error('fine-tuning must write a new folder, not overwrite the base model')
  if (existsSync(path.join(o.out, 'manifest.json')))
    throw new Error(`${o.out} already holds a model; choose a new folder for the fine-tuned version`)
  // Checked (manifests, every file's checksum) before anything heavy happens.
  const nets = baseNetworks(o.base)
  const { ck, config } = nets[0]!
  const bm = ck.manifest
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
  const maxTok = config.maxLen - 2
  const encoded: EncodedPair[] = train
    .map((p) => ({
      src: [...vocab.encode(p.src), 3].slice(0, maxTok),
      tgt: vocab.encode(p.tgt).slice(0, maxTok - 1),
    }))
    .filter((p) => p.tgt.length > 0)
  const batchTokens = o.batchTokens ?? 1200
  const record: FinetuneRecord = {
    version: o.version,
    corpus: o.corpus,
    stamp: new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14),
    t0: Date.now(),
    settings: { epochs, lr, batchTokens, heldOutFraction: frac, seed },
  }
  const trained: TrainedNetwork[] = []
  try {
    for (const [i, net] of nets.entries()) {
      if (nets.length > 1) log(`ensemble member ${i + 1}/${nets.length}${net.sub ? ` (${net.sub})` : ''}`)
      trained.push(
        await trainNetwork(
          tf,
          net,
          encoded,
          { epochs, lr, seed, batchTokens, signal: o.signal },
          (epoch, loss) => {
            log(`epoch ${epoch + 1}/${epochs}: loss ${loss.toFixed(3)}`)
            const done = i * epochs + epoch + 1
            o.onProgress?.({ fraction: done / (nets.length * epochs), epoch: epoch + 1, epochs })
          },
        ),
      )
    }
    log(`scoring the new version on the same held-out corrections …`)
    const save = (metrics: Record<string, unknown>) =>
      saveTranslationCheckpoint(
        o.out,
        childManifest(nets[0]!, trained[0]!, metrics, record),
        config,
        new Map(trained[0]!.model.vars),
        vocabJson,
        bm.files.vocab,
        Object.fromEntries(
          nets.slice(1).map((net, j) => [
            net.sub!,
            {
              manifest: childManifest(net, trained[j + 1]!, net.ck.manifest.metrics, record),
              config: net.config,
              weights: new Map(trained[j + 1]!.model.vars),
            },
          ]),
        ),
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
      losses: trained[0]!.losses,
    }
  } finally {
    for (const t of trained) t.model.dispose()
  }
}
