/**
 * Training an emotion model to a checkpoint folder: from scratch (a model built from the
 * configuration) or continuing from a checkpoint, saving the best epoch whenever validation
 * improves, with resumable state beside the model folder.
 */
import path from 'node:path'
import type { Modality } from '../fusion/types'
import type { CheckpointManifest, DataFile } from './checkpoint'
import { loadEmotionModel, saveEmotionModel } from './emotion-checkpoint'
import { buildEmotionModel, type EmotionTrainConfig } from './emotion-config'
import type { EmotionExample, EmotionModel } from './emotion-model'
import { reportSummary } from './emotion-report'
import { trainClassifier, type TrainOptions, type TrainProgress, type TrainResult } from './trainer'
import { defaultTrainingDir } from './training/state'
import { tokenizeWords } from './word-vocab'

export interface TrainEmotionOptions {
  config: EmotionTrainConfig
  train: EmotionExample[]
  dev: EmotionExample[]
  out: string
  /** The run's training folder (resumable state in `<trainDir>/state`); default `<out>.training`. */
  trainDir?: string
  name: string
  version: string
  data: DataFile[]
  training: Omit<TrainOptions, 'seed' | 'stateDir' | 'onImproved' | 'log' | 'onProgress' | 'signal'>
  resume?: boolean
  log?: (line: string) => void
  onProgress?: (p: TrainProgress) => void
  signal?: AbortSignal
  /** Extra manifest fields (e.g. the exact command). */
  extra?: Record<string, unknown>
  parent?: CheckpointManifest['parent']
  /**
   * Continue from this checkpoint's weights and configuration (architecture options of `config`
   * are then ignored); the new manifest names it as parent.
   */
  init?: string
}

/**
 * Trains an emotion model and writes its checkpoint to `out` (the best epoch so far is written
 * whenever validation improves, so a killed run still leaves a usable model); the resumable
 * training state lives beside it, in `<trainDir>/state` (default `<out>.training/state`).
 */
export async function trainEmotion(
  o: TrainEmotionOptions,
): Promise<{ manifest: CheckpointManifest; result: TrainResult }> {
  const log = o.log ?? (() => {})
  let model: EmotionModel
  let trained: Record<Modality, boolean>
  let parent = o.parent ?? null
  if (o.init) {
    const base = loadEmotionModel(o.init)
    if (base.labels.join('\n') !== o.config.labels.join('\n'))
      throw new Error(
        `--init ${o.init} has labels ${base.labels.join(', ')}, not ${o.config.labels.join(', ')}`,
      )
    model = base.model
    const mods = base.manifest.modalities
    trained = {
      text: Boolean(mods.text?.trained),
      audio: Boolean(mods.audio?.trained) || o.train.some((e) => e.features?.audio?.present),
      visual: Boolean(mods.visual?.trained) || o.train.some((e) => e.features?.visual?.present),
    }
    parent = {
      name: base.manifest.name,
      version: base.manifest.version,
      weightsSha256: base.manifest.weights.sha256,
    }
    log(`continuing from ${o.init} (${base.versionTag}); its architecture is kept`)
  } else ({ model, trained } = await buildEmotionModel(o.config, o.train, log))
  log(
    `model: fusion ${o.config.fusion}, modalities ${model.config.modalities.join('+')}, ${model.parameterCount()} trainable parameters`,
  )
  const hyper = o.init
    ? { ...(model.config as unknown as Record<string, unknown>), init: o.init, training: o.training }
    : { ...o.config, training: o.training }
  const save = (metrics: Record<string, unknown>) =>
    saveEmotionModel(o.out, model, {
      name: o.name,
      version: o.version,
      parent,
      data: o.data,
      hyperparameters: hyper,
      metrics,
      trained,
      extra: o.extra,
    })
  try {
    const result = await trainClassifier(model, o.train, o.dev, {
      ...o.training,
      seed: o.config.seed,
      // Beside the model folder, never in it: a model folder holds only what ships.
      stateDir: path.join(o.trainDir ?? defaultTrainingDir(o.out), 'state'),
      resume: o.resume,
      log,
      onProgress: o.onProgress,
      signal: o.signal,
      lengthOf: (e) => tokenizeWords(e.text).length,
      onImproved: (r) => {
        save({ partial: true, epoch: r.epoch, dev: r.val })
      },
    })
    const manifest = save({
      dev: reportSummary(result.best),
      bestEpoch: result.bestEpoch,
      epochsRun: result.epochsRun,
      trainSec: result.trainSec,
      history: result.history,
    })
    return { manifest, result }
  } finally {
    model.dispose()
  }
}
