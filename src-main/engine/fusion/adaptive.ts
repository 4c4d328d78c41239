/**
 * The adaptive fusion methods of Sahu & Vechtomova (EACL 2021), exactly as DESIGN.md §3 states:
 *
 * AutoFusion: z = concat(z_1..z_n) (k = Σ d_i); compress Linear(k, k/2) → tanh → Linear(k/2, t)
 *   → ReLU gives z_fuse; reconstruct Linear(t, k/2) → ReLU → Linear(k/2, k); J_tr = MSE(ẑ, z).
 *
 * GAN-Fusion: for each target modality m, the "real" sample z_tr is an AutoFusion of the OTHER
 *   modalities' latents; the "fake" is z_g = G_m(z_m + 0.01·noise). D_m tells them apart (BCE on
 *   logits), G_m learns to fool D_m. G: Linear(L,2L)→BN→LReLU(0.2)→Linear(2L,2L)→BN→LReLU→Linear(2L,L);
 *   D: [Linear→BN→LReLU(0.2)]×2 → Linear(H,1). The fused vector is FF(concat(G_m(z_m)...)),
 *   FF = Linear(nL, nL/2) → tanh → Linear(nL/2, out) → ReLU (for n = 3: 3L → 1.5L → L as the paper).
 *   Per batch the trainer alternates D on real (+ the real AutoFusions' J_tr), D on fake, then G
 *   with J_total = J_task + λ·J_adv + J_tr (see trainGanStages in models/trainer.ts).
 *
 * With a single modality GAN-Fusion has no "other" modalities: it degrades to FF(G(z)) with no
 * adversarial term (stated, not hidden: the D stages are then no-ops).
 */
import type * as TF from '@tensorflow/tfjs'
import { BatchNorm, Linear, leakyRelu, stopGradient, tfm, type Scope } from './nn'
import { BaseFusion, orderedLatents } from './baselines'
import type { FusionInputs, FusionOptions, FusionResult, GanFusionModule } from './types'

type Tensor = TF.Tensor

/** Mean squared error over all elements. */
function mse(a: Tensor, b: Tensor): TF.Scalar {
  return a.sub(b).square().mean() as TF.Scalar
}

/** The AutoFusion compressor/reconstructor on an already concatenated z [B, k]. */
export class AutoFusionCore {
  readonly c1: Linear
  readonly c2: Linear
  readonly r1: Linear
  readonly r2: Linear
  constructor(scope: Scope, k: number, t: number) {
    const h = Math.max(1, Math.round(k / 2))
    this.c1 = new Linear(scope.sub('compress1'), k, h)
    this.c2 = new Linear(scope.sub('compress2'), h, t)
    this.r1 = new Linear(scope.sub('reconstruct1'), t, h)
    this.r2 = new Linear(scope.sub('reconstruct2'), h, k)
  }
  /** z_fuse and J_tr for z. */
  apply(z: Tensor): { fused: Tensor; jtr: TF.Scalar } {
    const tf = tfm()
    const fused = tf.relu(this.c2.apply(tf.tanh(this.c1.apply(z))))
    const recon = this.r2.apply(tf.relu(this.r1.apply(fused)))
    return { fused, jtr: mse(recon, z) }
  }
}

export class AutoFusion extends BaseFusion {
  readonly method = 'autofusion' as const
  private readonly core: AutoFusionCore
  constructor(scope: Scope, opts: FusionOptions) {
    super(scope, opts)
    this.core = new AutoFusionCore(scope, opts.modalities.length * opts.latentDim, opts.outputDim)
  }
  apply(inputs: FusionInputs): FusionResult {
    const z = tfm().concat(orderedLatents(inputs, this.modalities), 1)
    const { fused, jtr } = this.core.apply(z)
    return { fused: fused as TF.Tensor2D, auxLoss: jtr }
  }
  /** J_tr alone (for tests and monitoring). */
  reconstructionLoss(inputs: FusionInputs): TF.Scalar {
    return this.core.apply(tfm().concat(orderedLatents(inputs, this.modalities), 1)).jtr
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

/** Binary cross-entropy on logits against a constant target (1 = real, 0 = fake), stable form. */
function bceWithLogits(logits: Tensor, target: 0 | 1): TF.Scalar {
  const tf = tfm()
  // max(x,0) − x·y + log(1 + exp(−|x|))
  const loss = tf
    .relu(logits)
    .sub(logits.mul(target))
    .add(tf.log1p(tf.exp(tf.abs(logits).neg())))
  return loss.mean() as TF.Scalar
}

export class GanFusion extends BaseFusion implements GanFusionModule {
  readonly method = 'ganfusion' as const
  readonly lambda: number
  private readonly noise: number
  private readonly gens: Generator[]
  private readonly discs: Discriminator[]
  /** Per target modality: the AutoFusion of the other modalities (null with a single modality). */
  private readonly reals: (AutoFusionCore | null)[]
  private readonly ff1: Linear
  private readonly ff2: Linear
  constructor(scope: Scope, opts: FusionOptions) {
    super(scope, opts)
    this.lambda = opts.ganLambda ?? 0.1
    this.noise = opts.ganNoise ?? 0.01
    const L = opts.latentDim
    const H = opts.ganHidden ?? L
    const n = opts.modalities.length
    this.gens = opts.modalities.map((m) => new Generator(scope.sub(`G_${m}`), L))
    this.discs = opts.modalities.map((m) => new Discriminator(scope.sub(`D_${m}`), L, H))
    this.reals = opts.modalities.map((m) =>
      n > 1 ? new AutoFusionCore(scope.sub(`real_${m}`), (n - 1) * L, L) : null,
    )
    const h = Math.max(1, Math.round((n * L) / 2))
    this.ff1 = new Linear(scope.sub('ff1'), n * L, h)
    this.ff2 = new Linear(scope.sub('ff2'), h, opts.outputDim)
  }

  private withNoise(z: Tensor, training: boolean): Tensor {
    if (!training || this.noise <= 0) return z
    const tf = tfm()
    const rng = this.scope.rng
    const n = z.size
    const data = new Float32Array(n)
    for (let i = 0; i < n; i++) data[i] = rng.normal() * this.noise
    return z.add(tf.tensor(data, z.shape))
  }

  /** G_m(z_m + noise) for every target. */
  private generated(zs: Tensor[], training: boolean): Tensor[] {
    return zs.map((z, i) => this.gens[i]!.apply(this.withNoise(z, training), training))
  }

  /** z_tr for each target (the AutoFusion of the others) and the summed J_tr. */
  private realSamples(zs: Tensor[]): { reals: (Tensor | null)[]; jtr: TF.Scalar } {
    const tf = tfm()
    let jtr: TF.Scalar = tf.scalar(0)
    const reals = zs.map((_, i) => {
      const core = this.reals[i]
      if (!core) return null
      const others = zs.filter((__, j) => j !== i)
      const { fused, jtr: j } = core.apply(tf.concat(others, 1))
      jtr = jtr.add(j)
      return fused
    })
    return { reals, jtr }
  }

  apply(inputs: FusionInputs, opts: { training: boolean }): FusionResult {
    const tf = tfm()
    const zs = orderedLatents(inputs, this.modalities)
    const gs = this.generated(zs, opts.training)
    const fused = tf.relu(this.ff2.apply(tf.tanh(this.ff1.apply(tf.concat(gs, 1))))) as TF.Tensor2D
    if (!opts.training) return { fused, auxLoss: null }
    // J_adv for G (fool every D) and J_tr of the real-sample AutoFusions.
    const { jtr } = this.realSamples(zs)
    const adv = this.adversarialForGenerated(gs)
    return { fused, auxLoss: adv.mul(this.lambda).add(jtr) as TF.Scalar }
  }

  private adversarialForGenerated(gs: Tensor[]): TF.Scalar {
    const tf = tfm()
    const targets = gs.map((g, i) => (this.reals[i] ? bceWithLogits(this.discs[i]!.apply(g, true), 1) : null))
    const live = targets.filter((t): t is TF.Scalar => t !== null)
    return live.length ? (tf.addN(live).div(live.length) as TF.Scalar) : tf.scalar(0)
  }

  discriminatorLoss(inputs: FusionInputs, which: 'real' | 'fake'): TF.Scalar {
    const tf = tfm()
    const zs = orderedLatents(inputs, this.modalities)
    if (which === 'real') {
      const { reals, jtr } = this.realSamples(zs)
      const losses = reals
        .map((r, i) => (r ? bceWithLogits(this.discs[i]!.apply(r, true), 1) : null))
        .filter((t): t is TF.Scalar => t !== null)
      if (!losses.length) return tf.scalar(0)
      return tf.addN(losses).div(losses.length).add(jtr) as TF.Scalar
    }
    // Fake: D sees G's output as a fixed input (stop gradient: this stage trains D only).
    const gs = this.generated(zs, true).map((g) => stopGradient(g))
    const losses = gs
      .map((g, i) => (this.reals[i] ? bceWithLogits(this.discs[i]!.apply(g, true), 0) : null))
      .filter((t): t is TF.Scalar => t !== null)
    return losses.length ? (tf.addN(losses).div(losses.length) as TF.Scalar) : tf.scalar(0)
  }

  generatorLoss(inputs: FusionInputs): TF.Scalar {
    const zs = orderedLatents(inputs, this.modalities)
    return this.adversarialForGenerated(this.generated(zs, true))
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
