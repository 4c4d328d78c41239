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
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type * as TF from '@tensorflow/tfjs'
import { Rng, tfm } from '../fusion/nn'
import { isGanFusion, type FusionInputs, type GanFusionModule, type GanStage } from '../fusion/types'
import { assignTensors, storeTensors, type NamedTensor } from './checkpoint'
import { chunk, packDialogues, type EmotionExample, type EmotionModel } from './emotion-model'
import { argmaxRows, classificationReport, type ClassificationReport } from './metrics/classification'
import { Adam, clipByGlobalNorm, learningRateAt, type LrSchedule } from './optim'

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

export class TrainingCancelled extends Error {
  constructor() {
    super('training cancelled')
    this.name = 'TrainingCancelled'
  }
}

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

/** Gradients of `loss` w.r.t. `vars`, clipped, applied with Adam; returns the loss value. */
function step(
  lossFn: () => TF.Scalar,
  vars: TF.Variable[],
  adam: Adam,
  lr: number,
  clipNorm: number,
): number {
  const tf = tfm()
  const { value, grads } = tf.variableGrads(lossFn, vars)
  const clipped = clipByGlobalNorm(grads, clipNorm)
  adam.apply(vars, clipped.grads, lr)
  const loss = value.dataSync()[0]!
  value.dispose()
  tf.dispose(clipped.grads)
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
    clipNorm: number
  },
): number {
  const dVars = gan.discriminatorVariables()
  if (stage === 'd-real')
    return step(
      () => gan.discriminatorLoss(ctx.inputs, 'real'),
      [...dVars, ...gan.realFusionVariables()],
      ctx.adam,
      ctx.lr,
      ctx.clipNorm,
    )
  if (stage === 'd-fake')
    return step(() => gan.discriminatorLoss(ctx.inputs, 'fake'), dVars, ctx.adam, ctx.lr, ctx.clipNorm)
  const dSet = new Set(dVars.map((v) => v.name))
  return step(
    ctx.fullLoss,
    ctx.allVariables.filter((v) => !dSet.has(v.name)),
    ctx.adam,
    ctx.lr,
    ctx.clipNorm,
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

interface SavedState {
  version: 1
  optionsHash: string
  epoch: number
  globalStep: number
  bestMetric: number
  bestEpoch: number
  badEpochs: number
  rng: number
  modelRng: number
  history: EpochRecord[]
  files: { current: string; best: string; optimizer: string }
  sha256: Record<string, string>
}

function packTensors(ts: NamedTensor[]): Buffer {
  const index = ts.map((t) => ({ name: t.name, shape: t.shape }))
  const head = Buffer.from(JSON.stringify(index))
  const len = Buffer.alloc(4)
  len.writeUInt32LE(head.length)
  return Buffer.concat([
    len,
    head,
    ...ts.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
  ])
}

function unpackTensors(buf: Buffer): NamedTensor[] {
  const n = buf.readUInt32LE(0)
  const index = JSON.parse(buf.subarray(4, 4 + n).toString()) as { name: string; shape: number[] }[]
  let off = 4 + n
  return index.map((e) => {
    const size = e.shape.reduce((a, b) => a * b, 1)
    const data = new Float32Array(size)
    Buffer.from(data.buffer).set(buf.subarray(off, off + 4 * size))
    off += 4 * size
    return { name: e.name, shape: e.shape, data }
  })
}

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex')
}

function writeFileAtomic(file: string, data: Buffer | string): void {
  writeFileSync(`${file}.tmp`, data)
  renameSync(`${file}.tmp`, file)
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
  return sha(Buffer.from(JSON.stringify(o))).slice(0, 16)
}

// ---------------------------------------------------------------- the loop

export async function trainClassifier(
  model: EmotionModel,
  train: EmotionExample[],
  val: EmotionExample[],
  opts: TrainOptions,
): Promise<TrainResult> {
  const tf = tfm()
  if (!train.length) throw new Error('training set is empty')
  if (!val.length) throw new Error('validation set is empty')
  const t0 = Date.now()
  const log = opts.log ?? (() => {})
  const metric = opts.metric ?? 'weightedF1'
  const clipNorm = opts.clipNorm ?? 5
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
  const cw = classWeights(trainLabels, K, opts.classWeighting ?? 'none')
  // Exact without dialogue batching; with it, epochs have about this many steps.
  const nominalSteps = Math.ceil(train.length / opts.batchSize)
  const lengths = opts.lengthOf ? train.map(opts.lengthOf) : null
  const schedule: LrSchedule = {
    lr: opts.lr,
    warmupSteps: opts.warmupSteps ?? Math.ceil(nominalSteps / 4),
    totalSteps: nominalSteps * opts.epochs,
    floor: opts.lrFloor ?? 0.1,
  }
  const adam = new Adam({ weightDecay: opts.weightDecay ?? 0 })
  const rng = new Rng(opts.seed)
  const vars = model.store.trainable()
  const gan = isGanFusion(model.fusion) ? model.fusion : null
  const optionsHash = hashOptions(model, opts, train.length, val.length)
  const tfNameToLogical = new Map(model.store.list().map((e) => [e.variable.name, e.name]))
  const logicalToTf = new Map(model.store.list().map((e) => [e.name, e.variable.name]))

  let epoch = 0
  let globalStep = 0
  let bestMetric = -Infinity
  let bestEpoch = 0
  let badEpochs = 0
  let history: EpochRecord[] = []
  let best: NamedTensor[] | null = null
  let resumedFromEpoch = 0

  const stateFile = opts.stateDir ? path.join(opts.stateDir, 'state.json') : null
  if (opts.resume) {
    if (!stateFile || !existsSync(stateFile))
      throw new Error(`--resume: no training state in ${opts.stateDir ?? '(no state folder)'}`)
    const st = JSON.parse(readFileSync(stateFile, 'utf8')) as SavedState
    if (st.optionsHash !== optionsHash)
      throw new Error(
        `--resume: the saved training state was made with a different model configuration, data or options (state ${st.optionsHash}, now ${optionsHash}); start over without --resume or use the same arguments`,
      )
    const read = (f: string) => {
      const b = readFileSync(path.join(opts.stateDir!, f))
      if (sha(b) !== st.sha256[f])
        throw new Error(`--resume: ${f} in ${opts.stateDir} is corrupt (checksum mismatch)`)
      return b
    }
    assignTensors(
      model.store,
      new Map(unpackTensors(read(st.files.current)).map((t) => [t.name, t])),
      opts.stateDir,
    )
    best = unpackTensors(read(st.files.best))
    const optState = unpackTensors(read(st.files.optimizer))
    const steps = JSON.parse(
      readFileSync(path.join(opts.stateDir!, 'optimizer-steps.json'), 'utf8'),
    ) as Record<string, number>
    const byName = new Map(optState.map((t) => [t.name, t]))
    adam.importState(
      Object.keys(steps).map((name) => ({
        name,
        step: steps[name]!,
        m: byName.get(`m:${name}`)!.data,
        v: byName.get(`v:${name}`)!.data,
        shape: byName.get(`m:${name}`)!.shape,
      })),
      (l) => logicalToTf.get(l),
    )
    epoch = st.epoch
    globalStep = st.globalStep
    bestMetric = st.bestMetric
    bestEpoch = st.bestEpoch
    badEpochs = st.badEpochs
    history = st.history
    rng.setState(st.rng)
    model.store.rng.setState(st.modelRng)
    resumedFromEpoch = epoch
    log(`resumed after epoch ${epoch} (best ${metric} ${bestMetric.toFixed(4)} at epoch ${bestEpoch})`)
  }

  const saveState = () => {
    if (!opts.stateDir) return
    mkdirSync(opts.stateDir, { recursive: true })
    const cur = packTensors(storeTensors(model.store))
    const bst = best ? packTensors(best) : cur
    const optState = adam.exportState((n) => tfNameToLogical.get(n))
    const optBuf = packTensors(
      optState.flatMap((s) => [
        { name: `m:${s.name}`, shape: s.shape, data: s.m },
        { name: `v:${s.name}`, shape: s.shape, data: s.v },
      ]),
    )
    writeFileAtomic(path.join(opts.stateDir, 'current.bin'), cur)
    writeFileAtomic(path.join(opts.stateDir, 'best.bin'), bst)
    writeFileAtomic(path.join(opts.stateDir, 'optimizer.bin'), optBuf)
    writeFileAtomic(
      path.join(opts.stateDir, 'optimizer-steps.json'),
      JSON.stringify(Object.fromEntries(optState.map((s) => [s.name, s.step]))),
    )
    const st: SavedState = {
      version: 1,
      optionsHash,
      epoch,
      globalStep,
      bestMetric,
      bestEpoch,
      badEpochs,
      rng: rng.getState(),
      modelRng: model.store.rng.getState(),
      history,
      files: { current: 'current.bin', best: 'best.bin', optimizer: 'optimizer.bin' },
      sha256: { 'current.bin': sha(cur), 'best.bin': sha(bst), 'optimizer.bin': sha(optBuf) },
    }
    writeFileAtomic(stateFile!, JSON.stringify(st, null, 1))
  }

  const throwIfAborted = () => {
    if (opts.signal?.aborted) throw new TrainingCancelled()
  }

  const epochTimes: number[] = []
  while (epoch < opts.epochs && badEpochs < patience) {
    throwIfAborted()
    const te = Date.now()
    const batches = epochBatches(model, train, opts.batchSize, rng, lengths)
    const stepsPerEpoch = batches.length
    let lossSum = 0
    let lr = schedule.lr
    for (let s = 0; s < stepsPerEpoch; s++) {
      const idx = batches[s]!
      const batch = model.makeBatch(
        idx.map((i) => train[i]!),
        cw,
      )
      lr = learningRateAt(schedule, globalStep)
      let loss: number
      if (gan) {
        const inputs = tf.tidy(
          () => model.encode(batch, true) as unknown as TF.TensorContainer,
        ) as unknown as FusionInputs
        const all = [...Object.values(inputs.latents), ...Object.values(inputs.masks)] as TF.Tensor[]
        const ctx = {
          inputs,
          fullLoss: () => model.loss(batch, true),
          allVariables: vars,
          adam,
          lr,
          clipNorm,
        }
        for (let k = 0; k < gan.settings.ganDSteps; k++) {
          ganStage(gan, 'd-real', ctx)
          ganStage(gan, 'd-fake', ctx)
        }
        tf.dispose(all)
        loss = ganStage(gan, 'g', ctx)
      } else loss = step(() => model.loss(batch, true), vars, adam, lr, clipNorm)
      if (!Number.isFinite(loss))
        throw new Error(
          `training diverged: loss is ${loss} at epoch ${epoch + 1}, step ${s + 1} (lower --lr?)`,
        )
      lossSum += loss
      globalStep++
      if (s % 4 === 3 || s === stepsPerEpoch - 1) {
        // Let timers, signals and progress consumers run (training is otherwise synchronous).
        await new Promise((r) => setImmediate(r))
        throwIfAborted()
        const perEpoch = epochTimes.length
          ? epochTimes.reduce((a, b) => a + b, 0) / epochTimes.length
          : ((Date.now() - te) / (s + 1)) * stepsPerEpoch
        const done = epoch + (s + 1) / stepsPerEpoch
        opts.onProgress?.({
          stage: 'train',
          epoch: epoch + 1,
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
    opts.onProgress?.({
      stage: 'validate',
      epoch: epoch + 1,
      epochs: opts.epochs,
      step: stepsPerEpoch,
      stepsPerEpoch,
      fraction: (epoch + 1) / opts.epochs,
      loss: lossSum / stepsPerEpoch,
      lr,
      etaSec: null,
    })
    const rep = evaluateClassifier(model, val)
    const value = rep[metric]
    const improved = value > bestMetric + 1e-6
    epoch++
    const rec: EpochRecord = {
      epoch,
      trainLoss: lossSum / stepsPerEpoch,
      lr,
      sec: (Date.now() - te) / 1000,
      val: { accuracy: rep.accuracy, macroF1: rep.macroF1, weightedF1: rep.weightedF1 },
      improved,
    }
    history.push(rec)
    epochTimes.push(Date.now() - te)
    if (improved) {
      bestMetric = value
      bestEpoch = epoch
      badEpochs = 0
      best = storeTensors(model.store)
      await opts.onImproved?.(rec)
    } else badEpochs++
    log(
      `epoch ${epoch}/${opts.epochs} loss ${rec.trainLoss.toFixed(4)} lr ${lr.toExponential(2)} val acc ${rep.accuracy.toFixed(4)} macroF1 ${rep.macroF1.toFixed(4)} weightedF1 ${rep.weightedF1.toFixed(4)}${improved ? ' *' : ''} (${rec.sec.toFixed(1)} s, tensors ${tf.memory().numTensors})`,
    )
    saveState()
  }
  const stoppedEarly = epoch < opts.epochs
  if (stoppedEarly) log(`early stop: no ${metric} improvement for ${patience} epochs`)
  if (best) assignTensors(model.store, new Map(best.map((t) => [t.name, t])))
  const bestReport = evaluateClassifier(model, val)
  adam.dispose()
  return {
    epochsRun: epoch,
    bestEpoch,
    bestMetric,
    metric,
    history,
    stoppedEarly,
    best: bestReport,
    trainSec: (Date.now() - t0) / 1000,
    resumedFromEpoch,
  }
}
