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
  /**
   * AutoFusion compressor hidden size (Linear(k, h) → tanh → Linear(h, t)); default round(k/2).
   * Translation checkpoints made before the fusion choice record none and used floor(k/2).
   */
  autoFusionHidden?: number
  /** GAN-Fusion λ on the generator's adversarial loss (default 0.1). */
  ganLambda?: number
  /** GAN-Fusion discriminator hidden size H (default latentDim). */
  ganHidden?: number
  /** GAN-Fusion noise scale σ added to z_m before G (default 0.01, as DESIGN §3). */
  ganNoise?: number
  /**
   * GAN-Fusion generator objective: 'saturating' minimises log(1 − D(G(z))) as the method states
   * (default); 'non-saturating' minimises −log D(G(z)) (BCE against 1; the usual GAN trick).
   */
  ganGeneratorLoss?: GanGeneratorLoss
  /**
   * GAN-Fusion D-real stage: 'fixed' (default) feeds D the real sample z_tr with its gradient
   * stopped, so D's objective never moves the real-sample AutoFusions (they learn from their J_tr);
   * 'trained' lets D's loss reach them too.
   */
  ganRealGrad?: GanRealGrad
  /** GAN-Fusion schedule: D-real + D-fake updates per batch before the G update (default 1). */
  ganDSteps?: number
}

/** The method-specific part of FusionOptions: what a model config / manifest records as `fusionOptions`. */
export type MethodFusionOptions = Omit<FusionOptions, 'modalities' | 'latentDim' | 'outputDim' | 'seed'>

export type GanGeneratorLoss = 'saturating' | 'non-saturating'
export type GanRealGrad = 'fixed' | 'trained'

/** Every GAN-Fusion option with its default filled in: what a trained model records. */
export interface GanFusionSettings {
  ganLambda: number
  ganNoise: number
  ganHidden: number
  ganGeneratorLoss: GanGeneratorLoss
  ganRealGrad: GanRealGrad
  ganDSteps: number
}

/** GAN-Fusion's options resolved against their defaults (throws on out-of-range values). */
export function resolveGanSettings(o: FusionOptions): GanFusionSettings {
  const s: GanFusionSettings = {
    ganLambda: o.ganLambda ?? 0.1,
    ganNoise: o.ganNoise ?? 0.01,
    ganHidden: o.ganHidden ?? o.latentDim,
    ganGeneratorLoss: o.ganGeneratorLoss ?? 'saturating',
    ganRealGrad: o.ganRealGrad ?? 'fixed',
    ganDSteps: o.ganDSteps ?? 1,
  }
  if (!(s.ganLambda >= 0 && Number.isFinite(s.ganLambda)))
    throw new Error(`GAN-Fusion: λ must be ≥ 0 (got ${s.ganLambda})`)
  if (!(s.ganNoise >= 0 && Number.isFinite(s.ganNoise)))
    throw new Error(`GAN-Fusion: noise σ must be ≥ 0 (got ${s.ganNoise})`)
  if (!(Number.isInteger(s.ganHidden) && s.ganHidden > 0))
    throw new Error(`GAN-Fusion: discriminator hidden size must be a positive integer (got ${s.ganHidden})`)
  if (!(Number.isInteger(s.ganDSteps) && s.ganDSteps >= 1))
    throw new Error(`GAN-Fusion: D steps per batch must be an integer ≥ 1 (got ${s.ganDSteps})`)
  if (s.ganGeneratorLoss !== 'saturating' && s.ganGeneratorLoss !== 'non-saturating')
    throw new Error(
      `GAN-Fusion: generator loss must be saturating or non-saturating (got ${String(s.ganGeneratorLoss)})`,
    )
  if (s.ganRealGrad !== 'fixed' && s.ganRealGrad !== 'trained')
    throw new Error(
      `GAN-Fusion: real-sample gradient must be fixed or trained (got ${String(s.ganRealGrad)})`,
    )
  return s
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
 * Stages 1–2 run `settings.ganDSteps` times per batch; with `ganRealGrad: 'fixed'` stage 1 updates
 * the real AutoFusions through their J_tr only.
 */
export interface GanFusionModule extends FusionModule {
  readonly method: 'ganfusion'
  readonly lambda: number
  /** The options this module runs with, defaults filled in (recorded as the model's fusionOptions). */
  readonly settings: GanFusionSettings
  /**
   * BCE-with-logits of D: 'real' labels D(z_tr)=1 (plus J_tr of the real AutoFusions), 'fake' labels
   * D(G(z_m))=0. Per target modality m only rows where m and at least one other modality are present count.
   */
  discriminatorLoss(inputs: FusionInputs, which: 'real' | 'fake'): Scalar
  /** G's adversarial loss (settings.ganGeneratorLoss) on D(G(z_m)), averaged over target modalities. */
  generatorLoss(inputs: FusionInputs): Scalar
  discriminatorVariables(): Variable[]
  generatorVariables(): Variable[]
  /** The AutoFusion modules that build each target's "real" sample z_tr from the other modalities. */
  realFusionVariables(): Variable[]
}

export function isGanFusion(m: FusionModule): m is GanFusionModule {
  return m.method === 'ganfusion'
}
