/**
 * The fusion interface every fusion method implements (DESIGN.md §3). Owns the shared types only:
 * per-modality latents + presence masks in, one fused vector (+ an optional auxiliary loss such as
 * AutoFusion's J_tr) out. The translation model and the emotion head both code against this file,
 * so it stays small and stable.
 */
import type { Scalar, Tensor1D, Tensor2D, Variable } from '@tensorflow/tfjs'

export type Modality = 'text' | 'audio' | 'visual'
export const MODALITIES: readonly Modality[] = ['text', 'audio', 'visual']

export type FusionMethod = 'concat' | 'tfn' | 'lmf' | 'attention' | 'autofusion' | 'ganfusion'
export const FUSION_METHODS: readonly FusionMethod[] = [
  'concat',
  'tfn',
  'lmf',
  'attention',
  'autofusion',
  'ganfusion',
]

export interface FusionInputs {
  /** One latent per configured modality, each [B, latentDim]. Absent rows already hold the encoder's learned "absent" vector. */
  latents: Partial<Record<Modality, Tensor2D>>
  /** Per modality [B]: 1 where the modality is present for that row, 0 where absent. Missing key = all present. */
  masks: Partial<Record<Modality, Tensor1D>>
}

export interface FusionResult {
  /** [B, outputDim]. */
  fused: Tensor2D
  /** Auxiliary loss to add to the task loss (AutoFusion J_tr, GAN-Fusion λ·J_adv(G) + J_tr), or null. */
  auxLoss: Scalar | null
}

export interface FusionModule {
  readonly method: FusionMethod
  /** The modalities this module was built for, in canonical order (text, audio, visual). */
  readonly modalities: readonly Modality[]
  readonly outputDim: number
  /** Call inside tf.tidy / a gradient closure; `training` switches BatchNorm statistics and dropout. */
  apply(inputs: FusionInputs, opts: { training: boolean }): FusionResult
  /** Every trainable variable of the module (for GAN-Fusion: fusion + generators + discriminators). */
  trainableVariables(): Variable[]
  /** Non-trainable state saved with checkpoints (BatchNorm moving statistics), may be empty. */
  stateVariables(): Variable[]
  /** Releases all variables. */
  dispose(): void
}

/** Options shared by every fusion method; method-specific ones are ignored by the others. */
export interface FusionOptions {
  /** Which modalities the module fuses (any non-empty subset; order is normalised to text, audio, visual). */
  modalities: readonly Modality[]
  /** Size L of every modality latent. */
  latentDim: number
  /** Size of the fused vector. */
  outputDim: number
  /** Seed for the weight initialisers (reproducible runs). */
  seed?: number
  /** LMF rank r (default 4). */
  rank?: number
  /** TFN: each [z;1] is first projected to this size before the outer product (default 8, keeps (d+1)^n small). */
  tfnProjDim?: number
  /** Cross-modal attention: number of heads (default 2). */
  heads?: number
  /** GAN-Fusion λ on the generator's adversarial loss (default 0.1). */
  ganLambda?: number
  /** GAN-Fusion discriminator hidden size H (default latentDim). */
  ganHidden?: number
  /** GAN-Fusion noise scale added to z_m before G (default 0.01, as DESIGN §3). */
  ganNoise?: number
}

/** The three alternating GAN-Fusion stages a trainer runs per batch (DESIGN §3). */
export type GanStage = 'd-real' | 'd-fake' | 'g'

/**
 * GAN-Fusion additionally exposes its adversarial stages. The trainer, per batch:
 *   1. minimises `discriminatorLoss(inputs, 'real')` (+ the AutoFusion J_tr of the "real" paths) over `discriminatorVariables()`
 *      together with `realFusionVariables()`,
 *   2. minimises `discriminatorLoss(inputs, 'fake')` over `discriminatorVariables()`,
 *   3. minimises task loss + λ·`generatorLoss(inputs)` (+ J_tr, the latter two inside `apply().auxLoss`) over
 *      everything except the discriminators.
 */
export interface GanFusionModule extends FusionModule {
  readonly method: 'ganfusion'
  readonly lambda: number
  /** BCE-with-logits of D: 'real' labels D(z_tr)=1 (plus J_tr of the real AutoFusions), 'fake' labels D(G(z_m))=0. */
  discriminatorLoss(inputs: FusionInputs, which: 'real' | 'fake'): Scalar
  /** BCE of D(G(z_m)) against 1 (G fools D), averaged over target modalities. */
  generatorLoss(inputs: FusionInputs): Scalar
  discriminatorVariables(): Variable[]
  generatorVariables(): Variable[]
  /** The AutoFusion modules that build each target's "real" sample z_tr from the other modalities. */
  realFusionVariables(): Variable[]
}

export function isGanFusion(m: FusionModule): m is GanFusionModule {
  return m.method === 'ganfusion'
}
