/**
 * Optimisation pieces of the training loop. Owns: Adam with explicit, checkpointable state (first
 * and second moments per variable, step count), gradient clipping by global norm, and the
 * learning-rate schedule (linear warm-up, then cosine decay to a floor).
 *
 * Why our own Adam rather than tf.train.adam: resume needs the moments saved and restored by name,
 * the learning rate changes every step, and GAN-Fusion's stages each update a different subset of
 * variables (a variable's moments must follow it, whichever stage touches it).
 */
import type * as TF from '@tensorflow/tfjs'
import { tfm } from '../fusion/nn'

export interface AdamOptions {
  beta1?: number
  beta2?: number
  epsilon?: number
  /** Decoupled weight decay (AdamW); 0 = plain Adam. */
  weightDecay?: number
}

export class Adam {
  private readonly m = new Map<string, TF.Variable>()
  private readonly v = new Map<string, TF.Variable>()
  private readonly steps = new Map<string, number>()
  readonly beta1: number
  readonly beta2: number
  readonly epsilon: number
  readonly weightDecay: number
  constructor(opts: AdamOptions = {}) {
    this.beta1 = opts.beta1 ?? 0.9
    this.beta2 = opts.beta2 ?? 0.999
    this.epsilon = opts.epsilon ?? 1e-8
    this.weightDecay = opts.weightDecay ?? 0
  }

  /** Applies one update to each variable that has a gradient (grads keyed by variable.name). */
  apply(vars: TF.Variable[], grads: Record<string, TF.Tensor>, lr: number): void {
    const tf = tfm()
    for (const variable of vars) {
      const g = grads[variable.name]
      if (!g) continue
      const key = variable.name
      if (!this.m.has(key)) {
        // The zerosLike tensors are intermediates: tidy disposes them, the variables stay.
        this.m.set(
          key,
          tf.tidy(() => tf.variable(tf.zerosLike(variable), false)),
        )
        this.v.set(
          key,
          tf.tidy(() => tf.variable(tf.zerosLike(variable), false)),
        )
        this.steps.set(key, 0)
      }
      const t = this.steps.get(key)! + 1
      this.steps.set(key, t)
      const m = this.m.get(key)!
      const v = this.v.get(key)!
      tf.tidy(() => {
        const mNew = m.mul(this.beta1).add(g.mul(1 - this.beta1))
        const vNew = v.mul(this.beta2).add(g.square().mul(1 - this.beta2))
        m.assign(mNew)
        v.assign(vNew)
        const mHat = mNew.div(1 - this.beta1 ** t)
        const vHat = vNew.div(1 - this.beta2 ** t)
        let upd = mHat.div(vHat.sqrt().add(this.epsilon))
        if (this.weightDecay > 0 && variable.rank > 1) upd = upd.add(variable.mul(this.weightDecay))
        variable.assign(variable.sub(upd.mul(lr)))
      })
    }
  }

  /**
   * State for a checkpoint, keyed by the caller's logical variable names (tfjs names differ
   * between processes). `nameOf` maps a tfjs variable name to its logical name.
   */
  exportState(
    nameOf: (tfName: string) => string | undefined,
  ): { name: string; step: number; m: Float32Array; v: Float32Array; shape: number[] }[] {
    const out = []
    for (const [key, m] of this.m) {
      const name = nameOf(key)
      if (!name) continue
      out.push({
        name,
        step: this.steps.get(key)!,
        m: m.dataSync() as Float32Array,
        v: this.v.get(key)!.dataSync() as Float32Array,
        shape: m.shape,
      })
    }
    return out
  }

  importState(
    state: { name: string; step: number; m: Float32Array; v: Float32Array; shape: number[] }[],
    tfNameOf: (logical: string) => string | undefined,
  ): void {
    const tf = tfm()
    this.dispose()
    for (const s of state) {
      const key = tfNameOf(s.name)
      if (!key) throw new Error(`optimizer state names a variable the model does not have: ${s.name}`)
      this.m.set(
        key,
        tf.tidy(() => tf.variable(tf.tensor(s.m, s.shape), false)),
      )
      this.v.set(
        key,
        tf.tidy(() => tf.variable(tf.tensor(s.v, s.shape), false)),
      )
      this.steps.set(key, s.step)
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose()
    this.m.clear()
    this.v.clear()
    this.steps.clear()
  }
}

/**
 * Scales gradients so their global L2 norm is at most maxNorm. Returns the new gradient map (the
 * input tensors are disposed when replaced) and the norm before clipping.
 */
export function clipByGlobalNorm(
  grads: Record<string, TF.Tensor>,
  maxNorm: number,
): { grads: Record<string, TF.Tensor>; norm: number } {
  const tf = tfm()
  const keys = Object.keys(grads)
  if (!keys.length) return { grads, norm: 0 }
  const norm = Math.sqrt(tf.tidy(() => tf.addN(keys.map((k) => grads[k]!.square().sum())).dataSync()[0]!))
  if (!(maxNorm > 0) || norm <= maxNorm || !Number.isFinite(norm)) return { grads, norm }
  const scale = maxNorm / norm
  const out: Record<string, TF.Tensor> = {}
  for (const k of keys) {
    out[k] = grads[k]!.mul(scale)
    grads[k]!.dispose()
  }
  return { grads: out, norm }
}

export interface LrSchedule {
  /** Peak learning rate. */
  lr: number
  /** Steps of linear warm-up from lr/10. */
  warmupSteps: number
  /** Total steps the cosine decay spans. */
  totalSteps: number
  /** Final learning rate as a fraction of the peak. */
  floor: number
}

export function learningRateAt(s: LrSchedule, step: number): number {
  if (step < s.warmupSteps) return s.lr * (0.1 + (0.9 * step) / Math.max(1, s.warmupSteps))
  const p = Math.min(1, (step - s.warmupSteps) / Math.max(1, s.totalSteps - s.warmupSteps))
  return s.lr * (s.floor + (1 - s.floor) * 0.5 * (1 + Math.cos(Math.PI * p)))
}
