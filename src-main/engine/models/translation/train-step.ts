/**
 * One optimisation step of the translator, shared by training (train.ts) and fine-tuning
 * (finetune.ts): its optimisers on the training core (Adam in the 'rate' form with global-norm
 * clipping, a second one over GAN-Fusion's discriminators + real AutoFusions), GAN-Fusion's
 * discriminator stages, and the teacher-forced gradient step, optionally data-parallel over the
 * gradient workers.
 */
import type * as TF from '@tensorflow/tfjs'
import { isGanFusion, type GanFusionModule } from '../../fusion/types'
import { Adam } from '../training/adam'
import { makeBatch, type Batch, type EncodedPair } from './data'
import { GradPool } from './grad-pool'
import type { TranslationModel } from './model'

/** An optimiser with the variables it updates, in the order their gradient norm is summed. */
export interface BoundAdam {
  adam: Adam
  vars: TF.Variable[]
}

export interface TranslationOptimisers {
  main: BoundAdam
  /** GAN-Fusion's D-stage optimiser (null for other fusion methods). */
  gan: BoundAdam | null
  ganModule: GanFusionModule | null
  /** tfjs names of the discriminators (never updated by the G stage). */
  dVarNames: Set<string>
}

/** The translator's Adam settings (as it was trained with). */
export const TRANSLATION_ADAM = { beta1: 0.9, beta2: 0.98, epsilon: 1e-9 } as const

/** Both optimisers over the model's trainable variables, moments created for all of them. */
export function translationOptimisers(model: TranslationModel, clipNorm: number): TranslationOptimisers {
  const trainable = [...model.vars.values()].filter((v) => v.trainable)
  const make = (vars: TF.Variable[]): BoundAdam => {
    const adam = new Adam({ ...TRANSLATION_ADAM, clipNorm, form: 'rate' })
    adam.track(vars)
    return { adam, vars }
  }
  const gan = isGanFusion(model.fusion) ? model.fusion : null
  const ganNames = new Set(
    gan ? [...gan.discriminatorVariables(), ...gan.realFusionVariables()].map((v) => v.name) : [],
  )
  return {
    main: make(trainable),
    gan: gan ? make(trainable.filter((v) => ganNames.has(v.name))) : null,
    ganModule: gan,
    dVarNames: new Set(gan ? gan.discriminatorVariables().map((v) => v.name) : []),
  }
}

/**
 * GAN-Fusion's discriminator stages for one batch (DESIGN §3), `ganDSteps` times: D on the real
 * samples (+ the real AutoFusions' J_tr), then D on G's outputs, each one update of the GAN
 * optimiser (over the discriminators and real AutoFusions). The fusion inputs are computed once,
 * outside any gradient: these stages train no encoder. The G stage is the ordinary step that follows.
 */
export function ganDiscriminatorStages(
  tf: typeof TF,
  model: TranslationModel,
  gan: GanFusionModule,
  opt: BoundAdam,
  batch: Batch,
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
        opt.adam.apply(opt.vars, grads as Record<string, TF.Tensor>, lr)
        tf.dispose([value, ...Object.values(grads)])
      }
  } finally {
    tf.dispose([...Object.values(inputs.latents), ...Object.values(inputs.masks)] as TF.Tensor[])
  }
}

/** Loss gradients of one batch w.r.t. every variable the G stage updates (the caller disposes them). */
function batchGradients(
  tf: typeof TF,
  model: TranslationModel,
  b: Batch,
  labelSmoothing: number,
  dVarNames: Set<string>,
): { value: TF.Scalar; grads: TF.NamedTensorMap } {
  return tf.tidy(() => {
    const src = tf.tensor2d(b.src, [b.rows, b.srcLen], 'int32')
    const tin = tf.tensor2d(b.tgtIn, [b.rows, b.tgtLen], 'int32')
    const tout = tf.tensor2d(b.tgtOut, [b.rows, b.tgtLen], 'int32')
    return tf.variableGrads(
      () => model.loss(src, tin, tout, { training: true, labelSmoothing }).total,
      // GAN-Fusion's G stage updates everything except the discriminators.
      model.trainableVariables().filter((v) => !dVarNames.has(v.name)),
    )
  })
}

/**
 * One training step on the pairs `rows` of `pairs`: GAN-Fusion's D stages, then the G (task)
 * step. With a gradient pool the main thread takes the first share of the rows and each worker
 * one of the others; their gradients are combined weighted by tokens. Returns the loss.
 */
export async function translationStep(
  tf: typeof TF,
  model: TranslationModel,
  opt: TranslationOptimisers,
  step: { pairs: EncodedPair[]; rows: number[]; lr: number; labelSmoothing: number; pool?: GradPool | null },
): Promise<number> {
  const { pairs, rows, lr, labelSmoothing, pool } = step
  const batch = makeBatch(rows.map((i) => pairs[i]!))
  const shares = pool ? GradPool.split(rows, pool.size + 1) : [rows]
  const mine = shares.length > 1 ? makeBatch(shares[0]!.map((i) => pairs[i]!)) : batch
  if (opt.ganModule && opt.gan) ganDiscriminatorStages(tf, model, opt.ganModule, opt.gan, batch, lr)
  const pending = pool
    ? pool.compute(
        model,
        shares.slice(1).map((sh) => makeBatch(sh.map((i) => pairs[i]!))),
        labelSmoothing,
      )
    : null
  const { value, grads } = batchGradients(tf, model, mine, labelSmoothing, opt.dVarNames)
  let loss = value.dataSync()[0]!
  let useGrads = grads as Record<string, TF.Tensor>
  if (pending) {
    const combined = GradPool.combine(tf, model, { grads, loss, tokens: mine.tokens }, await pending)
    tf.dispose(Object.values(grads))
    useGrads = combined.grads
    loss = combined.loss
    for (const name of opt.dVarNames) {
      useGrads[name]?.dispose()
      delete useGrads[name]
    }
  }
  opt.main.adam.apply(opt.main.vars, useGrads, lr)
  tf.dispose([value, ...Object.values(useGrads)])
  return loss
}

export function disposeOptimisers(opt: TranslationOptimisers): void {
  opt.main.adam.dispose()
  opt.gan?.adam.dispose()
}
