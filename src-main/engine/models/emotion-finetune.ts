/**
 * Fine-tuning an emotion checkpoint on corrected examples into a new version whose manifest
 * names its parent: a stratified split into training, development (early stopping) and held-out
 * examples, the base's metrics on the held-out part, training, and the new version's metrics on
 * the same held-out part, measured on the saved folder through loadEmotionModel (what will run).
 * The held-out part is never used to choose anything, so "after" is not flattered by the choice
 * of epoch (as with translation fine-tuning).
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
  /** Examples the early stopping watched (split off the training side; never reported). */
  devCount: number
  heldOutCount: number
}

/** The three parts of the corrected examples; each label is split alone (stratified). */
export interface FinetuneSplit {
  train: EmotionExample[]
  dev: EmotionExample[]
  held: EmotionExample[]
}

/**
 * Per label, shuffled with the seed: round(n × frac) held out (at least one when n > 1), then of
 * the rest round(rest × frac) for development (at least one when rest > 1), the remainder trains.
 */
export function splitExamples(examples: EmotionExample[], frac: number, seed: number): FinetuneSplit {
  const rng = new Rng(seed)
  const byLabel = new Map<string, EmotionExample[]>()
  for (const e of examples) byLabel.set(e.label!, [...(byLabel.get(e.label!) ?? []), e])
  const cut = (n: number) => (n > 1 ? Math.max(1, Math.round(n * frac)) : 0)
  const split: FinetuneSplit = { train: [], dev: [], held: [] }
  for (const list of byLabel.values()) {
    rng.shuffle(list)
    const h = cut(list.length)
    const d = cut(list.length - h)
    split.held.push(...list.slice(0, h))
    split.dev.push(...list.slice(h, h + d))
    split.train.push(...list.slice(h + d))
  }
  return split
}

/** Metrics of the model saved in `dir` on held-out examples, loaded as every entry point loads it. */
function heldOutScores(dir: string, held: EmotionExample[]): ReturnType<typeof reportSummary> {
  const saved = loadEmotionModel(dir)
  try {
    return reportSummary(saved.evaluate(held))
  } finally {
    saved.dispose()
  }
}

/**
 * Fine-tunes a checkpoint on corrected examples: a seeded, per-label stratified split
 * (splitExamples); metrics of the base model on the held-out part; training (all branches, so
 * audio/visual features present in the corrections train the fusion) with early stopping on the
 * development part's weighted F1; the new version saved to `out` with `parent` = the base's
 * name@version, then measured on the held-out part as saved.
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
    const { train, dev, held } = splitExamples(o.examples, frac, o.seed ?? 1)
    if (held.length < 2 || dev.length < 1 || train.length < 2)
      throw new Error(
        `fine-tuning needs more corrected examples: ${o.examples.length} give ${train.length} to train on, ${dev.length} to stop early on and ${held.length} held out`,
      )
    const before = reportSummary(base.evaluate(held))
    const present: Record<Modality, boolean> = {
      text: true,
      audio: train.some((e) => e.features?.audio?.present),
      visual: train.some((e) => e.features?.visual?.present),
    }
    const result = await trainClassifier(base.model, train, dev, {
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
    const bm = base.manifest
    const trained = Object.fromEntries(
      (['text', 'audio', 'visual'] as const).map((m) => [
        m,
        Boolean(bm.modalities[m]?.trained) || present[m],
      ]),
    ) as Record<Modality, boolean>
    const version =
      o.version ?? `${bm.version}.ft${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`
    const save = (metrics: Record<string, unknown>) =>
      saveEmotionModel(o.out, base.model, {
        name: bm.name,
        version,
        parent: { name: bm.name, version: bm.version, weightsSha256: bm.weights.sha256 },
        // What the weights have seen: the parent's data, then the corrections.
        data: [...bm.data, o.corpus],
        hyperparameters: {
          ...bm.hyperparameters,
          finetune: { epochs: o.epochs ?? 10, lr: o.lr ?? 3e-4, heldOutFraction: frac, seed: o.seed ?? 1 },
        },
        metrics,
        trained,
      })
    save(bm.metrics)
    const after = heldOutScores(o.out, held)
    // The held-out scores go into the new manifest (rewritten with its checksums).
    const manifest = save({
      ...bm.metrics,
      finetune: {
        before,
        after,
        train: train.length,
        dev: dev.length,
        heldOut: held.length,
        bestEpoch: result.bestEpoch,
      },
    })
    return {
      manifest,
      before,
      after,
      trainCount: train.length,
      devCount: dev.length,
      heldOutCount: held.length,
    }
  } finally {
    base.dispose()
  }
}
