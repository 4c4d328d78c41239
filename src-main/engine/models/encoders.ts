/**
 * Per-modality encoders: each turns one modality of a batch into a latent [B, L] and applies the
 * explicit missing-modality rule: where the modality is absent (mask 0) the latent is a learned
 * "absent" vector, never the encoder's output on zeros. Owns also modality dropout (training
 * only): a present modality is hidden at random so the fusion learns to cope with gaps, except
 * when it is the only modality left in that row.
 *
 * - Text: word embedding (optionally frozen pretrained vectors) → BiGRU → masked mean+max pool;
 *   with dialogue context, the previous turns go through the same BiGRU and their pooled state is
 *   concatenated → Linear → tanh.
 * - Dialogue context (bcLSTM-style, optional): a BiGRU over the text latents of each dialogue's
 *   utterances in turn order; every utterance's latent becomes tanh(W[z; h→; h←]), so it reads
 *   the turns before and after it.
 * - Audio / visual sequences: per-dimension standardisation (statistics fitted on training data
 *   and stored in the config) → temporal convolution of width 3 (shifted frames concatenated,
 *   one matMul) → ReLU → masked mean+max pool → Linear → tanh.
 */
import type * as TF from '@tensorflow/tfjs'
import { dropout, Gru, Linear, meanMaxPool, tfm, type Rng, type Scope } from '../fusion/nn'
import type { Modality } from '../fusion/types'
import { embeddingLookup } from '../core/tf-ops'

type Tensor = TF.Tensor

export interface TextEncoderConfig {
  vocabSize: number
  embDim: number
  hidden: number
  /** Max tokens of the utterance itself. */
  maxLen: number
  /** Number of previous turns of the same dialogue given as context (0 = none). */
  contextTurns: number
  /** Max tokens of the context (the most recent ones are kept). */
  contextMaxLen: number
  /** Keep the (pretrained) embedding fixed during training. */
  freezeEmbedding: boolean
  /**
   * How the context is encoded: 'pool' = masked mean+max of its word embeddings (cheap, the
   * default), 'gru' = the utterance BiGRU again (4× the cost on the wasm backend).
   */
  contextEncoder?: 'pool' | 'gru'
  dropout: number
}

export interface SequenceEncoderConfig {
  /** Columns per frame (AUDIO_DIM / VISUAL_DIM). */
  dim: number
  hidden: number
  /** Frames beyond this are subsampled evenly. */
  maxFrames: number
  /** Per-column standardisation fitted on the training data (length dim). */
  mean: number[]
  std: number[]
}

/** A text batch: ids/masks row-major [B, T]. */
export interface TextBatch {
  ids: Int32Array
  mask: Float32Array
  len: number
  ctxIds: Int32Array | null
  ctxMask: Float32Array | null
  ctxLen: number
}

/**
 * Where each row of a batch sits in its dialogue: `rows` [D·U] is the batch row at dialogue d,
 * turn u (B = padding), `mask` [D·U] 1 where a real utterance is, `slot` [B] each row's index into
 * the D·U grid.
 */
export interface DialogueBatch {
  rows: Int32Array
  mask: Float32Array
  slot: Int32Array
  dialogues: number
  turns: number
}

/** A sequence batch: frames [B, T, D] row-major and the frame mask [B, T]. */
export interface SeqBatch {
  frames: Float32Array
  mask: Float32Array
  len: number
}

export class TextEncoder {
  readonly embedding: TF.Variable
  private readonly fwd: Gru
  private readonly bwd: Gru
  private readonly out: Linear
  constructor(
    scope: Scope,
    readonly cfg: TextEncoderConfig,
    latentDim: number,
    pretrained?: Float32Array,
  ) {
    const tf = tfm()
    const init = pretrained
      ? tf.tensor2d(pretrained, [cfg.vocabSize, cfg.embDim])
      : scope.store.normalInit([cfg.vocabSize, cfg.embDim], 0.1)
    this.embedding = scope.add('embedding', init, !cfg.freezeEmbedding)
    this.fwd = new Gru(scope.sub('gru_fwd'), cfg.embDim, cfg.hidden)
    this.bwd = new Gru(scope.sub('gru_bwd'), cfg.embDim, cfg.hidden)
    const ctxDim = cfg.contextTurns > 0 ? (cfg.contextEncoder === 'gru' ? 4 * cfg.hidden : 2 * cfg.embDim) : 0
    const pooled = 4 * cfg.hidden + ctxDim
    this.out = new Linear(scope.sub('out'), pooled, latentDim)
  }

  private embed(ids: Int32Array, B: number, T: number): Tensor {
    const tf = tfm()
    const idT = tf.tensor2d(ids, [B, T], 'int32')
    // Frozen tables need no gradient: plain gather is fine (and cheaper) then.
    return this.cfg.freezeEmbedding ? tf.gather(this.embedding, idT) : embeddingLookup(this.embedding, idT)
  }

  private encodeSeq(
    ids: Int32Array,
    mask: Float32Array,
    B: number,
    T: number,
    rng: Rng,
    training: boolean,
  ): Tensor {
    const tf = tfm()
    const mT = tf.tensor2d(mask, [B, T])
    const e = dropout(this.embed(ids, B, T), this.cfg.dropout, rng, training)
    const hf = this.fwd.apply(e, mT)
    const hb = this.bwd.apply(e, mT, true)
    return meanMaxPool(tf.concat([hf, hb], 2), mT)
  }

  apply(b: TextBatch, B: number, rng: Rng, training: boolean): Tensor {
    const tf = tfm()
    let pooled = this.encodeSeq(b.ids, b.mask, B, b.len, rng, training)
    if (this.cfg.contextTurns > 0) {
      if (!b.ctxIds || !b.ctxMask)
        throw new Error('text encoder: this model uses dialogue context but the batch has none')
      const ctx =
        this.cfg.contextEncoder === 'gru'
          ? this.encodeSeq(b.ctxIds, b.ctxMask, B, b.ctxLen, rng, training)
          : meanMaxPool(this.embed(b.ctxIds, B, b.ctxLen), tf.tensor2d(b.ctxMask, [B, b.ctxLen]))
      pooled = tf.concat([pooled, ctx], 1)
    }
    pooled = dropout(pooled, this.cfg.dropout, rng, training)
    return tf.tanh(this.out.apply(pooled))
  }
}

export interface DialogueContextConfig {
  hidden: number
}

export class DialogueContext {
  private readonly fwd: Gru
  private readonly bwd: Gru
  private readonly out: Linear
  constructor(
    scope: Scope,
    readonly cfg: DialogueContextConfig,
    latentDim: number,
  ) {
    this.fwd = new Gru(scope.sub('gru_fwd'), latentDim, cfg.hidden)
    this.bwd = new Gru(scope.sub('gru_bwd'), latentDim, cfg.hidden)
    this.out = new Linear(scope.sub('out'), latentDim + 2 * cfg.hidden, latentDim)
  }

  /** z [B, L] utterance latents → [B, L] latents that read their dialogue (rows with `use` 0 are not read). */
  apply(z: Tensor, d: DialogueBatch, use: Float32Array, rng: Rng, training: boolean, rate: number): Tensor {
    const tf = tfm()
    const [B, L] = z.shape as [number, number]
    const { dialogues: D, turns: U } = d
    // Differentiable gathers (embeddingLookup) in and out of the [D, U] grid; row B is padding.
    const table = tf.concat([z, tf.zeros([1, L])], 0)
    const grid = embeddingLookup(table, tf.tensor2d(d.rows, [D, U], 'int32'))
    const read = Float32Array.from(d.rows, (r, i) => (r < B && use[r]! > 0 ? d.mask[i]! : 0))
    const m = tf.tensor2d(read, [D, U])
    const h = tf.concat([this.fwd.apply(grid, m), this.bwd.apply(grid, m, true)], 2)
    const ctx = embeddingLookup(h.reshape([D * U, 2 * this.cfg.hidden]), tf.tensor1d(d.slot, 'int32'))
    const x = dropout(tf.concat([z, ctx], 1), rate, rng, training)
    return tf.tanh(this.out.apply(x))
  }
}

/**
 * Row indices grouped by dialogue (first-seen order), each group ordered by `turn` (then by row).
 * Rows without a key are dialogues of one.
 */
export function dialogueGroups(
  keys: (string | null | undefined)[],
  turns: (number | undefined)[],
): number[][] {
  const groups = new Map<string, number[]>()
  keys.forEach((k, i) => {
    const g = k ?? `\u0000row${i}`
    let list = groups.get(g)
    if (!list) groups.set(g, (list = []))
    list.push(i)
  })
  const out = [...groups.values()]
  for (const list of out) list.sort((a, b) => (turns[a] ?? a) - (turns[b] ?? b) || a - b)
  return out
}

/** Places the rows of a batch in their dialogues (see dialogueGroups). */
export function dialogueBatch(
  keys: (string | null | undefined)[],
  turns: (number | undefined)[],
): DialogueBatch {
  const B = keys.length
  const groups = dialogueGroups(keys, turns)
  const D = groups.length
  const U = Math.max(1, ...groups.map((l) => l.length))
  const rows = new Int32Array(D * U).fill(B)
  const mask = new Float32Array(D * U)
  const slot = new Int32Array(B)
  groups.forEach((list, d) =>
    list.forEach((r, u) => {
      rows[d * U + u] = r
      mask[d * U + u] = 1
      slot[r] = d * U + u
    }),
  )
  return { rows, mask, slot, dialogues: D, turns: U }
}

export class SequenceEncoder {
  private readonly conv: Linear
  private readonly out: Linear
  private readonly mean: Tensor
  private readonly invStd: Tensor
  constructor(
    scope: Scope,
    readonly cfg: SequenceEncoderConfig,
    latentDim: number,
  ) {
    const tf = tfm()
    if (cfg.mean.length !== cfg.dim || cfg.std.length !== cfg.dim)
      throw new Error(
        `sequence encoder: normalisation statistics have ${cfg.mean.length}/${cfg.std.length} columns, expected ${cfg.dim}`,
      )
    this.conv = new Linear(scope.sub('conv'), 3 * cfg.dim, cfg.hidden)
    this.out = new Linear(scope.sub('out'), 2 * cfg.hidden, latentDim)
    this.mean = tf.keep(tf.tensor1d(cfg.mean))
    this.invStd = tf.keep(tf.tensor1d(cfg.std.map((s) => 1 / Math.max(s, 1e-6))))
  }
  apply(b: SeqBatch, B: number, rng: Rng, training: boolean, rate: number): Tensor {
    const tf = tfm()
    const T = b.len
    const D = this.cfg.dim
    const m = tf.tensor2d(b.mask, [B, T])
    const x = tf
      .tensor3d(b.frames, [B, T, D])
      .sub(this.mean)
      .mul(this.invStd)
      .mul(m.reshape([B, T, 1]))
    // Width-3 temporal convolution as one matMul over [x(t−1); x(t); x(t+1)] (zero-padded ends).
    const zero = tf.zeros([B, 1, D])
    const prev = tf.concat([zero, x.slice([0, 0, 0], [B, T - 1, D])], 1)
    const next = tf.concat([x.slice([0, 1, 0], [B, T - 1, D]), zero], 1)
    const h = tf.relu(this.conv.apply(tf.concat([prev, x, next], 2)))
    const pooled = dropout(meanMaxPool(h, m), rate, rng, training)
    return tf.tanh(this.out.apply(pooled))
  }
  dispose(): void {
    this.mean.dispose()
    this.invStd.dispose()
  }
}

/**
 * Mixes encoder latents with the learned absent vector: z = m·z_enc + (1 − m)·absent.
 * `z` may be null when no row of the batch has the modality (the encoder is then skipped).
 */
export function withAbsent(z: Tensor | null, absent: Tensor, mask: Tensor, B: number): TF.Tensor2D {
  const tf = tfm()
  const L = absent.shape[0]!
  const a = absent.reshape([1, L]).tile([B, 1])
  if (!z) return a as TF.Tensor2D
  const m = mask.reshape([B, 1])
  return z.mul(m).add(a.mul(tf.sub(1, m))) as TF.Tensor2D
}

/**
 * Modality dropout: per row, each present modality is hidden with probability `rate`, unless it
 * is the last present one in that row. Returns new masks (Float32Array per modality).
 */
export function modalityDropout(
  masks: Partial<Record<Modality, Float32Array>>,
  rate: number,
  rng: Rng,
): Partial<Record<Modality, Float32Array>> {
  const mods = Object.keys(masks) as Modality[]
  if (rate <= 0 || mods.length < 2) return masks
  const out: Partial<Record<Modality, Float32Array>> = {}
  for (const m of mods) out[m] = Float32Array.from(masks[m]!)
  const B = masks[mods[0]!]!.length
  for (let i = 0; i < B; i++) {
    for (const m of rng.shuffle([...mods])) {
      if (out[m]![i] !== 1) continue
      const left = mods.filter((k) => out[k]![i] === 1).length
      if (left > 1 && rng.next() < rate) out[m]![i] = 0
    }
  }
  return out
}
