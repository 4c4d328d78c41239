/**
 * The baseline fusion methods the paper compares against (DESIGN.md §3): early concatenation,
 * Tensor Fusion (TFN), Low-rank Multimodal Fusion (LMF) and a small MulT-style cross-modal
 * attention block. Owns their definitions; all take per-modality latents [B, L] (+ presence masks)
 * and return a fused [B, outputDim] with no auxiliary loss.
 */
import type * as TF from '@tensorflow/tfjs'
import { dense, matMul } from '../core/tf-ops'
import { LayerNorm, Linear, tfm, type Scope } from './nn'
import type { FusionInputs, FusionMethod, FusionModule, FusionOptions, FusionResult, Modality } from './types'

type Tensor = TF.Tensor

/** Latents in the module's modality order; a missing latent is a configuration error, not data. */
export function orderedLatents(inputs: FusionInputs, modalities: readonly Modality[]): Tensor[] {
  return modalities.map((m) => {
    const z = inputs.latents[m]
    if (!z)
      throw new Error(`fusion: no latent for modality '${m}' (this module fuses ${modalities.join(', ')})`)
    return z
  })
}

/** Presence masks [B] in modality order (all ones when a mask is not given). */
export function orderedMasks(inputs: FusionInputs, modalities: readonly Modality[], batch: number): Tensor[] {
  const tf = tfm()
  return modalities.map((m) => inputs.masks[m] ?? tf.ones([batch]))
}

/** What every fusion module shares: its modalities, output size and variables (from its scope). */
export abstract class BaseFusion implements FusionModule {
  abstract readonly method: FusionMethod
  readonly modalities: readonly Modality[]
  readonly outputDim: number
  constructor(
    protected readonly scope: Scope,
    opts: FusionOptions,
  ) {
    this.modalities = opts.modalities
    this.outputDim = opts.outputDim
  }
  abstract apply(inputs: FusionInputs, opts: { training: boolean }): FusionResult
  trainableVariables(): TF.Variable[] {
    return this.scope.trainable()
  }
  stateVariables(): TF.Variable[] {
    return this.scope.state()
  }
  dispose(): void {
    for (const v of [...this.trainableVariables(), ...this.stateVariables()]) v.dispose()
  }
}

// ---------------------------------------------------------------- early concatenation

/** fused = ReLU(Linear(concat(z_1..z_n))). */
export class ConcatFusion extends BaseFusion {
  readonly method = 'concat' as const
  private readonly proj: Linear
  constructor(scope: Scope, opts: FusionOptions) {
    super(scope, opts)
    this.proj = new Linear(scope.sub('proj'), opts.modalities.length * opts.latentDim, opts.outputDim)
  }
  apply(inputs: FusionInputs): FusionResult {
    const tf = tfm()
    const z = tf.concat(orderedLatents(inputs, this.modalities), 1)
    return { fused: tf.relu(this.proj.apply(z)) as TF.Tensor2D, auxLoss: null }
  }
}

// ---------------------------------------------------------------- TFN

/**
 * The Tensor Fusion product: the flattened outer product of [z_1; 1] ⊗ [z_2; 1] ⊗ … for a batch,
 * [B, d_i] each → [B, Π(d_i + 1)], first modality's index varying slowest. Exported for tests.
 */
export function tensorFusionProduct(zs: Tensor[]): Tensor {
  const tf = tfm()
  const B = zs[0]!.shape[0]!
  let acc: Tensor = tf.concat([zs[0]!, tf.ones([B, 1])], 1)
  for (let i = 1; i < zs.length; i++) {
    const z1 = tf.concat([zs[i]!, tf.ones([B, 1])], 1)
    const a = acc.shape[1]!
    const b = z1.shape[1]!
    // [B, a, 1] * [B, 1, b] → [B, a, b] → [B, a·b]
    acc = acc
      .reshape([B, a, 1])
      .mul(z1.reshape([B, 1, b]))
      .reshape([B, a * b])
  }
  return acc
}

/**
 * TFN (Zadeh et al. 2017): each latent is projected to p dims (keeps (p+1)^n small), the outer
 * product of the [z'; 1] vectors keeps every unimodal, bimodal and trimodal interaction, and a
 * Linear + ReLU maps it to the output.
 */
export class TensorFusion extends BaseFusion {
  readonly method = 'tfn' as const
  private readonly projs: Linear[]
  private readonly out: Linear
  constructor(scope: Scope, opts: FusionOptions) {
    super(scope, opts)
    const p = opts.tfnProjDim ?? 8
    this.projs = opts.modalities.map((m) => new Linear(scope.sub(`proj_${m}`), opts.latentDim, p))
    this.out = new Linear(scope.sub('out'), (p + 1) ** opts.modalities.length, opts.outputDim)
  }
  apply(inputs: FusionInputs): FusionResult {
    const tf = tfm()
    const zs = orderedLatents(inputs, this.modalities).map((z, i) => tf.relu(this.projs[i]!.apply(z)))
    return { fused: tf.relu(this.out.apply(tensorFusionProduct(zs))) as TF.Tensor2D, auxLoss: null }
  }
}

// ---------------------------------------------------------------- LMF

/**
 * The LMF combination (Liu et al. 2018): h = Σ_r w_r · Π_m ([z_m; 1] · W_m^(r)) + b, where each
 * factor W_m is [d_m + 1, r, out]. Equal to TFN's W·(⊗[z_m;1]) with W of rank r, never forming the
 * outer product. Exported for tests. zs: [B, d_m]; factors: [d_m + 1, r·out]; weights: [r]; bias: [out].
 */
export function lowRankFusion(
  zs: Tensor[],
  factors: Tensor[],
  weights: Tensor,
  bias: Tensor,
  rank: number,
): Tensor {
  const tf = tfm()
  const B = zs[0]!.shape[0]!
  let prod: Tensor | null = null
  for (let i = 0; i < zs.length; i++) {
    const z1 = tf.concat([zs[i]!, tf.ones([B, 1])], 1)
    const f = matMul(z1, factors[i]!) // [B, r·out]
    const out = f.shape[1]! / rank
    const fr = f.reshape([B, rank, out])
    prod = prod ? prod.mul(fr) : fr
  }
  // Σ_r w_r · prod[:, r, :]: a [1, r] · [r, out] product per row, done as one batched matMul.
  const out = prod!.shape[2]!
  const w = weights.reshape([1, 1, rank]).tile([B, 1, 1]) // [B, 1, r]
  return matMul(w, prod!).reshape([B, out]).add(bias)
}

export class LowRankFusion extends BaseFusion {
  readonly method = 'lmf' as const
  readonly rank: number
  private readonly factors: TF.Variable[]
  private readonly weights: TF.Variable
  private readonly bias: TF.Variable
  constructor(scope: Scope, opts: FusionOptions) {
    super(scope, opts)
    const tf = tfm()
    const r = (this.rank = opts.rank ?? 4)
    const L = opts.latentDim
    const out = opts.outputDim
    this.factors = opts.modalities.map((m) =>
      scope.add(`factor_${m}`, scope.store.glorot([L + 1, r * out], L + 1, out)),
    )
    this.weights = scope.add('fusion_weights', scope.store.glorot([r], 1, r))
    this.bias = scope.add('fusion_bias', tf.zeros([out]))
  }
  apply(inputs: FusionInputs): FusionResult {
    const tf = tfm()
    const zs = orderedLatents(inputs, this.modalities)
    const h = lowRankFusion(zs, this.factors, this.weights, this.bias, this.rank)
    return { fused: tf.relu(h) as TF.Tensor2D, auxLoss: null }
  }
}

// ---------------------------------------------------------------- cross-modal attention

/**
 * A small MulT-style block: each modality latent is a token (plus a learned modality embedding);
 * multi-head attention where every modality token attends to the present modality tokens (the
 * cross-modal part; absent modalities are masked out as keys), residual + LayerNorm,
 * position-wise feed-forward, residual + LayerNorm, then a masked mean over present tokens and a
 * Linear + ReLU to the output.
 */
export class CrossModalAttention extends BaseFusion {
  readonly method = 'attention' as const
  private readonly heads: number
  private readonly q: Linear
  private readonly k: Linear
  private readonly v: Linear
  private readonly o: Linear
  private readonly ff1: Linear
  private readonly ff2: Linear
  private readonly ln1: LayerNorm
  private readonly ln2: LayerNorm
  private readonly modEmb: TF.Variable
  private readonly out: Linear
  constructor(scope: Scope, opts: FusionOptions) {
    super(scope, opts)
    const L = opts.latentDim
    this.heads = opts.heads ?? 2
    if (L % this.heads !== 0)
      throw new Error(`attention fusion: latentDim ${L} is not divisible by ${this.heads} heads`)
    this.q = new Linear(scope.sub('q'), L, L)
    this.k = new Linear(scope.sub('k'), L, L)
    this.v = new Linear(scope.sub('v'), L, L)
    this.o = new Linear(scope.sub('o'), L, L)
    this.ff1 = new Linear(scope.sub('ff1'), L, 2 * L)
    this.ff2 = new Linear(scope.sub('ff2'), 2 * L, L)
    this.ln1 = new LayerNorm(scope.sub('ln1'), L)
    this.ln2 = new LayerNorm(scope.sub('ln2'), L)
    this.modEmb = scope.add('modality_embedding', scope.store.normalInit([opts.modalities.length, L], 0.1))
    this.out = new Linear(scope.sub('out'), L, opts.outputDim)
  }
  apply(inputs: FusionInputs): FusionResult {
    const tf = tfm()
    const zs = orderedLatents(inputs, this.modalities)
    const B = zs[0]!.shape[0]!
    const n = zs.length
    const L = zs[0]!.shape[1]!
    const H = this.heads
    const dh = L / H
    const x = tf.stack(zs, 1).add(this.modEmb.reshape([1, n, L])) // [B, n, L]
    const present = tf.stack(orderedMasks(inputs, this.modalities, B), 1).toFloat() // [B, n]
    // Key mask: every token attends to the present modality tokens (itself included, so a row with a
    // single present modality still has a key); absent modalities are never attended to.
    const eye = tf.eye(n).reshape([1, n, n])
    const allow = tf.minimum(present.reshape([B, 1, n]).add(eye), 1) // [B, n, n]
    const bias = tf.sub(1, allow).mul(-1e4).reshape([B, 1, n, n])
    const split = (t: Tensor) =>
      t
        .reshape([B, n, H, dh])
        .transpose([0, 2, 1, 3])
        .reshape([B * H, n, dh])
    const q = split(this.q.apply(x))
    const k = split(this.k.apply(x))
    const v = split(this.v.apply(x))
    const scores = matMul(q, k, false, true)
      .mul(1 / Math.sqrt(dh))
      .reshape([B, H, n, n])
      .add(bias)
    const att = tf.softmax(scores, -1).reshape([B * H, n, n])
    const ctx = matMul(att, v).reshape([B, H, n, dh]).transpose([0, 2, 1, 3]).reshape([B, n, L])
    const h1 = this.ln1.apply(x.add(this.o.apply(ctx)))
    const h2 = this.ln2.apply(h1.add(this.ff2.apply(tf.relu(this.ff1.apply(h1)))))
    // Masked mean over present modalities (all-absent rows: plain mean).
    const w = present.add(tf.equal(present.sum(1, true), 0).toFloat()).reshape([B, n, 1])
    const pooled = h2.mul(w).sum(1).div(w.sum(1))
    return { fused: tf.relu(dense(pooled, this.out.w, this.out.b)) as TF.Tensor2D, auxLoss: null }
  }
}
