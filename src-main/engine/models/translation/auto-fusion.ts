/**
 * AutoFusion (Sahu & Vechtomova 2021; DESIGN.md §3) as used inside the translation model, behind
 * the shared FusionModule interface (src-main/engine/fusion/types.ts). Owns its own variables
 * (named `fusion.*` so they live in the translation checkpoint).
 *
 * z = concat(z_text, z_audio, z_visual) (k = 3L). Compress: Linear(k, k/2) → tanh → Linear(k/2, t)
 * → ReLU gives z_fuse. Reconstruct: Linear(t, k/2) → ReLU → Linear(k/2, k); J_tr = MSE(ẑ, z),
 * returned as the auxiliary loss. Absent modalities arrive already replaced by their encoder's
 * learned "absent" vector (FusionInputs contract), so a text-only batch still has the same k.
 */
import type * as TF from '@tensorflow/tfjs'
import type { FusionInputs, FusionModule, FusionResult, Modality } from '../../fusion/types'
import { dense } from '../tf-ops'

export interface AutoFusionParams {
  modalities: readonly Modality[]
  latentDim: number
  outputDim: number
}

/** Variable shapes of AutoFusion, by name (used to create or validate checkpoint weights). */
export function autoFusionShapes(p: AutoFusionParams): Record<string, number[]> {
  const k = p.latentDim * p.modalities.length
  const h = Math.max(1, Math.floor(k / 2))
  return {
    'fusion.c1.w': [k, h],
    'fusion.c1.b': [h],
    'fusion.c2.w': [h, p.outputDim],
    'fusion.c2.b': [p.outputDim],
    'fusion.r1.w': [p.outputDim, h],
    'fusion.r1.b': [h],
    'fusion.r2.w': [h, k],
    'fusion.r2.b': [k],
  }
}

/** Builds the module over existing variables (created by the model so they are saved with it). */
export function createAutoFusion(
  tf: typeof TF,
  p: AutoFusionParams,
  vars: (name: string) => TF.Variable,
): FusionModule {
  const names = Object.keys(autoFusionShapes(p))
  const v = (n: string): TF.Tensor => vars(n)
  return {
    method: 'autofusion',
    modalities: p.modalities,
    outputDim: p.outputDim,
    apply(inputs: FusionInputs): FusionResult {
      const parts = p.modalities.map((m) => {
        const z = inputs.latents[m]
        if (!z) throw new Error(`AutoFusion: latent for modality "${m}" is missing`)
        return z
      })
      const z = parts.length === 1 ? parts[0]! : tf.concat(parts, 1)
      const h = tf.tanh(dense(z, v('fusion.c1.w'), v('fusion.c1.b')))
      const fused = tf.relu(dense(h, v('fusion.c2.w'), v('fusion.c2.b'))) as TF.Tensor2D
      const r = tf.relu(dense(fused, v('fusion.r1.w'), v('fusion.r1.b')))
      const zHat = dense(r, v('fusion.r2.w'), v('fusion.r2.b'))
      const auxLoss = zHat.sub(z).square().mean() as TF.Scalar
      return { fused, auxLoss }
    },
    trainableVariables: () => names.map(vars),
    stateVariables: () => [],
    dispose: () => names.forEach((n) => vars(n).dispose()),
  }
}
