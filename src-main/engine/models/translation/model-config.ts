/**
 * The translation network's configuration: sizes, the default architecture, the fusion method and
 * its recorded options (checkpoints made before the choice existed: AutoFusion with floor(k/2)),
 * the checkpoint names of fusion weights, and the optional audio/visual inputs.
 */
import type * as TF from '@tensorflow/tfjs'
import {
  resolveGanSettings,
  type FusionMethod,
  type MethodFusionOptions,
  type Modality,
} from '../../fusion/types'
import { AUDIO_POOLED_DIM, VISUAL_POOLED_DIM } from '../../features/types'

export interface TranslationConfig {
  vocabSize: number
  dModel: number
  heads: number
  ffDim: number
  encLayers: number
  decLayers: number
  /** Size L of each modality latent. */
  latentDim: number
  /** Size t of z_fuse. */
  fusedDim: number
  dropout: number
  /** Longest sequence the positional table covers (source and target, tokens incl. BOS/EOS). */
  maxLen: number
  audioDim: number
  visualDim: number
  /** Fusion method; absent in checkpoints made before the choice (= AutoFusion, hidden floor(k/2)). */
  fusion?: FusionMethod
  /** The method's options as trained (see translationFusionOptions); recorded with the config. */
  fusionOptions?: MethodFusionOptions
}

/** The modalities the translator fuses, in order. */
export const FUSED_MODALITIES: readonly Modality[] = ['text', 'audio', 'visual']

/**
 * The options a new model of `method` records: AutoFusion's hidden size (round(k/2) unless given),
 * GAN-Fusion's full settings, the others' options as given.
 */
export function translationFusionOptions(
  method: FusionMethod,
  given: MethodFusionOptions,
  latentDim: number,
): MethodFusionOptions {
  const k = FUSED_MODALITIES.length * latentDim
  if (method === 'autofusion')
    return { ...given, autoFusionHidden: given.autoFusionHidden ?? Math.max(1, Math.round(k / 2)) }
  if (method === 'ganfusion')
    return {
      ...given,
      ...resolveGanSettings({ ...given, modalities: FUSED_MODALITIES, latentDim, outputDim: 1 }),
    }
  return { ...given }
}

/** Method and options a config builds (checkpoints without `fusion`: AutoFusion with floor(k/2)). */
export function translationFusion(c: TranslationConfig): {
  method: FusionMethod
  options: MethodFusionOptions
} {
  if (!c.fusion)
    return {
      method: 'autofusion',
      options: { autoFusionHidden: Math.max(1, Math.floor((FUSED_MODALITIES.length * c.latentDim) / 2)) },
    }
  return { method: c.fusion, options: c.fusionOptions ?? {} }
}

/** AutoFusion's layers keep the short names translation checkpoints have always had. */
const AUTOFUSION_LEGACY: Record<string, string> = {
  compress1: 'c1',
  compress2: 'c2',
  reconstruct1: 'r1',
  reconstruct2: 'r2',
}

/** Checkpoint name of a fusion variable from its logical ParamStore name ("fusion/compress1/w" → "fusion.c1.w"). */
export function fusionWeightName(logical: string): string {
  const parts = logical.split('/')
  if (parts.length === 3 && AUTOFUSION_LEGACY[parts[1]!]) parts[1] = AUTOFUSION_LEGACY[parts[1]!]!
  return parts.join('.')
}

export const DEFAULT_TRANSLATION_CONFIG: Omit<TranslationConfig, 'vocabSize'> = {
  dModel: 128,
  heads: 4,
  ffDim: 512,
  encLayers: 4,
  decLayers: 4,
  latentDim: 128,
  fusedDim: 128,
  dropout: 0.1,
  maxLen: 128,
  audioDim: AUDIO_POOLED_DIM,
  visualDim: VISUAL_POOLED_DIM,
}

/** Optional per-sentence audio/visual inputs: pooled vectors + presence masks ([B, dim], [B]). */
export interface TranslationFeatures {
  audio?: { pooled: TF.Tensor2D; present: TF.Tensor1D } | null
  visual?: { pooled: TF.Tensor2D; present: TF.Tensor1D } | null
}
