/**
 * The translation training loop on the one training core. Owns: the loop over epochs from the
 * saved position (an epoch's batch order is recomputed from the seed), the stop conditions (step
 * limit, time limit, stop file, AbortSignal), progress reports, and when to validate, snapshot and
 * save the resumable state. The run's data, model, state and validation are in train-run.ts, one
 * step (Adam + warm-up/inverse-sqrt LR + clipping, GAN-Fusion stages, gradient workers) in
 * train-step.ts.
 *
 * The run's training files (resumable state `state/`, `snapshots/`, the `STOP` file) are kept in a
 * training folder beside the model folder (`--train-dir`, default `<out>.training`), never inside
 * it: a model folder holds only what ships.
 *
 * Survives the shell's 10-minute limit by design: run it in the background (nohup), it reports
 * progress through the callback (the CLI writes it to a log), checkpoints every `checkpointEvery`
 * steps, and `resume` continues from the exact batch where the state was saved.
 */
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { getTf } from '../../backend'
import { writeSnapshot } from '../training/snapshots'
import { inverseSqrtAt } from '../training/schedule'
import { defaultTrainingDir, hasTrainingState } from '../training/state'
import { namedTensors } from './checkpoint'
import { epochBatches } from './data'
import { GradPool } from './grad-pool'
import type { TrainProgress, TranslationTrainOptions, ValidationRecord } from './train-options'
import { locateState, openRun, saveRunState, validate, type TranslationRun } from './train-run'
import { disposeOptimisers, translationStep } from './train-step'

export type { TrainProgress, TranslationTrainOptions, ValidationRecord }

/** Trains (or resumes training of) the translation model; resolves with the validation history. */
export async function trainTranslation(
  opts: TranslationTrainOptions,
): Promise<{ history: ValidationRecord[]; bestValBleu: number; steps: number }> {
  const { tf, choice } = await getTf()
  const report = (p: TrainProgress): void => opts.onProgress?.(p)
  const trainDir = opts.trainDir ?? defaultTrainingDir(opts.out)
  const stateDir = locateState(opts, trainDir, report)
  if (opts.resume && !hasTrainingState(stateDir))
    report({ stage: 'prepare', message: `no state in ${stateDir}: starting a new run` })
  if (!opts.resume && hasTrainingState(stateDir))
    throw new Error(
      `${stateDir} already holds a training state: pass --resume to continue it, or choose another --out / --train-dir`,
    )
  const run = await openRun(tf, choice.name, opts, stateDir, report)
  report({
    stage: 'prepare',
    message: `model: ${run.model.parameterCount()} parameters; starting at step ${run.state.step}, epoch ${run.state.epoch}`,
  })
  let pool: GradPool | null = null
  if ((opts.workers ?? 0) > 0) {
    try {
      if (!opts.gradientWorkers) throw new Error('no worker pool given (gradientWorkers)')
      pool = new GradPool(opts.gradientWorkers(opts.workers!, { config: run.config }))
      report({ stage: 'prepare', message: `data parallel: main thread + ${pool.size} gradient worker(s)` })
    } catch (err) {
      report({
        stage: 'prepare',
        message: `gradient workers unavailable (${(err as Error).message}): training on the main thread only`,
      })
    }
  }
  const { state, hyper } = run
  let stop: string | null
  let failed = false
  try {
    stop = await trainEpochs(run, trainDir, pool)
  } catch (err) {
    failed = true
    throw err
  } finally {
    // A failed step may have left NaN weights: keep the last good state on disk instead.
    if (!failed) {
      // Stopping between validations (time limit, stop file, cancel): validate the final weights
      // too, so the model folder holds the best of everything trained in this run.
      const lastVal = state.history[state.history.length - 1]?.step ?? -1
      if (lastVal !== state.step && state.step > 0 && opts.validateOnStop !== false) validate(run)
      saveRunState(run)
    }
    await pool?.close()
    disposeOptimisers(run.opt)
    run.model.dispose()
  }
  report({
    stage: 'done',
    message: `stopped: ${stop ?? `finished ${hyper.maxEpochs} epochs`}; best val BLEU ${state.bestValBleu.toFixed(2)} at step ${state.bestStep}`,
    step: state.step,
  })
  return { history: state.history, bestValBleu: state.bestValBleu, steps: state.step }
}

/** Why training should stop before the next step (null: go on). */
function stopReason(
  opts: TranslationTrainOptions,
  stopFile: string,
  step: number,
  deadline: number,
): string | null {
  if (opts.signal?.aborted) return 'cancelled'
  if (existsSync(stopFile)) {
    rmSync(stopFile, { force: true })
    return `stop file ${stopFile} found`
  }
  if (step >= (opts.maxSteps ?? Infinity)) return `reached ${opts.maxSteps} steps`
  if (Date.now() > deadline) return `reached the ${opts.maxMinutes}-minute limit`
  return null
}

/** Progress reporting every 25 steps: mean loss, speed, tokens per second. */
class ProgressWindow {
  private lastT = Date.now()
  private steps = 0
  private tokens = 0
  constructor(private readonly run: TranslationRun) {}

  add(tokens: number, ctx: { bi: number; batches: number; lr: number }): void {
    const { run } = this
    const { state } = run
    this.steps++
    this.tokens += tokens
    if (state.step % 25 !== 0) return
    const now = Date.now()
    const sps = (now - this.lastT) / 1000 / this.steps
    const loss = run.recent.loss / run.recent.n
    state.losses.push({ step: state.step, loss, secPerStep: sps })
    run.report({
      stage: 'train',
      message: `epoch ${state.epoch} batch ${ctx.bi + 1}/${ctx.batches} step ${state.step} loss ${loss.toFixed(3)} lr ${ctx.lr.toExponential(2)} ${sps.toFixed(2)} s/step ${(this.tokens / ((now - this.lastT) / 1000)).toFixed(0)} tok/s tensors ${run.tf.memory().numTensors}`,
      step: state.step,
      epoch: state.epoch,
      loss,
      fraction: (state.epoch + (ctx.bi + 1) / ctx.batches) / run.hyper.maxEpochs,
    })
    run.recent.loss = 0
    run.recent.n = 0
    this.lastT = now
    this.steps = 0
    this.tokens = 0
  }
}

/**
 * The epochs from the saved position (an epoch's batch order is recomputed from the seed):
 * steps, progress, validation, snapshots and state saves. Returns why it stopped (null: all epochs done).
 */
async function trainEpochs(
  run: TranslationRun,
  trainDir: string,
  pool: GradPool | null,
): Promise<string | null> {
  const { tf, opts, state, hyper } = run
  const stopFile = opts.stopFile ?? join(trainDir, 'STOP')
  const ckEvery = opts.checkpointEvery ?? 150
  const valEvery = opts.validateEvery ?? 0
  const snapEvery = opts.snapshotEvery ?? 0
  const deadline = opts.maxMinutes ? Date.now() + opts.maxMinutes * 60_000 : Infinity
  const progress = new ProgressWindow(run)
  let stop: string | null = null
  while (state.epoch < hyper.maxEpochs && !stop) {
    const batches = epochBatches(run.trainPairs, hyper.batchTokens, hyper.seed, state.epoch)
    for (let bi = state.batchInEpoch; bi < batches.length; bi++) {
      stop = stopReason(opts, stopFile, state.step, deadline)
      if (stop) break
      const rows = batches[bi]!
      const lr = inverseSqrtAt(state.step + 1, hyper.peakLr, hyper.warmupSteps)
      const loss = await translationStep(tf, run.model, run.opt, {
        pairs: run.trainPairs,
        rows,
        lr,
        labelSmoothing: hyper.labelSmoothing,
        pool,
      })
      if (!Number.isFinite(loss))
        throw new Error(
          `training diverged at step ${state.step + 1} (loss ${loss}); resume from the last state with a lower --lr`,
        )
      state.step++
      state.batchInEpoch = bi + 1
      run.recent.loss += loss
      run.recent.n++
      progress.add(
        rows.reduce((a, i) => a + run.trainPairs[i]!.tgt.length + 1, 0),
        { bi, batches: batches.length, lr },
      )
      if (valEvery > 0 && state.step % valEvery === 0 && validate(run)) stop = 'early stopping (patience)'
      if (snapEvery > 0 && state.step % snapEvery === 0)
        writeSnapshot(
          join(trainDir, 'snapshots'),
          state.step,
          namedTensors(run.model.vars),
          opts.keepSnapshots ?? 10,
        )
      if (state.step % ckEvery === 0) saveRunState(run)
      if (stop) break
    }
    if (!stop) {
      state.epoch++
      state.batchInEpoch = 0
      if (valEvery === 0 && validate(run)) stop = 'early stopping (patience)'
      saveRunState(run)
    }
  }
  return stop
}
