/**
 * Fine-tuning an emotion checkpoint on corrected examples into a new version whose manifest
 * names its parent: a stratified held-out split, the base's metrics on it, training, and the
 * fine-tuned metrics on the same held-out examples.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { Rng } from '../fusion/nn'
import type { Modality } from '../fusion/types'
import type { CheckpointManifest, DataFile } from './checkpoint'
import { loadEmotionModel, saveEmotionModel } from './emotion-checkpoint'
import type { EmotionExample } from './emotion-model'
import { reportSummary } from './emotion-report'
import { trainClassifier, type TrainProgress } from './trainer'

export interface FinetuneEmotionOptions {
  /** The checkpoint to start from. */
  base: string
  /** Corrected examples (their labels must be in the base model's label set). */
  examples: EmotionExample[]
  /** The corrections corpus they came from (file / folder name and content sha256), recorded as data. */
  corpus: DataFile
  /** Folder for the new version (must not be the base folder). */
  out: string
  heldOutFraction?: number
  epochs?: number
  lr?: number
  batchSize?: number
  seed?: number
  /** Version string of the new model (default: base version + ".ft" + timestamp). */
  version?: string
  log?: (line: string) => void
  onProgress?: (p: TrainProgress) => void
  signal?: AbortSignal
}

export interface FinetuneEmotionResult {
  manifest: CheckpointManifest
  /** Held-out metrics of the base model and of the fine-tuned model (same held-out examples). */
  before: ReturnType<typeof reportSummary>
  after: ReturnType<typeof reportSummary>
  trainCount: number
  heldOutCount: number
}

/**
 * Fine-tunes a checkpoint on corrected examples: a seeded, per-label stratified held-out split;
 * metrics of the base model on it; training (all branches, so audio/visual features present in
 * the corrections train the fusion) with early stopping on the held-out weighted F1; the new
 * version saved to `out` with `parent` = the base's name@version.
 */
export async function finetuneEmotion(o: FinetuneEmotionOptions): Promise<FinetuneEmotionResult> {
  if (path.resolve(o.out) === path.resolve(o.base))
    throw new Error('fine-tuning must write a new folder, not overwrite the base model')
  if (existsSync(path.join(o.out, 'manifest.json')))
    throw new Error(`${o.out} already holds a model; choose a new folder for the fine-tuned version`)
  const base = loadEmotionModel(o.base)
  try {
    for (const e of o.examples)
      if (!e.label || !base.model.labelIndex.has(e.label))
        throw new Error(
          `fine-tuning example label '${e.label}' is not in the base model's label set (${base.labels.join(', ')})`,
        )
    const frac = o.heldOutFraction ?? 0.2
    const rng = new Rng(o.seed ?? 1)
    const byLabel = new Map<string, EmotionExample[]>()
    for (const e of o.examples) byLabel.set(e.label!, [...(byLabel.get(e.label!) ?? []), e])
    const train: EmotionExample[] = []
    const held: EmotionExample[] = []
    for (const list of byLabel.values()) {
      rng.shuffle(list)
      const k = list.length > 1 ? Math.max(1, Math.round(list.length * frac)) : 0
      held.push(...list.slice(0, k))
      train.push(...list.slice(k))
    }
    if (held.length < 2 || train.length < 2)
      throw new Error(
        `fine-tuning needs more corrected examples: ${o.examples.length} give ${train.length} to train on and ${held.length} held out`,
      )
    const before = reportSummary(base.evaluate(held))
    const present: Record<Modality, boolean> = {
      text: true,
      audio: train.some((e) => e.features?.audio?.present),
      visual: train.some((e) => e.features?.visual?.present),
    }
    const result = await trainClassifier(base.model, train, held, {
      epochs: o.epochs ?? 10,
      batchSize: o.batchSize ?? 16,
      lr: o.lr ?? 3e-4,
      warmupSteps: 0,
      patience: 3,
      seed: o.seed ?? 1,
      metric: 'weightedF1',
      log: o.log,
      onProgress: o.onProgress,
      signal: o.signal,
    })
    const after = reportSummary(result.best)
    const bm = base.manifest
    const trained = Object.fromEntries(
      (['text', 'audio', 'visual'] as const).map((m) => [
        m,
        Boolean(bm.modalities[m]?.trained) || present[m],
      ]),
    ) as Record<Modality, boolean>
    const manifest = saveEmotionModel(o.out, base.model, {
      name: bm.name,
      version: o.version ?? `${bm.version}.ft${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`,
      parent: { name: bm.name, version: bm.version, weightsSha256: bm.weights.sha256 },
      // What the weights have seen: the parent's data, then the corrections.
      data: [...bm.data, o.corpus],
      hyperparameters: {
        ...bm.hyperparameters,
        finetune: { epochs: o.epochs ?? 10, lr: o.lr ?? 3e-4, heldOutFraction: frac, seed: o.seed ?? 1 },
      },
      metrics: {
        ...bm.metrics,
        finetune: { before, after, train: train.length, heldOut: held.length, bestEpoch: result.bestEpoch },
      },
      trained,
    })
    return { manifest, before, after, trainCount: train.length, heldOutCount: held.length }
  } finally {
    base.dispose()
  }
}
