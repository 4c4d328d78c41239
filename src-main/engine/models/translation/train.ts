/**
 * Training loop for the translation model. Owns: data preparation (BPE vocabulary trained by our
 * code on the training text, encoding, length-bucketed batches), teacher-forced training with
 * Adam + warmup/inverse-sqrt learning rate + global-norm clipping + label smoothing, periodic
 * resumable state (`<out>/state/`), validation BLEU (greedy) for model selection with early
 * stopping, and writing the best model into `<out>` (manifest, weights, vocabulary).
 *
 * Survives the shell's 10-minute limit by design: run it in the background (nohup), it reports
 * progress through the callback (the CLI writes it to a log), checkpoints every `checkpointEvery`
 * steps, and `resume` continues from the exact batch where the state was saved (an epoch's batch
 * order is recomputed from the seed).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, hostname } from 'node:os'
import { join } from 'node:path'
import type * as TF from '@tensorflow/tfjs'
import { getTf } from '../../backend'
import { BpeVocab, trainBpe, type BpeVocabJson } from '../../features/text/bpe'
import { TEXT_NORMALIZATION_VERSION } from '../../features/text/normalize'
import { corpusBleu, corpusChrf } from '../metrics/bleu'
import { Adam } from './adam'
import {
  TRANSLATION_FORMAT,
  installModelFiles,
  readManifest,
  saveModelFolder,
  readWeights,
  writeSnapshot,
  writeDirAtomic,
  writeWeights,
  type TranslationManifest,
} from './checkpoint'
import { epochBatches, fileHash, makeBatch, readParallel, resolveTextPath, type EncodedPair } from './data'
import { greedyDecode } from './decode'
import { GradPool } from './grad-pool'
import {
  DEFAULT_TRANSLATION_CONFIG,
  TranslationModel,
  translationFusionOptions,
  type TranslationConfig,
} from './model'
import { isGanFusion, type GanFusionModule } from '../../fusion/types'

export interface TranslationTrainOptions {
  /** Training source/target files (names relative to the Multi30K folder, or paths; .gz ok). */
  trainSrc: string
  trainTgt: string
  valSrc: string
  valTgt: string
  /** Run/model folder: the best model is written here, resumable state in `<out>/state`. */
  out: string
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
   * Every N steps, also keep the weights as `<out>/snapshots/step-NNNNNNN/` (0 = never), for
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
  /** Validate (and keep the model if best) when stopping between validations. Default true. */
  validateOnStop?: boolean
  /** Stop gracefully (state saved) when this file appears; checked every step. Default `<out>/STOP`. */
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

interface TrainerState {
  format: 'fws-translation-state-1'
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
  hyper: Record<string, unknown>
  /** The command of the latest invocation (recorded for model cards). */
  command?: string
  /** GAN-Fusion: updates made by the discriminator-stage optimiser (its Adam step). */
  ganAdamStep?: number
}

function lrAt(step: number, peak: number, warmup: number): number {
  const s = Math.max(1, step)
  return peak * Math.min(s / warmup, Math.sqrt(warmup / s))
}

/**
 * Replaces the model files of `dir` (see installModelFiles) without touching `dir/state`. Decoding
 * settings tuned on val for the model this replaces are carried over: they belong to the run, and
 * dropping them would silently change how the new weights decode.
 */
function writeBestModel(
  dir: string,
  manifest: TranslationManifest,
  model: TranslationModel,
  vocab: BpeVocabJson,
): void {
  mkdirSync(dir, { recursive: true })
  if (existsSync(join(dir, 'manifest.json'))) {
    const decoding = readManifest(dir).decoding
    if (decoding && !manifest.decoding) manifest = { ...manifest, decoding }
  }
  const tmp = join(dir, `.tmp-${process.pid}`)
  saveModelFolder(tmp, manifest, new Map([...model.vars.entries()]), vocab)
  installModelFiles(tmp, dir)
}

/**
 * GAN-Fusion's discriminator stages for one batch (DESIGN §3), `ganDSteps` times: D on the real
 * samples (+ the real AutoFusions' J_tr), then D on G's outputs, each one update of `ganAdam`
 * (over the discriminators and real AutoFusions). The fusion inputs are computed once, outside
 * any gradient: these stages train no encoder. The G stage is the ordinary step that follows.
 */
export function ganDiscriminatorStages(
  tf: typeof TF,
  model: TranslationModel,
  gan: GanFusionModule,
  ganAdam: Adam,
  batch: ReturnType<typeof makeBatch>,
  lr: number,
): void {
  const inputs = tf.tidy(() => {
    const src = tf.tensor2d(batch.src, [batch.rows, batch.srcLen], 'int32')
    const { inputs } = model.fusionInputs(src, undefined, true)
    return { latents: { ...inputs.latents }, masks: { ...inputs.masks } } as unknown as TF.TensorContainer
  }) as unknown as Parameters<GanFusionModule['discriminatorLoss']>[0]
  const dVars = gan.discriminatorVariables()
  const stageVars = { real: [...dVars, ...gan.realFusionVariables()], fake: dVars }
  try {
    for (let k = 0; k < gan.settings.ganDSteps; k++)
      for (const which of ['real', 'fake'] as const) {
        const { value, grads } = tf.variableGrads(
          () => gan.discriminatorLoss(inputs, which),
          stageVars[which],
        )
        ganAdam.apply(grads as Record<string, TF.Tensor>, lr)
        tf.dispose([value, ...Object.values(grads)])
      }
  } finally {
    tf.dispose([...Object.values(inputs.latents), ...Object.values(inputs.masks)] as TF.Tensor[])
  }
}

/** Trains (or resumes training of) the translation model; resolves with the validation history. */
export async function trainTranslation(
  opts: TranslationTrainOptions,
): Promise<{ history: ValidationRecord[]; bestValBleu: number; steps: number }> {
  const { tf, choice } = await getTf()
  const report = (p: TrainProgress): void => opts.onProgress?.(p)
  const stateDir = join(opts.out, 'state')
  const resume = !!opts.resume && existsSync(join(stateDir, 'trainer.json'))
  if (opts.resume && !resume)
    report({ stage: 'prepare', message: `no state in ${stateDir}: starting a new run` })
  if (!opts.resume && existsSync(join(stateDir, 'trainer.json')))
    throw new Error(
      `${stateDir} already holds a training state: pass --resume to continue it, or choose another --out`,
    )

  const seed = opts.seed ?? 1
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

  // ---- vocabulary (trained by our code on the training text of both languages, or restored)
  let vocab: BpeVocab
  if (resume)
    vocab = new BpeVocab(JSON.parse(readFileSync(join(stateDir, 'vocab.json'), 'utf8')) as BpeVocabJson)
  else {
    report({
      stage: 'prepare',
      message: `training a joint BPE vocabulary of ${opts.vocabSize ?? 8000} symbols`,
    })
    vocab = trainBpe([...train.src, ...train.tgt], { vocabSize: opts.vocabSize ?? 8000, signal: opts.signal })
  }
  const config: TranslationConfig = { ...DEFAULT_TRANSLATION_CONFIG, ...opts.model, vocabSize: vocab.size }
  const stateConfig = resume
    ? ((JSON.parse(readFileSync(join(stateDir, 'trainer.json'), 'utf8')) as TrainerState).hyper
        .config as Partial<TranslationConfig>)
    : null
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
  const hyper = {
    vocabSize: vocab.size,
    batchTokens: opts.batchTokens ?? 1200,
    peakLr: opts.peakLr ?? 8e-4,
    warmupSteps: opts.warmupSteps ?? 800,
    labelSmoothing: opts.labelSmoothing ?? 0.1,
    clipNorm: opts.clipNorm ?? 1,
    adam: { beta1: 0.9, beta2: 0.98, epsilon: 1e-9 },
    maxEpochs: opts.maxEpochs ?? 40,
    patience: opts.patience ?? 8,
    seed,
    selection: 'greedy BLEU on val',
    fusion: config.fusion ?? 'autofusion',
    fusionOptions: config.fusionOptions ?? {},
    config,
  }
  const maxTokLen = config.maxLen - 2
  const encodePairs = (src: string[], tgt: string[]): EncodedPair[] =>
    src.map((s, i) => ({ src: [...vocab.encode(s), 3], tgt: vocab.encode(tgt[i]!) }))
  const trainPairs = encodePairs(train.src, train.tgt).filter(
    (p) => p.src.length <= maxTokLen && p.tgt.length + 1 <= maxTokLen && p.tgt.length > 0,
  )
  const valLimit =
    opts.valLimit && opts.valLimit > 0 ? Math.min(opts.valLimit, val.src.length) : val.src.length
  const valSrcIds = val.src.slice(0, valLimit).map((s) => [...vocab.encode(s), 3].slice(0, maxTokLen))
  const valRefs = val.tgt.slice(0, valLimit)
  report({
    stage: 'prepare',
    message: `${trainPairs.length} training pairs, ${valLimit} validation sentences, vocabulary ${vocab.size}, backend ${choice.name}`,
  })

  // ---- model + optimiser (fresh or restored)
  let model: TranslationModel
  let state: TrainerState
  if (resume) {
    state = JSON.parse(readFileSync(join(stateDir, 'trainer.json'), 'utf8')) as TrainerState
    const savedConfig = (state.hyper.config ?? {}) as TranslationConfig
    for (const k of Object.keys(config) as Array<keyof TranslationConfig>)
      if (JSON.stringify(savedConfig[k]) !== JSON.stringify(config[k]))
        throw new Error(
          `--resume: model setting ${k} is ${String(config[k])} now but ${String(savedConfig[k])} in the saved state`,
        )
    const weights = readWeights(tf, stateDir, 'model')
    model = new TranslationModel(tf, config, { seed, weights })
    tf.dispose([...weights.values()])
  } else {
    model = new TranslationModel(tf, config, { seed })
    state = {
      format: 'fws-translation-state-1',
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
  }
  const trainable = new Map([...model.vars].filter(([, v]) => v.trainable))
  const adam = new Adam(tf, trainable, { ...hyper.adam, clipNorm: hyper.clipNorm })
  // GAN-Fusion: the D stages have their own optimiser over the discriminators + real AutoFusions.
  const gan: GanFusionModule | null = isGanFusion(model.fusion) ? model.fusion : null
  const ganVarNames = new Set(
    gan ? [...gan.discriminatorVariables(), ...gan.realFusionVariables()].map((v) => v.name) : [],
  )
  const dVarNames = new Set(gan ? gan.discriminatorVariables().map((v) => v.name) : [])
  const ganAdam = gan
    ? new Adam(tf, new Map([...trainable].filter(([, v]) => ganVarNames.has(v.name))), {
        ...hyper.adam,
        clipNorm: hyper.clipNorm,
      })
    : null
  if (resume) {
    const opt = readWeights(tf, stateDir, 'optimizer')
    adam.loadState(state.step, opt)
    tf.dispose([...opt.values()])
    if (ganAdam) {
      const gOpt = readWeights(tf, stateDir, 'optimizer-gan')
      ganAdam.loadState(state.ganAdamStep ?? 0, gOpt)
      tf.dispose([...gOpt.values()])
    }
  }
  if (opts.command) state.command = opts.command
  report({
    stage: 'prepare',
    message: `model: ${model.parameterCount()} parameters; starting at step ${state.step}, epoch ${state.epoch}`,
  })

  const startedAt = Date.now()
  const baseSeconds = state.seconds
  const elapsed = (): number => baseSeconds + (Date.now() - startedAt) / 1000
  const machine = `${hostname()}: ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, tfjs ${tf.version.tfjs} on ${choice.name}`

  const manifestFor = (metrics: Record<string, unknown>): TranslationManifest => ({
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
    parameters: model.parameterCount(),
    data: dataInfo,
    hyperparameters: hyper,
    training: {
      steps: state.step,
      epochs: state.epoch,
      seconds: Math.round(elapsed()),
      machine,
      command: opts.command ?? '',
    },
    metrics,
    parentModel: null,
  })

  const saveState = (): void => {
    state.seconds = elapsed()
    writeDirAtomic(stateDir, (tmp) => {
      writeWeights(tmp, new Map([...model.vars.entries()]), 'model')
      writeWeights(tmp, adam.stateTensors(), 'optimizer')
      if (ganAdam) {
        writeWeights(tmp, ganAdam.stateTensors(), 'optimizer-gan')
        state.ganAdamStep = ganAdam.step
      }
      writeFileSync(join(tmp, 'vocab.json'), JSON.stringify(vocab.toJSON()))
      writeFileSync(join(tmp, 'trainer.json'), JSON.stringify(state, null, 1))
    })
    report({
      stage: 'checkpoint',
      message: `state saved at step ${state.step}`,
      step: state.step,
      epoch: state.epoch,
    })
  }

  let recentLoss = 0
  let recentN = 0
  const validate = (): boolean => {
    const t0 = Date.now()
    report({ stage: 'validate', message: `validating at step ${state.step}`, step: state.step })
    const order = [...valSrcIds.keys()].sort((a, b) => valSrcIds[a]!.length - valSrcIds[b]!.length)
    const hyps = new Array<string>(valSrcIds.length)
    for (let i = 0; i < order.length; i += 100) {
      const chunk = order.slice(i, i + 100)
      const outs = greedyDecode(
        tf,
        model,
        chunk.map((j) => valSrcIds[j]!),
      )
      chunk.forEach((j, r) => (hyps[j] = vocab.decode(outs[r]!)))
    }
    const bleu = corpusBleu(hyps, valRefs).score
    const chrf = corpusChrf(hyps, valRefs).score
    const rec: ValidationRecord = {
      step: state.step,
      epoch: state.epoch,
      bleu,
      chrf,
      trainLoss: recentN ? recentLoss / recentN : NaN,
      seconds: Math.round(elapsed()),
      at: new Date().toISOString(),
    }
    state.history.push(rec)
    const improved = bleu > state.bestValBleu
    if (improved) {
      state.bestValBleu = bleu
      state.bestStep = state.step
      state.sinceBest = 0
      writeBestModel(
        opts.out,
        manifestFor({ val: { bleu, chrf, decoding: 'greedy', sentences: valRefs.length, step: state.step } }),
        model,
        vocab.toJSON(),
      )
    } else state.sinceBest++
    report({
      stage: 'validate',
      message: `val BLEU ${bleu.toFixed(2)} chrF ${chrf.toFixed(2)} (best ${state.bestValBleu.toFixed(2)} at step ${state.bestStep}; ${((Date.now() - t0) / 1000).toFixed(0)} s; e.g. "${hyps[0]}")`,
      step: state.step,
      valBleu: bleu,
    })
    return state.sinceBest >= hyper.patience
  }

  const stopFile = opts.stopFile ?? join(opts.out, 'STOP')
  let pool: GradPool | null = null
  if ((opts.workers ?? 0) > 0) {
    try {
      pool = await GradPool.start(opts.workers!, config)
      report({ stage: 'prepare', message: `data parallel: main thread + ${pool.size} gradient worker(s)` })
    } catch (err) {
      report({
        stage: 'prepare',
        message: `gradient workers unavailable (${(err as Error).message}): training on the main thread only`,
      })
    }
  }
  const ckEvery = opts.checkpointEvery ?? 150
  const valEvery = opts.validateEvery ?? 0
  const snapEvery = opts.snapshotEvery ?? 0
  const maxSteps = opts.maxSteps ?? Infinity
  const deadline = opts.maxMinutes ? startedAt + opts.maxMinutes * 60_000 : Infinity
  let stop: string | null = null
  let lastT = Date.now()
  let window = 0
  let windowTok = 0
  let failed = false
  try {
    while (state.epoch < hyper.maxEpochs && !stop) {
      const batches = epochBatches(trainPairs, hyper.batchTokens, seed, state.epoch)
      for (let bi = state.batchInEpoch; bi < batches.length; bi++) {
        if (opts.signal?.aborted) {
          stop = 'cancelled'
          break
        }
        if (existsSync(stopFile)) {
          stop = `stop file ${stopFile} found`
          rmSync(stopFile, { force: true })
          break
        }
        if (state.step >= maxSteps) {
          stop = `reached ${maxSteps} steps`
          break
        }
        if (Date.now() > deadline) {
          stop = `reached the ${opts.maxMinutes}-minute limit`
          break
        }
        const rowsIdx = batches[bi]!
        const batch = makeBatch(rowsIdx.map((i) => trainPairs[i]!))
        const lr = lrAt(state.step + 1, hyper.peakLr, hyper.warmupSteps)
        // Data parallel: the main thread takes the first share, each worker one of the others.
        const shares = pool ? GradPool.split(rowsIdx, pool.size + 1) : [rowsIdx]
        const mine = shares.length > 1 ? makeBatch(shares[0]!.map((i) => trainPairs[i]!)) : batch
        if (gan && ganAdam) ganDiscriminatorStages(tf, model, gan, ganAdam, batch, lr)
        const pending = pool
          ? pool.compute(
              model,
              shares.slice(1).map((sh) => makeBatch(sh.map((i) => trainPairs[i]!))),
              hyper.labelSmoothing,
            )
          : null
        const { value, grads } = tf.tidy(() => {
          const src = tf.tensor2d(mine.src, [mine.rows, mine.srcLen], 'int32')
          const tin = tf.tensor2d(mine.tgtIn, [mine.rows, mine.tgtLen], 'int32')
          const tout = tf.tensor2d(mine.tgtOut, [mine.rows, mine.tgtLen], 'int32')
          return tf.variableGrads(
            () => model.loss(src, tin, tout, { training: true, labelSmoothing: hyper.labelSmoothing }).total,
            // GAN-Fusion's G stage updates everything except the discriminators.
            model.trainableVariables().filter((v) => !dVarNames.has(v.name)),
          )
        })
        let loss = value.dataSync()[0]!
        let useGrads = grads as Record<string, TF.Tensor>
        if (pending) {
          const combined = GradPool.combine(tf, model, { grads, loss, tokens: mine.tokens }, await pending)
          tf.dispose(Object.values(grads))
          useGrads = combined.grads
          loss = combined.loss
          for (const name of dVarNames) {
            useGrads[name]?.dispose()
            delete useGrads[name]
          }
        }
        adam.apply(useGrads, lr)
        tf.dispose([value, ...Object.values(useGrads)])
        if (!Number.isFinite(loss))
          throw new Error(
            `training diverged at step ${state.step + 1} (loss ${loss}); resume from the last state with a lower --lr`,
          )
        state.step++
        state.batchInEpoch = bi + 1
        recentLoss += loss
        recentN++
        window++
        windowTok += batch.tokens
        if (state.step % 25 === 0) {
          const now = Date.now()
          const sps = (now - lastT) / 1000 / window
          state.losses.push({ step: state.step, loss: recentLoss / recentN, secPerStep: sps })
          report({
            stage: 'train',
            message: `epoch ${state.epoch} batch ${bi + 1}/${batches.length} step ${state.step} loss ${(recentLoss / recentN).toFixed(3)} lr ${lr.toExponential(2)} ${sps.toFixed(2)} s/step ${(windowTok / ((now - lastT) / 1000)).toFixed(0)} tok/s tensors ${tf.memory().numTensors}`,
            step: state.step,
            epoch: state.epoch,
            loss: recentLoss / recentN,
            fraction: (state.epoch + (bi + 1) / batches.length) / hyper.maxEpochs,
          })
          recentLoss = 0
          recentN = 0
          lastT = now
          window = 0
          windowTok = 0
        }
        if (valEvery > 0 && state.step % valEvery === 0 && validate()) stop = 'early stopping (patience)'
        if (snapEvery > 0 && state.step % snapEvery === 0)
          writeSnapshot(join(opts.out, 'snapshots'), state.step, model.vars, opts.keepSnapshots ?? 10)
        if (state.step % ckEvery === 0) saveState()
        if (stop) break
      }
      if (!stop) {
        state.epoch++
        state.batchInEpoch = 0
        if (valEvery === 0 && validate()) stop = 'early stopping (patience)'
        saveState()
      }
    }
  } catch (err) {
    failed = true
    throw err
  } finally {
    // A failed step may have left NaN weights: keep the last good state on disk instead.
    if (!failed) {
      // Stopping between validations (time limit, stop file, cancel): validate the final weights
      // too, so the model folder holds the best of everything trained in this run.
      const lastVal = state.history[state.history.length - 1]?.step ?? -1
      if (lastVal !== state.step && state.step > 0 && opts.validateOnStop !== false) validate()
      saveState()
    }
    await pool?.close()
    adam.dispose()
    ganAdam?.dispose()
    model.dispose()
  }
  report({
    stage: 'done',
    message: `stopped: ${stop ?? `finished ${hyper.maxEpochs} epochs`}; best val BLEU ${state.bestValBleu.toFixed(2)} at step ${state.bestStep}`,
    step: state.step,
  })
  return { history: state.history, bestValBleu: state.bestValBleu, steps: state.step }
}
