/**
 * The adaptive fusion methods of Sahu & Vechtomova (EACL 2021), as DESIGN.md §3 states:
 *
 * AutoFusion: z = concat(z_1..z_n) (k = Σ d_i); compress Linear(k, h) → tanh → Linear(h, t)
 *   → ReLU gives z_fuse; reconstruct Linear(t, h) → ReLU → Linear(h, k); J_tr = MSE(ẑ, z) over the
 *   blocks of PRESENT modalities only (an absent modality's learned placeholder is not a target).
 *   h = k/2: `autoFusionHidden`, default round(k/2) (old translation checkpoints used floor(k/2)).
 *
 * GAN-Fusion: for each target modality m, the "real" sample z_tr is an AutoFusion of the OTHER
 *   modalities' latents; the "fake" is z_g = G_m(z_m + σ·noise). D_m tells them apart (BCE on
 *   logits); G_m is trained to fool D_m. G: Linear(L,2L)→BN→LReLU(0.2)→Linear(2L,2L)→BN→LReLU→Linear(2L,L);
 *   D: [Linear→BN→LReLU(0.2)]×2 → Linear(H,1). The fused vector is FF(concat(G_m(z_m)...)),
 *   FF = Linear(nL, nL/2) → tanh → Linear(nL/2, out) → ReLU (for n = 3: 3L → 1.5L → L as the paper).
 *   Per batch the trainer runs `ganDSteps` × (D on real, D on fake), then G with
 *   J_total = J_task + λ·J_adv(G) + J_tr (ganStage in models/trainer.ts; the translator likewise).
 *   By default as the method states: G minimises log(1 − D(G(z))) ('saturating') and the real sample
 *   is a fixed input of D's step (stop-gradient: the D-real stage moves the real AutoFusions only
 *   through their J_tr). `ganGeneratorLoss: 'non-saturating'` (−log D(G(z))) and `ganRealGrad:
 *   'trained'` (D's loss also reaches z_tr) are the alternatives, named and recorded.
 *   Presence masks: for target m only rows where m and at least one other modality are present add
 *   adversarial loss, and each AutoFusion's J_tr covers present blocks only.
 *
 * With a single modality GAN-Fusion has no "other" modalities: it degrades to FF(G(z)) with no
 * adversarial term (stated, not hidden: the D stages are then no-ops).
 */
import type * as TF from '@tensorflow/tfjs'
import { BatchNorm, Linear, leakyRelu, stopGradient, tfm, type Scope } from './nn'
import { BaseFusion, orderedLatents, orderedMasks } from './baselines'
import {
  resolveGanSettings,
  type FusionInputs,
  type FusionOptions,
  type FusionResult,
  type GanFusionModule,
  type GanFusionSettings,
} from './types'

type Tensor = TF.Tensor

/**
 * Mean squared error over the elements where `mask` is 1 (all elements without a mask). A mask
 * with no 1 gives 0: nothing to reconstruct.
 */
function maskedMse(a: Tensor, b: Tensor, mask: Tensor | null): TF.Scalar {
  const sq = a.sub(b).square()
  if (!mask) return sq.mean() as TF.Scalar
  const tf = tfm()
  return sq.mul(mask).sum().div(tf.maximum(mask.sum(), 1)) as TF.Scalar
}

/** Per-modality presence [B] → element mask [B, n·L] over the concatenated latents. */
function blockMask(masks: Tensor[], L: number): Tensor {
  const tf = tfm()
  return tf.concat(
    masks.map((m) => tf.tile(m.toFloat().reshape([-1, 1]), [1, L])),
    1,
  )
}

/** Mean of per-row losses [B] weighted by 0/1 row weights [B]; 0 when no row counts. */
function weightedMean(rowLoss: Tensor, w: Tensor): TF.Scalar {
  const tf = tfm()
  return rowLoss.mul(w).sum().div(tf.maximum(w.sum(), 1)) as TF.Scalar
}

/** The AutoFusion compressor/reconstructor on an already concatenated z [B, k]. */
export class AutoFusionCore {
  readonly c1: Linear
  readonly c2: Linear
  readonly r1: Linear
  readonly r2: Linear
  constructor(scope: Scope, k: number, t: number, hidden?: number) {
    const h = hidden ?? Math.max(1, Math.round(k / 2))
    if (!(Number.isInteger(h) && h > 0))
      throw new Error(`AutoFusion: hidden size must be a positive integer (got ${h})`)
    this.c1 = new Linear(scope.sub('compress1'), k, h)
    this.c2 = new Linear(scope.sub('compress2'), h, t)
    this.r1 = new Linear(scope.sub('reconstruct1'), t, h)
    this.r2 = new Linear(scope.sub('reconstruct2'), h, k)
  }
  /** z_fuse, the reconstruction ẑ and J_tr for z (over the elements `mask` marks present, if given). */
  apply(z: Tensor, mask: Tensor | null = null): { fused: Tensor; recon: Tensor; jtr: TF.Scalar } {
    const tf = tfm()
    const fused = tf.relu(this.c2.apply(tf.tanh(this.c1.apply(z))))
    const recon = this.r2.apply(tf.relu(this.r1.apply(fused)))
    return { fused, recon, jtr: maskedMse(recon, z, mask) }
  }
}

export class AutoFusion extends BaseFusion {
  readonly method = 'autofusion' as const
  private readonly core: AutoFusionCore
  private readonly latentDim: number
  constructor(scope: Scope, opts: FusionOptions) {
    super(scope, opts)
    this.latentDim = opts.latentDim
    this.core = new AutoFusionCore(
      scope,
      opts.modalities.length * opts.latentDim,
      opts.outputDim,
      opts.autoFusionHidden,
    )
  }
  private run(inputs: FusionInputs): { fused: Tensor; recon: Tensor; jtr: TF.Scalar } {
    const tf = tfm()
    const zs = orderedLatents(inputs, this.modalities)
    const z = zs.length === 1 ? zs[0]! : tf.concat(zs, 1)
    const mask = blockMask(orderedMasks(inputs, this.modalities, z.shape[0]!), this.latentDim)
    return this.core.apply(z, mask)
  }
  apply(inputs: FusionInputs): FusionResult {
    const { fused, jtr } = this.run(inputs)
    return { fused: fused as TF.Tensor2D, auxLoss: jtr }
  }
  /** J_tr alone (for tests and monitoring). */
  reconstructionLoss(inputs: FusionInputs): TF.Scalar {
    return this.run(inputs).jtr
  }
  /** ẑ, the reconstruction of the concatenated latents (for tests). */
  reconstruction(inputs: FusionInputs): Tensor {
    return this.run(inputs).recon
  }
}

class Generator {
  private readonly l1: Linear
  private readonly bn1: BatchNorm
  private readonly l2: Linear
  private readonly bn2: BatchNorm
  private readonly l3: Linear
  constructor(scope: Scope, L: number) {
    this.l1 = new Linear(scope.sub('l1'), L, 2 * L)
    this.bn1 = new BatchNorm(scope.sub('bn1'), 2 * L)
    this.l2 = new Linear(scope.sub('l2'), 2 * L, 2 * L)
    this.bn2 = new BatchNorm(scope.sub('bn2'), 2 * L)
    this.l3 = new Linear(scope.sub('l3'), 2 * L, L)
  }
  apply(z: Tensor, training: boolean): Tensor {
    const h1 = leakyRelu(this.bn1.apply(this.l1.apply(z), training))
    const h2 = leakyRelu(this.bn2.apply(this.l2.apply(h1), training))
    return this.l3.apply(h2)
  }
}

class Discriminator {
  private readonly l1: Linear
  private readonly bn1: BatchNorm
  private readonly l2: Linear
  private readonly bn2: BatchNorm
  private readonly l3: Linear
  constructor(scope: Scope, L: number, H: number) {
    this.l1 = new Linear(scope.sub('l1'), L, H)
    this.bn1 = new BatchNorm(scope.sub('bn1'), H)
    this.l2 = new Linear(scope.sub('l2'), H, H)
    this.bn2 = new BatchNorm(scope.sub('bn2'), H)
    this.l3 = new Linear(scope.sub('l3'), H, 1)
  }
  /** Logits [B]. */
  apply(x: Tensor, training: boolean): Tensor {
    const h1 = leakyRelu(this.bn1.apply(this.l1.apply(x), training))
    const h2 = leakyRelu(this.bn2.apply(this.l2.apply(h1), training))
    return this.l3.apply(h2).reshape([-1])
  }
}

/** Per-row binary cross-entropy on logits [B] against a constant target (1 = real, 0 = fake), stable form. */
function bceWithLogits(logits: Tensor, target: 0 | 1): Tensor {
  const tf = tfm()
  // max(x,0) − x·y + log(1 + exp(−|x|))
  return tf
    .relu(logits)
    .sub(logits.mul(target))
    .add(tf.log1p(tf.exp(tf.abs(logits).neg())))
}

export class GanFusion extends BaseFusion implements GanFusionModule {
  readonly method = 'ganfusion' as const
  readonly settings: GanFusionSettings
  private readonly L: number
  private readonly gens: Generator[]
  private readonly discs: Discriminator[]
  /** Per target modality: the AutoFusion of the other modalities (null with a single modality). */
  private readonly reals: (AutoFusionCore | null)[]
  private readonly ff1: Linear
  private readonly ff2: Linear
  constructor(scope: Scope, opts: FusionOptions) {
    super(scope, opts)
    this.settings = resolveGanSettings(opts)
    const L = (this.L = opts.latentDim)
    const n = opts.modalities.length
    this.gens = opts.modalities.map((m) => new Generator(scope.sub(`G_${m}`), L))
    this.discs = opts.modalities.map(
      (m) => new Discriminator(scope.sub(`D_${m}`), L, this.settings.ganHidden),
    )
    this.reals = opts.modalities.map((m) =>
      n > 1 ? new AutoFusionCore(scope.sub(`real_${m}`), (n - 1) * L, L) : null,
    )
    const h = Math.max(1, Math.round((n * L) / 2))
    this.ff1 = new Linear(scope.sub('ff1'), n * L, h)
    this.ff2 = new Linear(scope.sub('ff2'), h, opts.outputDim)
  }

  get lambda(): number {
    return this.settings.ganLambda
  }

  private withNoise(z: Tensor, training: boolean): Tensor {
    const sigma = this.settings.ganNoise
    if (!training || sigma <= 0) return z
    const tf = tfm()
    const rng = this.scope.rng
    const n = z.size
    const data = new Float32Array(n)
    for (let i = 0; i < n; i++) data[i] = rng.normal() * sigma
    return z.add(tf.tensor(data, z.shape))
  }

  /** G_m(z_m + noise) for every target. */
  private generated(zs: Tensor[], training: boolean): Tensor[] {
    return zs.map((z, i) => this.gens[i]!.apply(this.withNoise(z, training), training))
  }

  /**
   * Row weights [B] per target: 1 where the target and at least one other modality are present
   * (null for a target without a real sample).
   */
  private targetWeights(ms: Tensor[]): (Tensor | null)[] {
    const tf = tfm()
    return ms.map((m, i) => {
      if (!this.reals[i]) return null
      const others = tf.minimum(tf.addN(ms.filter((_, j) => j !== i)), 1)
      return m.mul(others)
    })
  }

  /** z_tr for each target (the AutoFusion of the others) and the summed J_tr over present blocks. */
  private realSamples(zs: Tensor[], ms: Tensor[]): { reals: (Tensor | null)[]; jtr: TF.Scalar } {
    const tf = tfm()
    let jtr: TF.Scalar = tf.scalar(0)
    const reals = zs.map((_, i) => {
      const core = this.reals[i]
      if (!core) return null
      const others = zs.filter((__, j) => j !== i)
      const mask = blockMask(
        ms.filter((__, j) => j !== i),
        this.L,
      )
      const { fused, jtr: j } = core.apply(tf.concat(others, 1), mask)
      jtr = jtr.add(j)
      return fused
    })
    return { reals, jtr }
  }

  private latentsAndMasks(inputs: FusionInputs): { zs: Tensor[]; ms: Tensor[] } {
    const zs = orderedLatents(inputs, this.modalities)
    const ms = orderedMasks(inputs, this.modalities, zs[0]!.shape[0]!).map((m) => m.toFloat())
    return { zs, ms }
  }

  apply(inputs: FusionInputs, opts: { training: boolean }): FusionResult {
    const tf = tfm()
    const { zs, ms } = this.latentsAndMasks(inputs)
    const gs = this.generated(zs, opts.training)
    const fused = tf.relu(this.ff2.apply(tf.tanh(this.ff1.apply(tf.concat(gs, 1))))) as TF.Tensor2D
    if (!opts.training) return { fused, auxLoss: null }
    // λ·J_adv for G (fool every D) and J_tr of the real-sample AutoFusions.
    const { jtr } = this.realSamples(zs, ms)
    const adv = this.adversarialForGenerated(gs, ms)
    return { fused, auxLoss: adv.mul(this.lambda).add(jtr) as TF.Scalar }
  }

  /** The generator objective on D(G(z_m)), averaged over the targets that have a real sample. */
  private adversarialForGenerated(gs: Tensor[], ms: Tensor[]): TF.Scalar {
    const tf = tfm()
    const ws = this.targetWeights(ms)
    const saturating = this.settings.ganGeneratorLoss === 'saturating'
    const live: TF.Scalar[] = []
    gs.forEach((g, i) => {
      const w = ws[i]
      if (!w) return
      const logits = this.discs[i]!.apply(g, true)
      // log(1 − σ(x)) = −BCE(x, 0): minimising it pushes D(G(z)) up, with the gradient that
      // vanishes when D is confident (the method's minimax form); −log σ(x) = BCE(x, 1) does not.
      const rowLoss = saturating ? bceWithLogits(logits, 0).neg() : bceWithLogits(logits, 1)
      live.push(weightedMean(rowLoss, w))
    })
    return live.length ? (tf.addN(live).div(live.length) as TF.Scalar) : tf.scalar(0)
  }

  discriminatorLoss(inputs: FusionInputs, which: 'real' | 'fake'): TF.Scalar {
    const tf = tfm()
    const { zs, ms } = this.latentsAndMasks(inputs)
    const ws = this.targetWeights(ms)
    const losses: TF.Scalar[] = []
    if (which === 'real') {
      const { reals, jtr } = this.realSamples(zs, ms)
      const fixed = this.settings.ganRealGrad === 'fixed'
      reals.forEach((r, i) => {
        if (!r) return
        const x = fixed ? stopGradient(r) : r
        losses.push(weightedMean(bceWithLogits(this.discs[i]!.apply(x, true), 1), ws[i]!))
      })
      if (!losses.length) return tf.scalar(0)
      return tf.addN(losses).div(losses.length).add(jtr) as TF.Scalar
    }
    // Fake: D sees G's output as a fixed input (stop gradient: this stage trains D only).
    const gs = this.generated(zs, true).map((g) => stopGradient(g))
    gs.forEach((g, i) => {
      if (!this.reals[i]) return
      losses.push(weightedMean(bceWithLogits(this.discs[i]!.apply(g, true), 0), ws[i]!))
    })
    return losses.length ? (tf.addN(losses).div(losses.length) as TF.Scalar) : tf.scalar(0)
  }

  generatorLoss(inputs: FusionInputs): TF.Scalar {
    const { zs, ms } = this.latentsAndMasks(inputs)
    return this.adversarialForGenerated(this.generated(zs, true), ms)
  }

  discriminatorVariables(): TF.Variable[] {
    return this.modalities.flatMap((m) => this.scope.sub(`D_${m}`).trainable())
  }
  generatorVariables(): TF.Variable[] {
    return this.modalities.flatMap((m) => this.scope.sub(`G_${m}`).trainable())
  }
  realFusionVariables(): TF.Variable[] {
    return this.modalities.flatMap((m) => this.scope.sub(`real_${m}`).trainable())
  }
}
