/**
 * The Transformer encoder–decoder of the translation network (pre-LayerNorm, shared BPE vocabulary
 * with tied source/target/output embeddings, sinusoidal positions). Owns: the non-fusion variables
 * and their checkpoint names and initial values, the layers (LayerNorm, multi-head attention,
 * feed-forward), the encoder stack, the decoder (teacher-forced and incremental with a cache) and
 * the output logits. TranslationModel (model.ts) adds the modality latents and the fusion.
 */
import type * as TF from '@tensorflow/tfjs'
import { dense, embeddingLookup, matMul, swapLast2 } from '../../core/tf-ops'
import type { TranslationConfig } from './model-config'

/** Per-row incremental decoding state (see TranslationModel.initCache). */
export interface DecodeCache {
  /**
   * Per decoder layer, the projected memory keys and values of each row (rows of one source share
   * theirs), split into heads once: keys [rows·h, dk, S] (transposed for the product), values
   * [rows·h, S, dk].
   */
  memK: TF.Tensor[]
  memV: TF.Tensor[]
  selfK: TF.Tensor[]
  selfV: TF.Tensor[]
  memBias: TF.Tensor
  fz: TF.Tensor
  /** Number of tokens already fed. */
  t: number
  /** The per-source memory (one row per encoded source) the row tensors above are taken from. */
  base: { memK: TF.Tensor[]; memV: TF.Tensor[]; memBias: TF.Tensor; fz: TF.Tensor }
  /** For each row, the source (row of `base`) it decodes. */
  rowSource: number[]
  /**
   * The transposed output embedding [d, V], made once per cache: a product with the same tensor
   * every step lets the wasm backend pack its weights once instead of transposing and packing
   * them at every step (the same numbers either way).
   */
  embT: TF.Tensor
  /** Added to the logits by the output product itself (e.g. −1e9 on tokens that may never be output). */
  logitBias: TF.Tensor | null
}

/** Every non-fusion variable's shape, by name (the fusion module's come from its ParamStore). */
export function translationShapes(c: TranslationConfig): Record<string, number[]> {
  const d = c.dModel
  const s: Record<string, number[]> = { emb: [c.vocabSize, d] }
  const ln = (p: string): void => {
    s[p + '.g'] = [d]
    s[p + '.b'] = [d]
  }
  const lin = (p: string, i: number, o: number): void => {
    s[p + '.w'] = [i, o]
    s[p + '.b'] = [o]
  }
  // Self-attention (pre-norm) and the norm + feed-forward block, shared by encoder and decoder layers.
  const selfAttention = (p: string): void => {
    ln(p + '.ln1')
    lin(p + '.qkv', d, 3 * d)
    lin(p + '.o', d, d)
  }
  const feedForward = (p: string, norm: string): void => {
    ln(p + norm)
    lin(p + '.ff1', d, c.ffDim)
    lin(p + '.ff2', c.ffDim, d)
  }
  for (let l = 0; l < c.encLayers; l++) {
    selfAttention(`enc.${l}`)
    feedForward(`enc.${l}`, '.ln2')
  }
  ln('enc.lnf')
  for (let l = 0; l < c.decLayers; l++) {
    const p = `dec.${l}`
    selfAttention(p)
    ln(p + '.ln2')
    lin(p + '.xq', d, d)
    lin(p + '.xkv', d, 2 * d)
    lin(p + '.xo', d, d)
    feedForward(p, '.ln3')
  }
  ln('dec.lnf')
  lin('lat.text', d, c.latentDim)
  lin('lat.audio', c.audioDim, c.latentDim)
  s['lat.audio.absent'] = [c.latentDim]
  lin('lat.visual', c.visualDim, c.latentDim)
  s['lat.visual.absent'] = [c.latentDim]
  lin('fuse.proj', c.fusedDim, d)
  return s
}

/** Deterministic initial values: Glorot-uniform matrices, zero biases, unit LayerNorm gains. */
function initialValue(tf: typeof TF, name: string, shape: number[], seed: number): TF.Tensor {
  if (name.endsWith('.g')) return tf.ones(shape)
  if (name === 'emb') return tf.randomNormal(shape, 0, Math.pow(shape[1]!, -0.5), 'float32', seed)
  if (name.endsWith('.absent')) return tf.randomNormal(shape, 0, 0.1, 'float32', seed)
  if (shape.length === 1) return tf.zeros(shape)
  const limit = Math.sqrt(6 / (shape[0]! + shape[1]!))
  return tf.randomUniform(shape, -limit, limit, 'float32', seed)
}

function hashName(s: string): number {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return h >>> 0
}

// tfjs variable names are global: each model instance gets its own prefix.
let instanceCounter = 0

/** The encoder–decoder without the fusion: TranslationModel (model.ts) extends it. */
export class Transformer {
  readonly vars = new Map<string, TF.Variable>()
  protected readonly pos: TF.Tensor2D
  protected readonly scaleEmb: number

  constructor(
    protected readonly tf: typeof TF,
    readonly config: TranslationConfig,
    opts: { seed?: number; weights?: Map<string, TF.Tensor> } = {},
  ) {
    const shapes = translationShapes(config)
    const seed = opts.seed ?? 1
    const instance = ++instanceCounter
    for (const [name, shape] of Object.entries(shapes)) {
      const given = opts.weights?.get(name)
      if (opts.weights && !given) throw new Error(`checkpoint is missing weight "${name}"`)
      if (given && given.shape.join('x') !== shape.join('x'))
        throw new Error(`weight "${name}" has shape [${given.shape}], the model needs [${shape}]`)
      const init =
        given ?? tf.tidy(() => initialValue(tf, name, shape, (seed * 1000003 + hashName(name)) % 2 ** 31))
      this.vars.set(name, tf.variable(init, true, `translation${instance}/${name}`))
      if (!given) init.dispose()
    }
    this.scaleEmb = Math.sqrt(config.dModel)
    this.pos = tf.tidy(() => {
      const d = config.dModel
      const table = new Float32Array(config.maxLen * d)
      for (let p = 0; p < config.maxLen; p++)
        for (let i = 0; i < d; i += 2) {
          const angle = p / Math.pow(10000, i / d)
          table[p * d + i] = Math.sin(angle)
          if (i + 1 < d) table[p * d + i + 1] = Math.cos(angle)
        }
      return tf.tensor2d(table, [config.maxLen, d])
    })
  }

  protected v(name: string): TF.Variable {
    const x = this.vars.get(name)
    if (!x) throw new Error(`translation model has no variable "${name}"`)
    return x
  }

  /** Every trainable variable (not BatchNorm moving statistics, which `vars` also holds). */
  trainableVariables(): TF.Variable[] {
    return [...this.vars.values()].filter((v) => v.trainable)
  }

  parameterCount(): number {
    let n = 0
    for (const v of this.trainableVariables()) n += v.size
    return n
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose()
    this.pos.dispose()
  }

  protected layerNorm(x: TF.Tensor, p: string): TF.Tensor {
    const tf = this.tf
    const mean = x.mean(-1, true)
    const xc = x.sub(mean)
    const variance = xc.square().mean(-1, true)
    return xc
      .mul(tf.rsqrt(variance.add(1e-5)))
      .mul(this.v(p + '.g'))
      .add(this.v(p + '.b'))
  }

  protected lin(x: TF.Tensor, p: string): TF.Tensor {
    return dense(x, this.v(p + '.w'), this.v(p + '.b'))
  }

  protected drop(x: TF.Tensor, training: boolean): TF.Tensor {
    const r = this.config.dropout
    return training && r > 0 ? this.tf.dropout(x, r) : x
  }

  /** [B, T, d] → [B·h, T, dk] */
  private splitHeads(x: TF.Tensor, b: number, t: number): TF.Tensor {
    const h = this.config.heads
    const dk = this.config.dModel / h
    return x
      .reshape([b, t, h, dk])
      .transpose([0, 2, 1, 3])
      .reshape([b * h, t, dk])
  }

  /**
   * Scaled dot-product attention. q [B, Tq, d], k/v [B, Tk, d]; bias broadcastable to
   * [B, h, Tq, Tk] (0 keep, −1e9 drop).
   */
  private attend(q: TF.Tensor, k: TF.Tensor, v: TF.Tensor, bias: TF.Tensor, training: boolean): TF.Tensor {
    const b = q.shape[0]!
    const tk = k.shape[1]!
    return this.attendHeads(
      q,
      swapLast2(this.splitHeads(k, b, tk)),
      this.splitHeads(v, b, tk),
      bias,
      training,
    )
  }

  /** attend() with keys and values already split into heads: khT [B·h, dk, Tk], vh [B·h, Tk, dk]. */
  private attendHeads(
    q: TF.Tensor,
    khT: TF.Tensor,
    vh: TF.Tensor,
    bias: TF.Tensor,
    training: boolean,
  ): TF.Tensor {
    const tf = this.tf
    const [b, tq] = q.shape as [number, number, number]
    const tk = khT.shape[2]!
    const h = this.config.heads
    const dk = this.config.dModel / h
    const qh = this.splitHeads(q.mul(1 / Math.sqrt(dk)), b, tq)
    const scores = matMul(qh, khT).reshape([b, h, tq, tk]).add(bias)
    let p = tf.softmax(scores).reshape([b * h, tq, tk])
    p = this.drop(p, training)
    const ctx = matMul(p, vh)
    return ctx.reshape([b, h, tq, dk]).transpose([0, 2, 1, 3]).reshape([b, tq, this.config.dModel])
  }

  protected selfAttention(x: TF.Tensor, p: string, bias: TF.Tensor, training: boolean): TF.Tensor {
    const qkv = this.lin(x, p + '.qkv')
    const [q, k, v] = this.tf.split(qkv, 3, -1) as [TF.Tensor, TF.Tensor, TF.Tensor]
    return this.lin(this.attend(q, k, v, bias, training), p + '.o')
  }

  protected embed(ids: TF.Tensor2D): TF.Tensor {
    const t = ids.shape[1]
    if (t > this.config.maxLen)
      throw new Error(`sequence of ${t} tokens exceeds the model's maxLen ${this.config.maxLen}`)
    return embeddingLookup(this.v('emb'), ids)
      .mul(this.scaleEmb)
      .add(this.pos.slice([0, 0], [t, this.config.dModel]))
  }

  /** Key-padding bias [B, 1, 1, T] from a [B, T] 0/1 mask. */
  protected keyBias(mask: TF.Tensor): TF.Tensor {
    const [b, t] = mask.shape as [number, number]
    return this.tf.scalar(1).sub(mask).mul(-1e9).reshape([b, 1, 1, t])
  }

  /** The encoder stack over source ids [B, S]: final states [B, S, d] and the source mask [B, S]. */
  protected encoderStates(src: TF.Tensor2D, training: boolean): { hEnc: TF.Tensor; srcMask: TF.Tensor } {
    const tf = this.tf
    const srcMask = tf.notEqual(src, 0).toFloat()
    const bias = this.keyBias(srcMask)
    let x = this.drop(this.embed(src), training)
    for (let l = 0; l < this.config.encLayers; l++) {
      const p = `enc.${l}`
      x = x.add(this.drop(this.selfAttention(this.layerNorm(x, p + '.ln1'), p, bias, training), training))
      const f = this.lin(tf.relu(this.lin(this.layerNorm(x, p + '.ln2'), p + '.ff1')), p + '.ff2')
      x = x.add(this.drop(f, training))
    }
    const hEnc = this.layerNorm(x, 'enc.lnf')
    return { hEnc, srcMask }
  }

  /** Decoder over target inputs tgtIn [B, T] (starting with <s>) → final states [B, T, d]. */
  decode(
    tgtIn: TF.Tensor2D,
    memory: TF.Tensor,
    memBias: TF.Tensor,
    fz: TF.Tensor,
    training: boolean,
  ): TF.Tensor {
    const tf = this.tf
    const [b, t] = tgtIn.shape
    const d = this.config.dModel
    // Decoder initialised from z_fuse: added to the first (<s>) position's input.
    const firstMask = new Float32Array(t)
    firstMask[0] = 1
    const first = tf.tensor3d(firstMask, [1, t, 1])
    let y = this.embed(tgtIn).add(fz.reshape([b, 1, d]).mul(first))
    y = this.drop(y, training)
    const causal = tf.linalg.bandPart(tf.ones([t, t]), -1, 0)
    const selfBias = tf
      .scalar(1)
      .sub(causal)
      .mul(-1e9)
      .reshape([1, 1, t, t])
      .add(this.keyBias(tf.notEqual(tgtIn, 0).toFloat()))
    for (let l = 0; l < this.config.decLayers; l++) {
      const p = `dec.${l}`
      y = y.add(this.drop(this.selfAttention(this.layerNorm(y, p + '.ln1'), p, selfBias, training), training))
      const q = this.lin(this.layerNorm(y, p + '.ln2'), p + '.xq')
      const kv = this.lin(memory, p + '.xkv')
      const [k, v] = tf.split(kv, 2, -1) as [TF.Tensor, TF.Tensor]
      y = y.add(this.drop(this.lin(this.attend(q, k, v, memBias, training), p + '.xo'), training))
      const f = this.lin(tf.relu(this.lin(this.layerNorm(y, p + '.ln3'), p + '.ff1')), p + '.ff2')
      y = y.add(this.drop(f, training))
    }
    return this.layerNorm(y, 'dec.lnf')
  }

  /**
   * Incremental decoding state for one batch of rows: per decoder layer the projected memory
   * keys/values (computed once) and the self-attention keys/values of the tokens so far.
   * Inference only (no dropout); the caller owns the tensors (disposeCache). `logitBias` [V], when
   * given, is added to every step's logits inside the output product (a bias of 0 leaves a logit
   * bit for bit as it is; −1e9 bans a token).
   */
  initCache(
    memory: TF.Tensor,
    memBias: TF.Tensor,
    fz: TF.Tensor,
    opts: { logitBias?: Float32Array } = {},
  ): DecodeCache {
    const tf = this.tf
    const memK: TF.Tensor[] = []
    const memV: TF.Tensor[] = []
    const [b, s] = memory.shape as [number, number]
    for (let l = 0; l < this.config.decLayers; l++) {
      const [k, v] = tf.tidy(() => {
        const [kk, vv] = tf.split(this.lin(memory, `dec.${l}.xkv`), 2, -1) as [TF.Tensor, TF.Tensor]
        return [swapLast2(this.splitHeads(kk, b, s)), this.splitHeads(vv, b, s)]
      })
      memK.push(k!)
      memV.push(v!)
    }
    const base = { memK, memV, memBias: tf.clone(memBias), fz: tf.clone(fz) }
    return {
      memK: memK.map((x) => tf.clone(x)),
      memV: memV.map((x) => tf.clone(x)),
      selfK: [],
      selfV: [],
      memBias: tf.clone(memBias),
      fz: tf.clone(fz),
      t: 0,
      base,
      rowSource: Array.from({ length: b }, (_, i) => i),
      embT: tf.transpose(this.v('emb')),
      logitBias: opts.logitBias ? tf.tensor1d(opts.logitBias) : null,
    }
  }

  /**
   * One decoder step with the cache: `tokens` [N] are the previous outputs (BOS first) → logits
   * [N, V] for the next token. Appends this step's keys/values to the cache (old ones disposed).
   * Equivalent to decode() over the whole prefix, at O(t) instead of O(t²) cost.
   */
  decodeStep(tokens: TF.Tensor1D, cache: DecodeCache): TF.Tensor2D {
    const tf = this.tf
    const n = tokens.shape[0]
    const d = this.config.dModel
    const t = cache.t
    if (t >= this.config.maxLen) throw new Error(`decoding past the model's maxLen ${this.config.maxLen}`)
    const newK: TF.Tensor[] = []
    const newV: TF.Tensor[] = []
    const logits = tf.tidy(() => {
      let y = embeddingLookup(this.v('emb'), tokens.reshape([n, 1]))
        .mul(this.scaleEmb)
        .add(this.pos.slice([t, 0], [1, d]))
      if (t === 0) y = y.add(cache.fz.reshape([n, 1, d]))
      const noBias = tf.zeros([1, 1, 1, t + 1])
      for (let l = 0; l < this.config.decLayers; l++) {
        const p = `dec.${l}`
        const qkv = this.lin(this.layerNorm(y, p + '.ln1'), p + '.qkv')
        const [q, k, v] = tf.split(qkv, 3, -1) as [TF.Tensor, TF.Tensor, TF.Tensor]
        const kAll = t === 0 ? k : tf.concat([cache.selfK[l]!, k], 1)
        const vAll = t === 0 ? v : tf.concat([cache.selfV[l]!, v], 1)
        newK.push(tf.keep(kAll))
        newV.push(tf.keep(vAll))
        y = y.add(this.lin(this.attend(q, kAll, vAll, noBias, false), p + '.o'))
        const q2 = this.lin(this.layerNorm(y, p + '.ln2'), p + '.xq')
        const x = this.attendHeads(q2, cache.memK[l]!, cache.memV[l]!, cache.memBias, false)
        y = y.add(this.lin(x, p + '.xo'))
        const f = this.lin(tf.relu(this.lin(this.layerNorm(y, p + '.ln3'), p + '.ff1')), p + '.ff2')
        y = y.add(f)
      }
      const states = this.layerNorm(y, 'dec.lnf').reshape([n, d]) as TF.Tensor2D
      const embT = cache.embT as TF.Tensor2D
      return (
        cache.logitBias
          ? tf.fused.matMul({ a: states, b: embT, bias: cache.logitBias })
          : tf.matMul(states, embT)
      ) as TF.Tensor2D
    })
    tf.dispose([...cache.selfK, ...cache.selfV])
    cache.selfK = newK
    cache.selfV = newV
    cache.t = t + 1
    return logits
  }

  /**
   * Keeps only the cache rows `rows` (in that order): beam search re-parenting. The memory rows
   * depend only on each row's source, so they are re-gathered (from the per-source base) only when
   * the rows' sources change, not at every step where beams of a sentence swap parents.
   */
  reorderCache(cache: DecodeCache, rows: number[]): void {
    const tf = this.tf
    // Rows are copied on the JS side: a plain copy of whole rows, about twice as fast as the wasm
    // backend's gather (which indexes element by element) and the same numbers.
    // A row of x is x.shape[0] / rowsIn consecutive slices along axis 0 (the heads of a row's memory).
    const pick = (xs: TF.Tensor[], order: number[], rowsIn = cache.rowSource.length): TF.Tensor[] =>
      xs.map((x) => {
        const [lead, ...rest] = x.shape as [number, ...number[]]
        const per = lead / rowsIn
        const size = per * rest.reduce((a, b) => a * b, 1)
        const data = x.dataSync() as Float32Array
        const out = new Float32Array(order.length * size)
        order.forEach((r, j) => out.set(data.subarray(r * size, (r + 1) * size), j * size))
        return tf.tensor(out, [order.length * per, ...rest], 'float32')
      })
    const selfK = pick(cache.selfK, rows)
    const selfV = pick(cache.selfV, rows)
    tf.dispose([...cache.selfK, ...cache.selfV])
    cache.selfK = selfK
    cache.selfV = selfV
    const sources = rows.map((r) => cache.rowSource[r]!)
    if (sources.length === cache.rowSource.length && sources.every((s, i) => s === cache.rowSource[i])) return
    tf.dispose([...cache.memK, ...cache.memV, cache.memBias, cache.fz])
    const b = cache.base
    const sourcesIn = b.memBias.shape[0]!
    ;[cache.memBias, cache.fz, ...cache.memK] = pick([b.memBias, b.fz, ...b.memK], sources, sourcesIn)
    cache.memV = pick(b.memV, sources, sourcesIn)
    cache.rowSource = sources
  }

  disposeCache(cache: DecodeCache): void {
    const b = cache.base
    this.tf.dispose([
      ...cache.memK,
      ...cache.memV,
      ...cache.selfK,
      ...cache.selfV,
      cache.memBias,
      cache.fz,
      ...b.memK,
      ...b.memV,
      b.memBias,
      b.fz,
      cache.embT,
      ...(cache.logitBias ? [cache.logitBias] : []),
    ])
  }
  /** Output logits over the vocabulary for decoder states [N, d] (tied embedding). */
  logits(states2d: TF.Tensor): TF.Tensor2D {
    return matMul(states2d, this.v('emb'), false, true) as TF.Tensor2D
  }
}
