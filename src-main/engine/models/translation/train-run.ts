/**
 * One translation training run's setup and bookkeeping (the loop is in train.ts): the data (BPE
 * vocabulary trained on the training text or restored, encoded pairs, validation sentences), the
 * configuration and hyperparameters, the model and optimisers fresh or restored from the resumable
 * state (the core's one state format, ../training/state.ts), saving that state, validation with
 * best-model selection and early stopping, and the manifest of the model it writes.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs'
import { cpus, hostname } from 'node:os'
import { join } from 'node:path'
import type * as TF from '@tensorflow/tfjs'
import { BpeVocab, trainBpe, type BpeVocabJson } from '../../features/text/bpe'
import { TEXT_NORMALIZATION_VERSION } from '../../features/text/normalize'
import { corpusBleu, corpusChrf } from '../metrics/bleu'
import { hasTrainingState, openTrainingState, saveTrainingState, type TrainingState } from '../training/state'
import {
  TRANSLATION_FORMAT,
  installModelFiles,
  namedTensors,
  readManifest,
  saveModelFolder,
  type TranslationManifest,
} from './checkpoint'
import { fileHash, readParallel, resolveTextPath, type EncodedPair } from './data'
import { greedyDecode } from './decode'
import {
  DEFAULT_TRANSLATION_CONFIG,
  TranslationModel,
  translationFusionOptions,
  type TranslationConfig,
} from './model'
import { TRANSLATION_ADAM, translationOptimisers, type TranslationOptimisers } from './train-step'
import type { TrainProgress, TranslationTrainOptions, ValidationRecord } from './train-options'

/** The translation trainer's fields of the resumable state (trainer.json). */
export interface TranslationStateFields {
  step: number
  epoch: number
  /** Batches of `epoch` already done. */
  batchInEpoch: number
  seconds: number
  bestValBleu: number
  bestStep: number
  sinceBest: number
  history: ValidationRecord[]
  losses: Array<{ step: number; loss: number; secPerStep: number }>
  hyper: Record<string, unknown> & { config?: Partial<TranslationConfig> }
  /** The command of the latest invocation (recorded for model cards). */
  command?: string
  /** The model's random stream (GAN-Fusion's noise); absent in states made before the one core. */
  rng?: number
}

export type Hyper = ReturnType<typeof hyperparameters>

export interface TranslationRun {
  tf: typeof TF
  backend: string
  opts: TranslationTrainOptions
  stateDir: string
  vocab: BpeVocab
  config: TranslationConfig
  hyper: Hyper
  dataInfo: TranslationManifest['data']
  trainPairs: EncodedPair[]
  valSrcIds: number[][]
  valRefs: string[]
  model: TranslationModel
  opt: TranslationOptimisers
  state: TranslationStateFields
  report: (p: TrainProgress) => void
  elapsed: () => number
  /** Train loss since the last progress report (for the validation record). */
  recent: { loss: number; n: number }
}

function hyperparameters(opts: TranslationTrainOptions, config: TranslationConfig, vocabSize: number) {
  return {
    vocabSize,
    batchTokens: opts.batchTokens ?? 1200,
    peakLr: opts.peakLr ?? 8e-4,
    warmupSteps: opts.warmupSteps ?? 800,
    labelSmoothing: opts.labelSmoothing ?? 0.1,
    clipNorm: opts.clipNorm ?? 1,
    adam: { ...TRANSLATION_ADAM },
    maxEpochs: opts.maxEpochs ?? 40,
    patience: opts.patience ?? 8,
    seed: opts.seed ?? 1,
    selection: 'greedy BLEU on val',
    fusion: config.fusion ?? 'autofusion',
    fusionOptions: config.fusionOptions ?? {},
    config,
  }
}

/**
 * Finds the run's state: `<trainDir>/state`, or (one-shot migration) a state that an older version
 * kept inside the model folder (`<out>/state`, `<out>/snapshots`), moved to the training folder.
 */
export function locateState(
  opts: TranslationTrainOptions,
  trainDir: string,
  report: (p: TrainProgress) => void,
): string {
  const stateDir = join(trainDir, 'state')
  const legacy = join(opts.out, 'state')
  if (!hasTrainingState(stateDir) && hasTrainingState(legacy)) {
    mkdirSync(trainDir, { recursive: true })
    renameSync(legacy, stateDir)
    if (existsSync(join(opts.out, 'snapshots')) && !existsSync(join(trainDir, 'snapshots')))
      renameSync(join(opts.out, 'snapshots'), join(trainDir, 'snapshots'))
    report({
      stage: 'prepare',
      message: `moved the training state out of the model folder: ${legacy} → ${stateDir}`,
    })
  }
  return stateDir
}

/** The configuration of the run: from the options, checked against a resumed state's. */
function runConfig(
  opts: TranslationTrainOptions,
  vocabSize: number,
  saved: TranslationStateFields | null,
  stateDir: string,
): TranslationConfig {
  const config: TranslationConfig = { ...DEFAULT_TRANSLATION_CONFIG, ...opts.model, vocabSize }
  const stateConfig = saved?.hyper.config ?? null
  if (stateConfig && stateConfig.fusion === undefined) {
    // A state made before the fusion choice: AutoFusion as it was trained (hidden floor(k/2)).
    if ((config.fusion ?? 'autofusion') !== 'autofusion' || Object.keys(config.fusionOptions ?? {}).length)
      throw new Error(`--resume: ${stateDir} was trained with autofusion; --fusion cannot change on resume`)
    delete config.fusion
    delete config.fusionOptions
  } else {
    config.fusion ??= 'autofusion'
    config.fusionOptions = translationFusionOptions(
      config.fusion,
      config.fusionOptions ?? {},
      config.latentDim,
    )
  }
  if (saved)
    for (const k of Object.keys(config) as Array<keyof TranslationConfig>)
      if (JSON.stringify(stateConfig?.[k]) !== JSON.stringify(config[k]))
        throw new Error(
          `--resume: model setting ${k} is ${String(config[k])} now but ${String(stateConfig?.[k])} in the saved state`,
        )
  return config
}

/** The trainer's own fields of a saved state (without the core's). */
function stateFields(saved: TrainingState): TranslationStateFields {
  const { format: _format, task: _task, optimizers: _optimizers, sha256: _sha256, ...fields } = saved.meta
  void [_format, _task, _optimizers, _sha256]
  return fields as unknown as TranslationStateFields
}

/** Reads the data, builds or restores vocabulary, model and optimisers. */
export async function openRun(
  tf: typeof TF,
  backend: string,
  opts: TranslationTrainOptions,
  stateDir: string,
  report: (p: TrainProgress) => void,
): Promise<TranslationRun> {
  // A new best would replace the folder's own network and drop its members.
  if (existsSync(join(opts.out, 'manifest.json')) && readManifest(opts.out).ensemble)
    throw new Error(
      `${opts.out} is an ensemble folder: train each network into its own folder (--out) and join them again with scripts/ensemble-translation.ts`,
    )
  const saved: TrainingState | null =
    opts.resume && hasTrainingState(stateDir) ? openTrainingState(stateDir, 'translation') : null
  const paths = {
    trainSrc: resolveTextPath(opts.trainSrc),
    trainTgt: resolveTextPath(opts.trainTgt),
    valSrc: resolveTextPath(opts.valSrc),
    valTgt: resolveTextPath(opts.valTgt),
  }
  const train = readParallel(paths.trainSrc, paths.trainTgt)
  const val = readParallel(paths.valSrc, paths.valTgt)
  const dataInfo: TranslationManifest['data'] = {}
  for (const [k, p] of Object.entries(paths))
    dataInfo[k] = { path: p, sha256: fileHash(p), lines: (k.startsWith('train') ? train : val).src.length }

  // Vocabulary: trained by our code on the training text of both languages, or restored.
  let vocab: BpeVocab
  if (saved) vocab = new BpeVocab(JSON.parse(saved.file('vocab.json')) as BpeVocabJson)
  else {
    report({
      stage: 'prepare',
      message: `training a joint BPE vocabulary of ${opts.vocabSize ?? 8000} symbols`,
    })
    vocab = trainBpe([...train.src, ...train.tgt], { vocabSize: opts.vocabSize ?? 8000, signal: opts.signal })
  }
  const savedFields = saved ? stateFields(saved) : null
  const config = runConfig(opts, vocab.size, savedFields, stateDir)
  const hyper = hyperparameters(opts, config, vocab.size)
  const maxTokLen = config.maxLen - 2
  const trainPairs = train.src
    .map((s, i) => ({ src: [...vocab.encode(s), 3], tgt: vocab.encode(train.tgt[i]!) }))
    .filter((p) => p.src.length <= maxTokLen && p.tgt.length + 1 <= maxTokLen && p.tgt.length > 0)
  const valLimit =
    opts.valLimit && opts.valLimit > 0 ? Math.min(opts.valLimit, val.src.length) : val.src.length
  const valSrcIds = val.src.slice(0, valLimit).map((s) => [...vocab.encode(s), 3].slice(0, maxTokLen))
  report({
    stage: 'prepare',
    message: `${trainPairs.length} training pairs, ${valLimit} validation sentences, vocabulary ${vocab.size}, backend ${backend}`,
  })

  let model: TranslationModel
  if (saved) {
    const weights = new Map(
      saved.tensors('model').map((t) => [t.name, tf.tensor(t.data, t.shape, 'float32')]),
    )
    model = new TranslationModel(tf, config, { seed: hyper.seed, weights })
    tf.dispose([...weights.values()])
  } else model = new TranslationModel(tf, config, { seed: hyper.seed })
  const opt = translationOptimisers(model, hyper.clipNorm)
  if (saved) {
    if (savedFields?.rng !== undefined) model.rngState = savedFields.rng
    const byName = (n: string) => model.vars.get(n)
    opt.main.adam.importState(saved.optimizer('optimizer')!, byName)
    const g = saved.optimizer('optimizer-gan')
    if (opt.gan && g) opt.gan.adam.importState(g, byName)
  }
  const state: TranslationStateFields = savedFields ?? {
    step: 0,
    epoch: 0,
    batchInEpoch: 0,
    seconds: 0,
    bestValBleu: -1,
    bestStep: 0,
    sinceBest: 0,
    history: [],
    losses: [],
    hyper,
  }
  if (opts.command) state.command = opts.command
  const startedAt = Date.now()
  const baseSeconds = state.seconds
  return {
    tf,
    backend,
    opts,
    stateDir,
    vocab,
    config,
    hyper,
    dataInfo,
    trainPairs,
    valSrcIds,
    valRefs: val.tgt.slice(0, valLimit),
    model,
    opt,
    state,
    report,
    elapsed: () => baseSeconds + (Date.now() - startedAt) / 1000,
    recent: { loss: 0, n: 0 },
  }
}

/** Saves the resumable state (weights, both optimisers, vocabulary, position, history). */
export function saveRunState(run: TranslationRun): void {
  const { state, model, opt } = run
  state.seconds = run.elapsed()
  state.rng = model.rngState
  const logical = new Map([...model.vars].map(([name, v]) => [v.name, name]))
  const nameOf = (n: string) => logical.get(n)
  const { step, ...fields } = state
  saveTrainingState(run.stateDir, {
    task: 'translation',
    step,
    fields,
    tensors: { model: namedTensors(model.vars) },
    optimizers: {
      optimizer: opt.main.adam.exportState(nameOf),
      ...(opt.gan ? { 'optimizer-gan': opt.gan.adam.exportState(nameOf) } : {}),
    },
    files: { 'vocab.json': JSON.stringify(run.vocab.toJSON()) },
  })
  run.report({
    stage: 'checkpoint',
    message: `state saved at step ${state.step}`,
    step: state.step,
    epoch: state.epoch,
  })
}

function manifestFor(run: TranslationRun, metrics: Record<string, unknown>): TranslationManifest {
  const { tf, state, config, vocab, opts } = run
  const machine = `${hostname()}: ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, tfjs ${tf.version.tfjs} on ${run.backend}`
  return {
    format: TRANSLATION_FORMAT,
    task: 'translation',
    name: 'translation-en-de',
    version: `1.0.0+step${state.step}`,
    createdAt: new Date().toISOString(),
    sourceLanguage: opts.sourceLanguage ?? 'en',
    targetLanguage: opts.targetLanguage ?? 'de',
    architecture: 'transformer',
    // The loader's manifest type still names autofusion only; the method trained is recorded here
    // and in config.fusion / config.fusionOptions (the options also in hyperparameters.fusionOptions).
    fusion: (config.fusion ?? 'autofusion') as TranslationManifest['fusion'],
    modalities: {
      text: { vocab: 'vocab.json', vocabSize: vocab.size, normalization: TEXT_NORMALIZATION_VERSION },
      audio: { input: 'pooled', dim: config.audioDim, trained: false },
      visual: { input: 'pooled', dim: config.visualDim, trained: false },
    },
    config,
    vocab: 'vocab.json',
    weights: 'model.json',
    parameters: run.model.parameterCount(),
    data: run.dataInfo,
    hyperparameters: run.hyper,
    training: {
      steps: state.step,
      epochs: state.epoch,
      seconds: Math.round(run.elapsed()),
      machine,
      command: opts.command ?? '',
    },
    metrics,
    parentModel: null,
  }
}

/**
 * Replaces the model files of `dir` (see installModelFiles). Decoding settings tuned on val for the
 * model this replaces are carried over: they belong to the run, and dropping them would silently
 * change how the new weights decode.
 */
function writeBestModel(run: TranslationRun, metrics: Record<string, unknown>): void {
  const dir = run.opts.out
  let manifest = manifestFor(run, metrics)
  mkdirSync(dir, { recursive: true })
  if (existsSync(join(dir, 'manifest.json'))) {
    const decoding = readManifest(dir).decoding
    if (decoding && !manifest.decoding) manifest = { ...manifest, decoding }
  }
  const tmp = join(dir, `.tmp-${process.pid}`)
  saveModelFolder(tmp, manifest, new Map([...run.model.vars.entries()]), run.vocab.toJSON())
  installModelFiles(tmp, dir)
}

/**
 * Greedy BLEU on the validation sentences; a new best is written to the model folder. Returns
 * true when `patience` validations have passed without a new best (early stopping).
 */
export function validate(run: TranslationRun): boolean {
  const { tf, state, valSrcIds, valRefs } = run
  const t0 = Date.now()
  run.report({ stage: 'validate', message: `validating at step ${state.step}`, step: state.step })
  const order = [...valSrcIds.keys()].sort((a, b) => valSrcIds[a]!.length - valSrcIds[b]!.length)
  const hyps = new Array<string>(valSrcIds.length)
  for (let i = 0; i < order.length; i += 100) {
    const chunk = order.slice(i, i + 100)
    const outs = greedyDecode(
      tf,
      run.model,
      chunk.map((j) => valSrcIds[j]!),
    )
    chunk.forEach((j, r) => (hyps[j] = run.vocab.decode(outs[r]!)))
  }
  const bleu = corpusBleu(hyps, valRefs).score
  const chrf = corpusChrf(hyps, valRefs).score
  state.history.push({
    step: state.step,
    epoch: state.epoch,
    bleu,
    chrf,
    trainLoss: run.recent.n ? run.recent.loss / run.recent.n : NaN,
    seconds: Math.round(run.elapsed()),
    at: new Date().toISOString(),
  })
  if (bleu > state.bestValBleu) {
    state.bestValBleu = bleu
    state.bestStep = state.step
    state.sinceBest = 0
    writeBestModel(run, {
      val: { bleu, chrf, decoding: 'greedy', sentences: valRefs.length, step: state.step },
    })
  } else state.sinceBest++
  run.report({
    stage: 'validate',
    message: `val BLEU ${bleu.toFixed(2)} chrF ${chrf.toFixed(2)} (best ${state.bestValBleu.toFixed(2)} at step ${state.bestStep}; ${((Date.now() - t0) / 1000).toFixed(0)} s; e.g. "${hyps[0]}")`,
    step: state.step,
    valBleu: bleu,
  })
  return state.sinceBest >= run.hyper.patience
}
