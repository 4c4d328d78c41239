/**
 * The training loop for classification models (the emotion head on any fusion method). Owns:
 * seeded shuffling into batches, Adam with gradient clipping and the warm-up + cosine learning
 * rate schedule, GAN-Fusion's alternating D-real / D-fake / G stages, per-epoch validation with
 * early stopping on a chosen metric, keeping the best weights, checkpoint + resume of the whole
 * training state (weights, optimizer moments, RNG, history), progress reports with ETA and
 * cancellation through an AbortSignal. Every step runs inside tf.tidy / disposes its gradients,
 * so the tensor count is flat across epochs.
 */
import { createHash } from 'node:crypto'
import type * as TF from '@tensorflow/tfjs'
import { Rng, tfm } from '../fusion/nn'
import { isGanFusion, type FusionInputs, type GanFusionModule, type GanStage } from '../fusion/types'
import { assignTensors, storeTensors, type NamedTensor } from './checkpoint'
import { chunk, packDialogues, type EmotionExample, type EmotionModel } from './emotion-model'
import { argmaxRows, classificationReport, type ClassificationReport } from './metrics/classification'
import { Adam } from './training/adam'
import { selectOnValidation, throwIfAborted } from './training/control'
import { warmupCosineAt, type WarmupCosine } from './training/schedule'
import { hasTrainingState, openTrainingState, saveTrainingState } from './training/state'

export type SelectionMetric = 'weightedF1' | 'macroF1' | 'accuracy'

export interface TrainOptions {
  epochs: number
  batchSize: number
  lr: number
  /** Warm-up steps (default: one epoch's worth / 4). */
  warmupSteps?: number
  /** Final LR as a fraction of the peak (default 0.1). */
  lrFloor?: number
  /** Max global gradient norm (default 5; 0 disables). */
  clipNorm?: number
  weightDecay?: number
  /** Epochs without improvement of the validation metric before stopping (default 3). */
  patience?: number
  seed: number
  /** Loss weights per class: none, 1/sqrt(freq) or 1/freq (normalised to mean 1 over examples). */
  classWeighting?: 'none' | 'sqrt' | 'inverse'
  metric?: SelectionMetric
  /** Folder for the resumable training state (weights, optimizer, RNG, history) written every epoch. */
  stateDir?: string
  /** Continue from stateDir's state instead of starting over. */
  resume?: boolean
  onProgress?: (p: TrainProgress) => void
  /** Called whenever the validation metric improves (e.g. to save the best checkpoint). */
  onImproved?: (r: EpochRecord) => void | Promise<void>
  log?: (line: string) => void
  signal?: AbortSignal
  /**
   * Length of an example (e.g. its token count): when given, batches are bucketed by length
   * (shuffled pools of 50 batches sorted by length, then cut), so recurrent encoders run over
   * little padding; batch order is still shuffled.
   */
  lengthOf?: (e: EmotionExample) => number
}

export interface TrainProgress {
  stage: 'train' | 'validate'
  epoch: number
  epochs: number
  step: number
  stepsPerEpoch: number
  fraction: number
  loss: number
  lr: number
  etaSec: number | null
}

export interface EpochRecord {
  epoch: number
  trainLoss: number
  lr: number
  sec: number
  val: { accuracy: number; macroF1: number; weightedF1: number }
  improved: boolean
}

export interface TrainResult {
  epochsRun: number
  bestEpoch: number
  bestMetric: number
  metric: SelectionMetric
  history: EpochRecord[]
  stoppedEarly: boolean
  /** Validation report of the best weights (which the model holds on return). */
  best: ClassificationReport
  trainSec: number
  resumedFromEpoch: number
}

export { TrainingCancelled } from './training/control'

/** Per-class loss weights from label frequencies. */
export function classWeights(
  labels: Int32Array | number[],
  K: number,
  mode: 'none' | 'sqrt' | 'inverse',
): number[] | null {
  if (mode === 'none') return null
  const counts = new Array<number>(K).fill(0)
  for (const l of labels) counts[l]!++
  const raw = counts.map((c) => (c > 0 ? (mode === 'sqrt' ? 1 / Math.sqrt(c) : 1 / c) : 0))
  // Normalise so the mean weight over the training examples is 1 (LR keeps its meaning).
  const mean = counts.reduce((s, c, k) => s + c * raw[k]!, 0) / Math.max(1, labels.length)
  return raw.map((w) => w / mean)
}

/** Classification report of a model on labelled examples. */
export function evaluateClassifier(
  model: EmotionModel,
  examples: EmotionExample[],
  batchSize = 64,
): ClassificationReport {
  const K = model.config.labels.length
  const probs = model.predictProbs(examples, batchSize)
  const gold = examples.map((e) => {
    const k = model.labelIndex.get(e.label ?? '')
    if (k === undefined) throw new Error(`label '${e.label}' is not in the model's label set`)
    return k
  })
  return classificationReport(gold, argmaxRows(probs, K), model.config.labels)
}

// ---------------------------------------------------------------- one optimisation step

/** Gradients of `loss` w.r.t. `vars`, applied with Adam (which clips them); returns the loss value. */
function step(lossFn: () => TF.Scalar, vars: TF.Variable[], adam: Adam, lr: number): number {
  const tf = tfm()
  const { value, grads } = tf.variableGrads(lossFn, vars)
  adam.apply(vars, grads, lr)
  const loss = value.dataSync()[0]!
  value.dispose()
  tf.dispose(grads)
  return loss
}

/**
 * One GAN-Fusion stage on precomputed fusion inputs (DESIGN §3):
 *  'd-real': D on z_tr (label 1) + the real AutoFusions' J_tr → updates discriminators + real AutoFusions
 *            (with ganRealGrad 'fixed', the default, the real AutoFusions only through their J_tr);
 *  'd-fake': D on G(z_m) (label 0) → updates discriminators only;
 *  'g':      task loss + λ·J_adv(G) + J_tr (from `fullLoss`) → updates everything except discriminators.
 * Returns the stage loss. Exposed for tests and for other trainers (the translator).
 */
export function ganStage(
  gan: GanFusionModule,
  stage: GanStage,
  ctx: {
    inputs: FusionInputs
    fullLoss: () => TF.Scalar
    allVariables: TF.Variable[]
    adam: Adam
    lr: number
  },
): number {
  const dVars = gan.discriminatorVariables()
  if (stage === 'd-real')
    return step(
      () => gan.discriminatorLoss(ctx.inputs, 'real'),
      [...dVars, ...gan.realFusionVariables()],
      ctx.adam,
      ctx.lr,
    )
  if (stage === 'd-fake')
    return step(() => gan.discriminatorLoss(ctx.inputs, 'fake'), dVars, ctx.adam, ctx.lr)
  const dSet = new Set(dVars.map((v) => v.name))
  return step(
    ctx.fullLoss,
    ctx.allVariables.filter((v) => !dSet.has(v.name)),
    ctx.adam,
    ctx.lr,
  )
}

/**
 * One epoch's batches of example indices: whole dialogues for a dialogue-context model,
 * otherwise shuffled (and bucketed by length when lengths are given).
 */
function epochBatches(
  model: EmotionModel,
  train: EmotionExample[],
  batchSize: number,
  rng: Rng,
  lengths: number[] | null,
): number[][] {
  if (model.config.dialogue) return packDialogues(train, batchSize, (xs) => rng.shuffle(xs))
  const order = rng.shuffle([...train.keys()])
  if (!lengths) return chunk(order, batchSize)
  // Pools of 50 batches, each sorted by length and cut; the batches are then shuffled again.
  const batches = chunk(order, batchSize * 50).flatMap((pool) =>
    chunk(
      pool.sort((a, b) => lengths[a]! - lengths[b]!),
      batchSize,
    ),
  )
  return rng.shuffle(batches)
}

// ---------------------------------------------------------------- resumable state

/** The emotion trainer's fields of the one training-state format (training/state.ts). */
interface EmotionStateFields {
  optionsHash: string
  epoch: number
  bestMetric: number
  bestEpoch: number
  badEpochs: number
  rng: number
  modelRng: number
  history: EpochRecord[]
}

/** Hash of what must not change between a run and its resume (model config, data sizes, options that shape training). */
function hashOptions(model: EmotionModel, opts: TrainOptions, nTrain: number, nVal: number): string {
  const o = {
    c: model.config,
    e: opts.epochs,
    b: opts.batchSize,
    lr: opts.lr,
    s: opts.seed,
    w: opts.classWeighting,
    m: opts.metric,
    nTrain,
    nVal,
  }
  return createHash('sha256').update(JSON.stringify(o)).digest('hex').slice(0, 16)
}

// ---------------------------------------------------------------- the loop

/** Everything one run of trainClassifier works on (the loop's state is in `st`). */
interface Run {
  model: EmotionModel
  train: EmotionExample[]
  val: EmotionExample[]
  opts: TrainOptions
  metric: SelectionMetric
  cw: number[] | null
  lengths: number[] | null
  schedule: WarmupCosine
  adam: Adam
  rng: Rng
  vars: TF.Variable[]
  gan: GanFusionModule | null
  st: EmotionStateFields & { globalStep: number }
  best: NamedTensor[] | null
  epochTimes: number[]
}

/** Restores weights, best weights, optimiser, RNG and history from the run's state folder. */
function restoreState(run: Run, optionsHash: string): void {
  const { model, opts } = run
  if (!opts.stateDir || !hasTrainingState(opts.stateDir))
    throw new Error(`--resume: no training state in ${opts.stateDir ?? '(no state folder)'}`)
  const state = openTrainingState(opts.stateDir, 'emotion')
  const f = state.meta as unknown as EmotionStateFields
  if (f.optionsHash !== optionsHash)
    throw new Error(
      `--resume: the saved training state was made with a different model configuration, data or options (state ${f.optionsHash}, now ${optionsHash}); start over without --resume or use the same arguments`,
    )
  assignTensors(model.store, new Map(state.tensors('model').map((t) => [t.name, t])), opts.stateDir)
  run.best = state.tensors('best')
  const byName = new Map(model.store.list().map((e) => [e.name, e.variable]))
  run.adam.importState(state.optimizer('optimizer')!, (n) => byName.get(n))
  run.st = {
    optionsHash,
    epoch: f.epoch,
    globalStep: state.meta.step,
    bestMetric: f.bestMetric,
    bestEpoch: f.bestEpoch,
    badEpochs: f.badEpochs,
    rng: f.rng,
    modelRng: f.modelRng,
    history: f.history,
  }
  run.rng.setState(f.rng)
  model.store.rng.setState(f.modelRng)
}

function saveState(run: Run): void {
  const { model, opts, st } = run
  if (!opts.stateDir) return
  const current = storeTensors(model.store)
  const tfNameToLogical = new Map(model.store.list().map((e) => [e.variable.name, e.name]))
  const { globalStep, ...fields } = st
  saveTrainingState(opts.stateDir, {
    task: 'emotion',
    step: globalStep,
    fields: { ...fields, rng: run.rng.getState(), modelRng: model.store.rng.getState() },
    tensors: { model: current, best: run.best ?? current },
    optimizers: { optimizer: run.adam.exportState((n) => tfNameToLogical.get(n)) },
  })
}

/** One optimisation step on a batch (GAN-Fusion: its D stages, then G); returns the loss. */
function trainStep(run: Run, idx: number[], lr: number): number {
  const tf = tfm()
  const { model, gan, adam, vars } = run
  const batch = model.makeBatch(
    idx.map((i) => run.train[i]!),
    run.cw,
  )
  if (!gan) return step(() => model.loss(batch, true), vars, adam, lr)
  const inputs = tf.tidy(
    () => model.encode(batch, true) as unknown as TF.TensorContainer,
  ) as unknown as FusionInputs
  const all = [...Object.values(inputs.latents), ...Object.values(inputs.masks)] as TF.Tensor[]
  const ctx = { inputs, fullLoss: () => model.loss(batch, true), allVariables: vars, adam, lr }
  for (let k = 0; k < gan.settings.ganDSteps; k++) {
    ganStage(gan, 'd-real', ctx)
    ganStage(gan, 'd-fake', ctx)
  }
  tf.dispose(all)
  return ganStage(gan, 'g', ctx)
}

/** The training steps of one epoch, with progress reports; returns the mean loss and the last LR. */
async function trainEpoch(run: Run): Promise<{ loss: number; lr: number; steps: number }> {
  const { opts, st } = run
  const te = Date.now()
  const batches = epochBatches(run.model, run.train, opts.batchSize, run.rng, run.lengths)
  const stepsPerEpoch = batches.length
  let lossSum = 0
  let lr = run.schedule.lr
  for (let s = 0; s < stepsPerEpoch; s++) {
    lr = warmupCosineAt(run.schedule, st.globalStep)
    const loss = trainStep(run, batches[s]!, lr)
    if (!Number.isFinite(loss))
      throw new Error(
        `training diverged: loss is ${loss} at epoch ${st.epoch + 1}, step ${s + 1} (lower --lr?)`,
      )
    lossSum += loss
    st.globalStep++
    if (s % 4 === 3 || s === stepsPerEpoch - 1) {
      // Let timers, signals and progress consumers run (training is otherwise synchronous).
      await new Promise((r) => setImmediate(r))
      throwIfAborted(opts.signal)
      const perEpoch = run.epochTimes.length
        ? run.epochTimes.reduce((a, b) => a + b, 0) / run.epochTimes.length
        : ((Date.now() - te) / (s + 1)) * stepsPerEpoch
      const done = st.epoch + (s + 1) / stepsPerEpoch
      opts.onProgress?.({
        stage: 'train',
        epoch: st.epoch + 1,
        epochs: opts.epochs,
        step: s + 1,
        stepsPerEpoch,
        fraction: done / opts.epochs,
        loss: lossSum / (s + 1),
        lr,
        etaSec: (perEpoch / 1000) * (opts.epochs - done),
      })
    }
  }
  return { loss: lossSum / stepsPerEpoch, lr, steps: stepsPerEpoch }
}

/** Validates after an epoch, records it, keeps the best weights (early-stopping counters). */
async function endEpoch(run: Run, e: { loss: number; lr: number; steps: number }, te: number): Promise<void> {
  const tf = tfm()
  const { opts, st, metric } = run
  opts.onProgress?.({
    stage: 'validate',
    epoch: st.epoch + 1,
    epochs: opts.epochs,
    step: e.steps,
    stepsPerEpoch: e.steps,
    fraction: (st.epoch + 1) / opts.epochs,
    loss: e.loss,
    lr: e.lr,
    etaSec: null,
  })
  const rep = evaluateClassifier(run.model, run.val)
  const sel = selectOnValidation({ best: st.bestMetric, since: st.badEpochs }, rep[metric], 1e-6)
  const improved = sel.improved
  st.epoch++
  const rec: EpochRecord = {
    epoch: st.epoch,
    trainLoss: e.loss,
    lr: e.lr,
    sec: (Date.now() - te) / 1000,
    val: { accuracy: rep.accuracy, macroF1: rep.macroF1, weightedF1: rep.weightedF1 },
    improved,
  }
  st.history.push(rec)
  run.epochTimes.push(Date.now() - te)
  st.bestMetric = sel.best
  st.badEpochs = sel.since
  if (improved) {
    st.bestEpoch = st.epoch
    run.best = storeTensors(run.model.store)
    await opts.onImproved?.(rec)
  }
  opts.log?.(
    `epoch ${st.epoch}/${opts.epochs} loss ${rec.trainLoss.toFixed(4)} lr ${e.lr.toExponential(2)} val acc ${rep.accuracy.toFixed(4)} macroF1 ${rep.macroF1.toFixed(4)} weightedF1 ${rep.weightedF1.toFixed(4)}${improved ? ' *' : ''} (${rec.sec.toFixed(1)} s, tensors ${tf.memory().numTensors})`,
  )
}

export async function trainClassifier(
  model: EmotionModel,
  train: EmotionExample[],
  val: EmotionExample[],
  opts: TrainOptions,
): Promise<TrainResult> {
  if (!train.length) throw new Error('training set is empty')
  if (!val.length) throw new Error('validation set is empty')
  const t0 = Date.now()
  const log = opts.log ?? (() => {})
  const metric = opts.metric ?? 'weightedF1'
  const patience = opts.patience ?? 3
  const K = model.config.labels.length
  const trainLabels = train.map((e) => {
    const k = model.labelIndex.get(e.label ?? '')
    if (k === undefined)
      throw new Error(
        `training example label '${e.label}' is not in the label set (${model.config.labels.join(', ')})`,
      )
    return k
  })
  // Exact without dialogue batching; with it, epochs have about this many steps.
  const nominalSteps = Math.ceil(train.length / opts.batchSize)
  const optionsHash = hashOptions(model, opts, train.length, val.length)
  const run: Run = {
    model,
    train,
    val,
    opts,
    metric,
    cw: classWeights(trainLabels, K, opts.classWeighting ?? 'none'),
    lengths: opts.lengthOf ? train.map(opts.lengthOf) : null,
    schedule: {
      lr: opts.lr,
      warmupSteps: opts.warmupSteps ?? Math.ceil(nominalSteps / 4),
      totalSteps: nominalSteps * opts.epochs,
      floor: opts.lrFloor ?? 0.1,
    },
    adam: new Adam({ weightDecay: opts.weightDecay ?? 0, clipNorm: opts.clipNorm ?? 5 }),
    rng: new Rng(opts.seed),
    vars: model.store.trainable(),
    gan: isGanFusion(model.fusion) ? model.fusion : null,
    st: {
      optionsHash,
      epoch: 0,
      globalStep: 0,
      bestMetric: -Infinity,
      bestEpoch: 0,
      badEpochs: 0,
      rng: 0,
      modelRng: 0,
      history: [],
    },
    best: null,
    epochTimes: [],
  }
  let resumedFromEpoch = 0
  if (opts.resume) {
    restoreState(run, optionsHash)
    resumedFromEpoch = run.st.epoch
    log(
      `resumed after epoch ${run.st.epoch} (best ${metric} ${run.st.bestMetric.toFixed(4)} at epoch ${run.st.bestEpoch})`,
    )
  }
  try {
    while (run.st.epoch < opts.epochs && run.st.badEpochs < patience) {
      throwIfAborted(opts.signal)
      const te = Date.now()
      const e = await trainEpoch(run)
      await endEpoch(run, e, te)
      saveState(run)
    }
  } catch (err) {
    run.adam.dispose()
    throw err
  }
  const { st } = run
  const stoppedEarly = st.epoch < opts.epochs
  if (stoppedEarly) log(`early stop: no ${metric} improvement for ${patience} epochs`)
  if (run.best) assignTensors(model.store, new Map(run.best.map((t) => [t.name, t])))
  const bestReport = evaluateClassifier(model, val)
  run.adam.dispose()
  return {
    epochsRun: st.epoch,
    bestEpoch: st.bestEpoch,
    bestMetric: st.bestMetric,
    metric,
    history: st.history,
    stoppedEarly,
    best: bestReport,
    trainSec: (Date.now() - t0) / 1000,
    resumedFromEpoch,
  }
}
