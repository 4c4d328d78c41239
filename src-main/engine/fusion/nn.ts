/**
 * Minimal neural-network building blocks for the fusion library and the models. Owns: the
 * parameter store (named variables, so checkpoints are keyed by stable logical names), a seeded
 * random source (reproducible initialisation, dropout and modality dropout), and the layers the
 * fusion methods are defined with (Linear, BatchNorm, LayerNorm, GRU, dropout).
 *
 * Why not tf.layers: we need explicit control over which variables each GAN stage updates, over
 * the matMul used in backprop (the wasm-fast one from tf-ops.ts), and over names that are stable
 * across processes (tfjs variable names must be globally unique, logical names need not be).
 */
import { createRequire } from 'node:module'
import type * as TF from '@tensorflow/tfjs'
import { dense, matMul } from '../core/tf-ops'

const require = createRequire(import.meta.url)
let tfInstance: typeof TF | null = null

/** The engine's single tfjs module (same object `getTf()` resolves; call getTf() first to pick the backend). */
export function tfm(): typeof TF {
  tfInstance ??= require('@tensorflow/tfjs') as typeof TF
  return tfInstance
}

type Tensor = TF.Tensor
type Variable = TF.Variable

// ---------------------------------------------------------------- seeded randomness

/** mulberry32: small, fast, good enough for initialisation and dropout masks; fully reproducible. */
export class Rng {
  private state: number
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = Math.max(this.next(), 1e-12)
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next())
  }
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  /** Fisher–Yates shuffle in place. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = a[i]!
      a[i] = a[j]!
      a[j] = t
    }
    return a
  }
  /** The generator's position, for checkpoint + resume. */
  getState(): number {
    return this.state
  }
  setState(s: number): void {
    this.state = s >>> 0
  }
}

// ---------------------------------------------------------------- parameter store

let storeCounter = 0

export interface ParamEntry {
  /** Logical name, e.g. "fusion/compress1/w": stable across processes, used in checkpoints. */
  name: string
  variable: Variable
  trainable: boolean
}

/**
 * Owns every variable of one model. `scope(prefix)` gives sub-modules their own namespace; the
 * tfjs-level variable names get a per-store unique prefix so two models can coexist in a process.
 */
export class ParamStore {
  private readonly entries = new Map<string, ParamEntry>()
  private readonly uid = `m${++storeCounter}`
  readonly rng: Rng

  constructor(seed = 1) {
    this.rng = new Rng(seed)
  }

  add(name: string, init: Tensor, trainable = true): Variable {
    if (this.entries.has(name)) throw new Error(`parameter ${name} is defined twice`)
    const v = tfm().variable(init, trainable, `${this.uid}/${name}`)
    init.dispose()
    this.entries.set(name, { name, variable: v, trainable })
    return v
  }

  get(name: string): Variable {
    const e = this.entries.get(name)
    if (!e) throw new Error(`no parameter ${name}`)
    return e.variable
  }

  /** All entries (optionally only those under a prefix), in definition order. */
  list(prefix = ''): ParamEntry[] {
    return [...this.entries.values()].filter((e) => e.name.startsWith(prefix))
  }

  trainable(prefix = ''): Variable[] {
    return this.list(prefix)
      .filter((e) => e.trainable)
      .map((e) => e.variable)
  }

  state(prefix = ''): Variable[] {
    return this.list(prefix)
      .filter((e) => !e.trainable)
      .map((e) => e.variable)
  }

  /** Total number of scalar parameters (trainable only by default). */
  count(prefix = '', trainableOnly = true): number {
    return this.list(prefix)
      .filter((e) => e.trainable || !trainableOnly)
      .reduce((s, e) => s + e.variable.size, 0)
  }

  scope(prefix: string): Scope {
    return new Scope(this, prefix)
  }

  dispose(): void {
    for (const e of this.entries.values()) e.variable.dispose()
    this.entries.clear()
  }

  // ---- initialisers (seeded: same seed, same weights)

  glorot(shape: number[], fanIn: number, fanOut: number): Tensor {
    const limit = Math.sqrt(6 / (fanIn + fanOut))
    const n = shape.reduce((a, b) => a * b, 1)
    const data = new Float32Array(n)
    for (let i = 0; i < n; i++) data[i] = (this.rng.next() * 2 - 1) * limit
    return tfm().tensor(data, shape)
  }

  normalInit(shape: number[], std: number): Tensor {
    const n = shape.reduce((a, b) => a * b, 1)
    const data = new Float32Array(n)
    for (let i = 0; i < n; i++) data[i] = this.rng.normal() * std
    return tfm().tensor(data, shape)
  }
}

/** A prefix inside a ParamStore. */
export class Scope {
  constructor(
    readonly store: ParamStore,
    readonly prefix: string,
  ) {}
  name(local: string): string {
    return this.prefix ? `${this.prefix}/${local}` : local
  }
  sub(local: string): Scope {
    return new Scope(this.store, this.name(local))
  }
  add(local: string, init: Tensor, trainable = true): Variable {
    return this.store.add(this.name(local), init, trainable)
  }
  trainable(): Variable[] {
    return this.store.trainable(this.prefix ? this.prefix + '/' : '')
  }
  state(): Variable[] {
    return this.store.state(this.prefix ? this.prefix + '/' : '')
  }
  get rng(): Rng {
    return this.store.rng
  }
}

// ---------------------------------------------------------------- layers

/** y = x·W + b over the last axis (the wasm-fast matMul from tf-ops.ts). */
export class Linear {
  readonly w: Variable
  readonly b: Variable | null
  constructor(
    scope: Scope,
    readonly inDim: number,
    readonly outDim: number,
    opts: { bias?: boolean } = {},
  ) {
    this.w = scope.add('w', scope.store.glorot([inDim, outDim], inDim, outDim))
    this.b = opts.bias === false ? null : scope.add('b', tfm().zeros([outDim]))
  }
  apply(x: Tensor): Tensor {
    return dense(x, this.w, this.b)
  }
}

/**
 * BatchNorm over the feature axis of [B, D]. Training uses batch statistics and updates the
 * moving averages in place (not part of any gradient); inference uses the moving averages.
 * A batch of one row falls back to the moving statistics (a 1-row variance is meaningless).
 */
export class BatchNorm {
  readonly gamma: Variable
  readonly beta: Variable
  readonly movingMean: Variable
  readonly movingVar: Variable
  constructor(
    scope: Scope,
    readonly dim: number,
    readonly momentum = 0.9,
    readonly eps = 1e-5,
  ) {
    const tf = tfm()
    this.gamma = scope.add('gamma', tf.ones([dim]))
    this.beta = scope.add('beta', tf.zeros([dim]))
    this.movingMean = scope.add('moving_mean', tf.zeros([dim]), false)
    this.movingVar = scope.add('moving_var', tf.ones([dim]), false)
  }
  apply(x: Tensor, training: boolean): Tensor {
    const tf = tfm()
    if (training && x.shape[0]! > 1) {
      const { mean, variance } = tf.moments(x, 0)
      const m = this.momentum
      // Moving statistics: updated outside of any gradient (assign is not recorded on the tape).
      this.movingMean.assign(tf.tidy(() => this.movingMean.mul(m).add(mean.mul(1 - m))))
      this.movingVar.assign(tf.tidy(() => this.movingVar.mul(m).add(variance.mul(1 - m))))
      return x.sub(mean).div(variance.add(this.eps).sqrt()).mul(this.gamma).add(this.beta)
    }
    return x.sub(this.movingMean).div(this.movingVar.add(this.eps).sqrt()).mul(this.gamma).add(this.beta)
  }
}

/** LayerNorm over the last axis. */
export class LayerNorm {
  readonly gamma: Variable
  readonly beta: Variable
  constructor(
    scope: Scope,
    readonly dim: number,
    readonly eps = 1e-5,
  ) {
    this.gamma = scope.add('gamma', tfm().ones([dim]))
    this.beta = scope.add('beta', tfm().zeros([dim]))
  }
  apply(x: Tensor): Tensor {
    const tf = tfm()
    const { mean, variance } = tf.moments(x, -1, true)
    return x.sub(mean).div(variance.add(this.eps).sqrt()).mul(this.gamma).add(this.beta)
  }
}

let stopGradFn: ((x: Tensor) => Tensor) | null = null

/** Identity forward, zero gradient backward (tfjs has no stopGradient op). */
export function stopGradient(x: Tensor): Tensor {
  const tf = tfm()
  stopGradFn ??= tf.customGrad(((t: Tensor) => ({
    value: t.clone(),
    gradFunc: (dy: Tensor) => tf.zerosLike(dy),
  })) as unknown as Parameters<typeof TF.customGrad>[0]) as unknown as (x: Tensor) => Tensor
  return stopGradFn(x)
}

/** Leaky ReLU with slope 0.2 (the GAN-Fusion G and D activation). */
export function leakyRelu(x: Tensor, alpha = 0.2): Tensor {
  return tfm().leakyRelu(x, alpha)
}

/**
 * Inverted dropout with a seeded mask (reproducible). No-op when not training or rate is 0.
 * `noiseShape` lets callers share a mask across an axis (e.g. one mask per row of a sequence).
 */
export function dropout(x: Tensor, rate: number, rng: Rng, training: boolean, noiseShape?: number[]): Tensor {
  if (!training || rate <= 0) return x
  const tf = tfm()
  const shape = noiseShape ?? x.shape
  const n = shape.reduce((a, b) => a * b, 1)
  const keep = 1 - rate
  const data = new Float32Array(n)
  for (let i = 0; i < n; i++) data[i] = rng.next() < keep ? 1 / keep : 0
  return x.mul(tf.tensor(data, shape))
}

/**
 * [B, T, D] → T × [B, D]. tfjs's unstack has no usable gradient when T is 1 (its backward pass
 * stacks a missing gradient), so a single step is a reshape instead.
 */
function timeSteps(x: Tensor): Tensor[] {
  const [B, T, D] = x.shape as [number, number, number]
  return T === 1 ? [x.reshape([B, D])] : tfm().unstack(x, 1)
}

/**
 * A GRU layer over [B, T, D] with a frame mask [B, T] (1 = real frame). Padded steps keep the
 * previous state, so right-padded batches give the same final state as unpadded ones; `reverse`
 * runs right-to-left (for the backward half of a BiGRU). Returns all states [B, T, H].
 * Input projections for all steps are computed in one matMul (the fast path on wasm).
 */
export class Gru {
  readonly wx: Variable
  readonly wh: Variable
  readonly b: Variable
  constructor(
    scope: Scope,
    readonly inDim: number,
    readonly hidden: number,
  ) {
    const tf = tfm()
    this.wx = scope.add('wx', scope.store.glorot([inDim, 3 * hidden], inDim, 3 * hidden))
    this.wh = scope.add('wh', scope.store.glorot([hidden, 3 * hidden], hidden, 3 * hidden))
    this.b = scope.add('b', tf.zeros([3 * hidden]))
  }
  apply(x: Tensor, mask: Tensor, reverse = false): Tensor {
    const tf = tfm()
    const [B, T] = x.shape as [number, number, number]
    const H = this.hidden
    const xp = dense(x, this.wx, this.b) // [B, T, 3H]
    const xs = timeSteps(xp) // T × [B, 3H]
    const ms = timeSteps(mask.reshape([B, T, 1])) // T × [B, 1]
    let h: Tensor = tf.zeros([B, H])
    const out: Tensor[] = new Array<Tensor>(T)
    const whZR = this.wh.slice([0, 0], [H, 2 * H])
    const whN = this.wh.slice([0, 2 * H], [H, H])
    for (let k = 0; k < T; k++) {
      const t = reverse ? T - 1 - k : k
      const xt = xs[t]!
      const zr = tf.sigmoid(xt.slice([0, 0], [B, 2 * H]).add(matMul(h, whZR)))
      const z = zr.slice([0, 0], [B, H])
      const r = zr.slice([0, H], [B, H])
      const n = tf.tanh(xt.slice([0, 2 * H], [B, H]).add(matMul(r.mul(h), whN)))
      const hNew = tf.sub(1, z).mul(n).add(z.mul(h))
      const m = ms[t]!
      h = hNew.mul(m).add(h.mul(tf.sub(1, m)))
      out[t] = h
    }
    return tf.stack(out, 1)
  }
}

/** Masked mean and max over axis 1 of [B, T, D] with mask [B, T] → [B, 2D]. Rows with no frames give zeros. */
export function meanMaxPool(x: Tensor, mask: Tensor): Tensor {
  const tf = tfm()
  const [B, T] = x.shape as [number, number, number]
  const m = mask.reshape([B, T, 1])
  const count = tf.maximum(m.sum(1), 1)
  const mean = x.mul(m).sum(1).div(count)
  // Max over real frames only: push padded frames far below, then zero rows that had none.
  const max = x.add(tf.sub(1, m).mul(-1e4)).max(1)
  const any = tf.minimum(m.sum(1), 1)
  return tf.concat([mean, max.mul(any)], 1)
}
