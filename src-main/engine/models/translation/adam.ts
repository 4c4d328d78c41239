/**
 * Adam with global-norm gradient clipping whose whole state (moments + step) is a set of named
 * tensors, so a training run can be checkpointed and resumed bit-for-bit. Owns only the update
 * rule; the learning-rate schedule is passed in per step.
 *
 * Why not tf.train.adam: its slot variables are anonymous and cannot be matched back to model
 * weights by name after a restart; here moments are keyed by the model's variable names.
 */
import type * as TF from '@tensorflow/tfjs'

export interface AdamOptions {
  beta1?: number
  beta2?: number
  epsilon?: number
  /** Clip the global gradient norm to this value (0 = no clipping). */
  clipNorm?: number
}

export class Adam {
  step = 0
  readonly m = new Map<string, TF.Variable>()
  readonly v = new Map<string, TF.Variable>()
  private readonly b1: number
  private readonly b2: number
  private readonly eps: number
  private readonly clip: number

  constructor(
    private readonly tf: typeof TF,
    private readonly params: Map<string, TF.Variable>,
    opts: AdamOptions = {},
  ) {
    this.b1 = opts.beta1 ?? 0.9
    this.b2 = opts.beta2 ?? 0.98
    this.eps = opts.epsilon ?? 1e-9
    this.clip = opts.clipNorm ?? 1
    for (const [name, p] of params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false))
      this.v.set(name, tf.variable(tf.zerosLike(p), false))
    }
  }

  /**
   * Applies one update from gradients keyed by tfjs variable name (as tf.variableGrads returns
   * them). Parameters without a gradient (unused this step) are left untouched.
   * @returns the global gradient norm before clipping.
   */
  apply(grads: Record<string, TF.Tensor>, lr: number): number {
    const tf = this.tf
    this.step++
    const t = this.step
    return tf.tidy(() => {
      const present = [...this.params.entries()].filter(([, p]) => grads[p.name])
      const sq = present.map(([, p]) => grads[p.name]!.square().sum())
      const norm = Math.sqrt(sq.length ? tf.addN(sq).dataSync()[0]! : 0)
      const scale = this.clip > 0 && norm > this.clip ? this.clip / norm : 1
      const lrT = (lr * Math.sqrt(1 - Math.pow(this.b2, t))) / (1 - Math.pow(this.b1, t))
      for (const [name, p] of present) {
        const g = scale === 1 ? grads[p.name]! : grads[p.name]!.mul(scale)
        const m = this.m.get(name)!
        const v = this.v.get(name)!
        const m2 = m.mul(this.b1).add(g.mul(1 - this.b1))
        const v2 = v.mul(this.b2).add(g.square().mul(1 - this.b2))
        m.assign(m2)
        v.assign(v2)
        p.assign(p.sub(m2.mul(lrT).div(v2.sqrt().add(this.eps))))
      }
      return norm
    })
  }

  /** Moments as named tensors (for checkpoints): `m/<name>`, `v/<name>`. */
  stateTensors(): Map<string, TF.Tensor> {
    const out = new Map<string, TF.Tensor>()
    for (const [k, t] of this.m) out.set('m/' + k, t)
    for (const [k, t] of this.v) out.set('v/' + k, t)
    return out
  }

  /** Restores moments saved by stateTensors(); shapes must match. */
  loadState(step: number, tensors: Map<string, TF.Tensor>): void {
    for (const [prefix, map] of [
      ['m/', this.m],
      ['v/', this.v],
    ] as const) {
      for (const [k, variable] of map) {
        const t = tensors.get(prefix + k)
        if (!t) throw new Error(`optimizer state is missing "${prefix + k}"`)
        if (t.shape.join('x') !== variable.shape.join('x'))
          throw new Error(
            `optimizer state "${prefix + k}" has shape [${t.shape}], expected [${variable.shape}]`,
          )
        variable.assign(t)
      }
    }
    this.step = step
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose()
  }
}
