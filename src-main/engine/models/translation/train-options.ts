/**
 * What a translation training run is given (data, model shape, budget, resumable state, workers)
 * and what it reports (progress, validation records). Kept apart from the loop (train.ts) and the
 * run's set-up (train-run.ts), which both use them.
 */
import type { StartGradientWorkers } from './grad-pool'
import type { TranslationConfig } from './model'

export interface TranslationTrainOptions {
  /** Training source/target files (names relative to the Multi30K folder, or paths; .gz ok). */
  trainSrc: string
  trainTgt: string
  valSrc: string
  valTgt: string
  /** Model folder: the best model is written here (model files only). */
  out: string
  /**
   * The run's training folder: resumable state in `<trainDir>/state`, snapshots, the STOP file.
   * Default `<out>.training`. A state an older version kept in `<out>/state` is moved here.
   */
  trainDir?: string
  resume?: boolean
  sourceLanguage?: string
  targetLanguage?: string
  vocabSize?: number
  /** Architecture, including `fusion` (default autofusion) and its `fusionOptions`. */
  model?: Partial<Omit<TranslationConfig, 'vocabSize'>>
  /** Max (rows × padded length) per batch. */
  batchTokens?: number
  peakLr?: number
  warmupSteps?: number
  labelSmoothing?: number
  clipNorm?: number
  maxEpochs?: number
  maxSteps?: number
  /** Stop (after saving) once this many minutes of this invocation have passed. */
  maxMinutes?: number
  checkpointEvery?: number
  /** Validate every N steps (0 = at each epoch end only). */
  validateEvery?: number
  /** Use only the first N validation sentences for model selection (0 = all). */
  valLimit?: number
  /** Stop after this many validations without a new best BLEU. */
  patience?: number
  /**
   * Every N steps, also keep the weights as `<trainDir>/snapshots/step-NNNNNNN/` (0 = never), for
   * checkpoint averaging (`averageTranslationSnapshots`). Only the newest `keepSnapshots` (default 10) are kept.
   */
  snapshotEvery?: number
  keepSnapshots?: number
  seed?: number
  /**
   * Extra worker threads computing gradients on a share of each batch (data parallel; 0 = the main
   * thread only). Each holds a model replica (~1.5 GB of wasm heap at the default size).
   */
  workers?: number
  /** Starts the gradient workers on the engine's worker pool (jobs/gradient-workers.ts startGradientWorkers). */
  gradientWorkers?: StartGradientWorkers
  /** Validate (and keep the model if best) when stopping between validations. Default true. */
  validateOnStop?: boolean
  /** Stop gracefully (state saved) when this file appears; checked every step. Default `<trainDir>/STOP`. */
  stopFile?: string
  /** Recorded in the manifest (the exact command line). */
  command?: string
  onProgress?: (p: TrainProgress) => void
  signal?: AbortSignal
}

export interface TrainProgress {
  stage: 'prepare' | 'train' | 'validate' | 'checkpoint' | 'done'
  message: string
  step?: number
  epoch?: number
  /** Fraction of the planned epochs done (0–1). */
  fraction?: number
  loss?: number
  valBleu?: number
}

export interface ValidationRecord {
  step: number
  epoch: number
  bleu: number
  chrf: number
  trainLoss: number
  seconds: number
  at: string
}
