/**
 * The one optimiser of every training loop (emotion, translation, translation fine-tuning). Owns:
 * Adam / AdamW with explicit, checkpointable state (first and second moments per variable, update
 * counts), clipping of the gradients by their global L2 norm, and the export/import of that state
 * under the caller's logical variable names (tfjs names differ between processes).
 *
 * Two forms of Adam's bias correction, each kept numerically identical to what its task trained
 * with:
 *  - 'moments' (emotion): m̂ = m/(1-β1^t), v̂ = v/(1-β2^t), step m̂/(√v̂+ε), with t counted per
 *    variable (GAN-Fusion's stages each update a different subset; a variable's count follows it);
 *  - 'rate' (translation): Kingma & Ba §2's folded step size lr·√(1-β2^t)/(1-β1^t) applied to
 *    m/(√v+ε), with t the optimiser's update count (as tf.train.adam).
 *
 * Why our own Adam rather than tf.train.adam: resume needs the moments saved and restored by name
 * and the learning rate changes every step.
 */
import type * as TF from '@tensorflow/tfjs'
import { tfm } from '../../fusion/nn'
import type { NamedTensor } from './tensor-file'

export interface AdamOptions {
  beta1?: number
  beta2?: number
  epsilon?: number
  /** Decoupled weight decay (AdamW) on variables of rank > 1; 0 = plain Adam ('moments' form only). */
  weightDecay?: number
  /** Clip the global gradient norm of each update to this value (0 = no clipping). */
  clipNorm?: number
  /** Bias-correction form (see the module comment); default 'moments'. */
  form?: 'moments' | 'rate'
}

/** The optimiser's state in the one resumable-state format (training/state.ts). */
export interface AdamState {
  /** Updates made (apply calls). */
  step: number
  /** Per variable (logical name): updates that touched it ('moments' form). */
  steps?: Record<string, number>
  /** `m/<name>` and `v/<name>` per variable. */
  tensors: NamedTensor[]
}

/**
 * Scales gradients so their global L2 norm is at most maxNorm, summing the squares in `order`
 * (the norm is then the same float whatever order the caller's map has). Returns a new map (scaled
 * tensors are new: the caller disposes them and its own) and the norm before clipping.
 */
export function clipByGlobalNorm(
  grads: Record<string, TF.Tensor>,
  maxNorm: number,
  order: string[] = Object.keys(grads),
): { grads: Record<string, TF.Tensor>; norm: number } {
  const tf = tfm()
  const keys = order.filter((k) => grads[k])
  if (!keys.length) return { grads, norm: 0 }
  const norm = Math.sqrt(tf.tidy(() => tf.addN(keys.map((k) => grads[k]!.square().sum())).dataSync()[0]!))
  if (!(maxNorm > 0) || norm <= maxNorm || !Number.isFinite(norm)) return { grads, norm }
  const scale = maxNorm / norm
  const out: Record<string, TF.Tensor> = { ...grads }
  for (const k of keys) out[k] = grads[k]!.mul(scale)
  return { grads: out, norm }
}

export class Adam {
  /** Updates made (apply calls). */
  step = 0
  private readonly m = new Map<string, TF.Variable>()
  private readonly v = new Map<string, TF.Variable>()
  private readonly steps = new Map<string, number>()
  readonly beta1: number
  readonly beta2: number
  readonly epsilon: number
  readonly weightDecay: number
  readonly clipNorm: number
  readonly form: 'moments' | 'rate'

  constructor(opts: AdamOptions = {}) {
    this.beta1 = opts.beta1 ?? 0.9
    this.beta2 = opts.beta2 ?? 0.999
    this.epsilon = opts.epsilon ?? 1e-8
    this.weightDecay = opts.weightDecay ?? 0
    this.clipNorm = opts.clipNorm ?? 0
    this.form = opts.form ?? 'moments'
    if (this.form === 'rate' && this.weightDecay > 0)
      throw new Error("weight decay is implemented for Adam's 'moments' form only")
  }

  /**
   * One update of each variable of `vars` that has a gradient (grads keyed by tfjs variable name,
   * as tf.variableGrads returns them), after clipping their global norm (summed in `vars` order).
   * Does not dispose `grads`. Returns the norm before clipping.
   */
  apply(vars: TF.Variable[], grads: Record<string, TF.Tensor>, lr: number): number {
    const tf = tfm()
    this.step++
    const present = vars.filter((v) => grads[v.name])
    const clipped = clipByGlobalNorm(
      grads,
      this.clipNorm,
      present.map((v) => v.name),
    )
    try {
      for (const variable of present) this.update(tf, variable, clipped.grads[variable.name]!, lr)
    } finally {
      for (const k of Object.keys(clipped.grads))
        if (clipped.grads[k] !== grads[k]) clipped.grads[k]!.dispose()
    }
    return clipped.norm
  }

  /**
   * Creates zero moments for these variables now (in this order) rather than at their first
   * update, so the saved state covers them even if they never get a gradient.
   */
  track(vars: TF.Variable[]): void {
    const tf = tfm()
    for (const variable of vars) {
      if (this.m.has(variable.name)) continue
      // The zerosLike tensors are intermediates: tidy disposes them, the variables stay.
      this.m.set(
        variable.name,
        tf.tidy(() => tf.variable(tf.zerosLike(variable), false)),
      )
      this.v.set(
        variable.name,
        tf.tidy(() => tf.variable(tf.zerosLike(variable), false)),
      )
      this.steps.set(variable.name, 0)
    }
  }

  private update(tf: typeof TF, variable: TF.Variable, g: TF.Tensor, lr: number): void {
    const key = variable.name
    if (!this.m.has(key)) this.track([variable])
    const t = (this.steps.get(key) ?? 0) + 1
    this.steps.set(key, t)
    const m = this.m.get(key)!
    const v = this.v.get(key)!
    const { beta1: b1, beta2: b2, epsilon: eps } = this
    tf.tidy(() => {
      const mNew = m.mul(b1).add(g.mul(1 - b1))
      const vNew = v.mul(b2).add(g.square().mul(1 - b2))
      m.assign(mNew)
      v.assign(vNew)
      if (this.form === 'rate') {
        const s = this.step
        const lrT = (lr * Math.sqrt(1 - Math.pow(b2, s))) / (1 - Math.pow(b1, s))
        variable.assign(variable.sub(mNew.mul(lrT).div(vNew.sqrt().add(eps))))
        return
      }
      const mHat = mNew.div(1 - b1 ** t)
      const vHat = vNew.div(1 - b2 ** t)
      let upd = mHat.div(vHat.sqrt().add(eps))
      if (this.weightDecay > 0 && variable.rank > 1) upd = upd.add(variable.mul(this.weightDecay))
      variable.assign(variable.sub(upd.mul(lr)))
    })
  }

  /** The state under logical names; `nameOf` maps a tfjs variable name to its logical name. */
  exportState(nameOf: (tfName: string) => string | undefined): AdamState {
    const ms: NamedTensor[] = []
    const vs: NamedTensor[] = []
    const steps: Record<string, number> = {}
    for (const [key, m] of this.m) {
      const name = nameOf(key)
      if (!name) continue
      steps[name] = this.steps.get(key)!
      ms.push({ name: `m/${name}`, shape: m.shape, data: m.dataSync() as Float32Array })
      vs.push({ name: `v/${name}`, shape: m.shape, data: this.v.get(key)!.dataSync() as Float32Array })
    }
    // Per-variable counts only matter to the 'moments' form.
    return { step: this.step, ...(this.form === 'moments' ? { steps } : {}), tensors: [...ms, ...vs] }
  }

  /**
   * Restores a state saved by exportState. `variableOf` maps a logical name to the model's
   * variable (shapes are checked). Without per-variable counts (states of the 'rate' form made
   * before the one core) every variable's count is the optimiser's.
   */
  importState(state: AdamState, variableOf: (logical: string) => TF.Variable | undefined): void {
    const tf = tfm()
    this.dispose()
    const byName = new Map(state.tensors.map((t) => [t.name, t]))
    for (const t of state.tensors) {
      if (!t.name.startsWith('m/')) continue
      const name = t.name.slice(2)
      const variable = variableOf(name)
      if (!variable) throw new Error(`optimizer state names a variable the model does not have: ${name}`)
      const v = byName.get(`v/${name}`)
      if (!v) throw new Error(`optimizer state is missing "v/${name}"`)
      for (const s of [t, v])
        if (s.shape.join('x') !== variable.shape.join('x'))
          throw new Error(`optimizer state "${s.name}" has shape [${s.shape}], expected [${variable.shape}]`)
      this.m.set(
        variable.name,
        tf.tidy(() => tf.variable(tf.tensor(t.data, t.shape), false)),
      )
      this.v.set(
        variable.name,
        tf.tidy(() => tf.variable(tf.tensor(v.data, v.shape), false)),
      )
      this.steps.set(variable.name, state.steps?.[name] ?? state.step)
    }
    this.step = state.step
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose()
    this.m.clear()
    this.v.clear()
    this.steps.clear()
  }
}
