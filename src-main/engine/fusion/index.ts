/**
 * The fusion library's entry point. Owns `createFusion`: one factory for every method so the
 * emotion model, the translator and the benchmark pick a method by name.
 */
import { AutoFusion, GanFusion } from './adaptive'
import { ConcatFusion, CrossModalAttention, LowRankFusion, TensorFusion } from './baselines'
import { ParamStore, type Scope } from './nn'
import {
  FUSION_METHODS,
  MODALITIES,
  type FusionMethod,
  type FusionModule,
  type FusionOptions,
  type Modality,
} from './types'

export * from './types'
export { tensorFusionProduct, lowRankFusion } from './baselines'
export { AutoFusion, GanFusion } from './adaptive'

/** Canonical order (text, audio, visual), duplicates removed; throws on unknown or empty. */
export function normaliseModalities(mods: readonly string[]): Modality[] {
  if (!mods.length) throw new Error('fusion needs at least one modality')
  for (const m of mods)
    if (!MODALITIES.includes(m as Modality))
      throw new Error(`unknown modality '${m}' (expected ${MODALITIES.join(', ')})`)
  return MODALITIES.filter((m) => mods.includes(m))
}

export function parseFusionMethod(name: string): FusionMethod {
  if (!FUSION_METHODS.includes(name as FusionMethod))
    throw new Error(`unknown fusion method '${name}' (expected one of ${FUSION_METHODS.join(', ')})`)
  return name as FusionMethod
}

/** The module class of each fusion method; every one is built from a parameter scope and the options. */
const FUSION_MODULES: Record<FusionMethod, new (scope: Scope, o: FusionOptions) => FusionModule> = {
  concat: ConcatFusion,
  tfn: TensorFusion,
  lmf: LowRankFusion,
  attention: CrossModalAttention,
  autofusion: AutoFusion,
  ganfusion: GanFusion,
}

/**
 * Builds a fusion module. Its variables live in `opts.scope` (a scope of the model's ParamStore,
 * so they are checkpointed with the model) or, when absent, in a fresh store seeded by `opts.seed`.
 */
export function createFusion(method: FusionMethod, opts: FusionOptions & { scope?: Scope }): FusionModule {
  const modalities = normaliseModalities(opts.modalities)
  if (!(opts.latentDim > 0 && opts.outputDim > 0))
    throw new Error(
      `fusion: latentDim and outputDim must be positive (got ${opts.latentDim}, ${opts.outputDim})`,
    )
  const o: FusionOptions = { ...opts, modalities }
  const scope = opts.scope ?? new ParamStore(opts.seed ?? 1).scope('fusion')
  return new FUSION_MODULES[parseFusionMethod(method)](scope, o)
}
