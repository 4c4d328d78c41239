/**
 * Decoding for the translation model: batched greedy search (used for fast validation during
 * training) and batched beam search with a GNMT length penalty (used for inference and the
 * reported scores). Owns the search; the network is TranslationModel.
 *
 * The source is encoded once per batch and the decoder runs one step at a time on a cache of the
 * previous steps' keys and values (TranslationModel.initCache / decodeStep); beams re-parent their
 * cache rows when hypotheses are chosen.
 */
import type * as TF from '@tensorflow/tfjs'
import { BOS_ID, EOS_ID, PAD_ID } from '../../features/text/bpe'
import type { TranslationFeatures } from './model'

export interface DecodeOptions {
  /** Beam width (1 = greedy). Default 5. */
  beam?: number
  /** GNMT length penalty α: score / ((5 + len) / 6)^α. Default 0.6. */
  lengthPenalty?: number
  /** Hard cap on output tokens; default 1.5 × source length + 10 (and the model's maxLen). */
  maxLen?: number
  features?: TranslationFeatures
}

/**
 * What a search needs of a network, one batch at a time: encode the sources into a decoding state
 * (`logitBias` [V], when given, is added to every step's logits), the next-token logits of each
 * row, re-parenting rows (beam search), and freeing the state. TranslationModel is one; an
 * ensemble of them (ensemble.ts) is another.
 */
export interface StepModel<C> {
  readonly config: { vocabSize: number; maxLen: number }
  beginDecoding(src: TF.Tensor2D, features: TranslationFeatures | undefined, logitBias?: Float32Array): C
  decodeStep(tokens: TF.Tensor1D, cache: C): TF.Tensor2D
  reorderCache(cache: C, rows: number[]): void
  disposeCache(cache: C): void
}

/** A search over a batch of encoded sources (each ending with EOS): token ids without BOS/EOS per source. */
export type Decoder = <C>(
  tf: typeof TF,
  model: StepModel<C>,
  srcs: number[][],
  opts?: DecodeOptions,
) => number[][]

function padRows(rows: number[][]): { data: Int32Array; len: number } {
  const len = Math.max(1, ...rows.map((r) => r.length))
  const data = new Int32Array(rows.length * len).fill(PAD_ID)
  rows.forEach((r, i) => data.set(r, i * len))
  return { data, len }
}

function outputCap(model: StepModel<unknown>, srcLens: number[], maxLen?: number): number {
  const longest = Math.max(...srcLens)
  return Math.min(maxLen ?? Math.ceil(longest * 1.5) + 10, model.config.maxLen - 1)
}

/** −1e9 on <pad> and <s> (never valid outputs), 0 elsewhere: added to the logits before the softmax. */
function banBias(v: number): Float32Array {
  const ban = new Float32Array(v)
  ban[PAD_ID] = -1e9
  ban[BOS_ID] = -1e9
  return ban
}

/**
 * Encodes the batch once and sets up the decoder cache; also the output length cap. With `banned`,
 * the cache's output product adds the ban itself (see beamCandidates).
 */
function startDecoding<C>(
  tf: typeof TF,
  model: StepModel<C>,
  srcs: number[][],
  opts: DecodeOptions,
  banned = false,
): { cap: number; cache: C } {
  const cap = outputCap(
    model,
    srcs.map((s) => s.length),
    opts.maxLen,
  )
  const { data, len } = padRows(srcs)
  const src = tf.tensor2d(data, [srcs.length, len], 'int32')
  try {
    const bias = banned ? banBias(model.config.vocabSize) : undefined
    return { cap, cache: model.beginDecoding(src, opts.features, bias) }
  } finally {
    src.dispose()
  }
}

/** Log-probabilities of the next token with <pad> and <s> excluded (never valid outputs). */
function nextLogProbs(tf: typeof TF, logits: TF.Tensor2D): TF.Tensor2D {
  return tf.tidy(() => {
    const masked = logits.add(tf.tensor1d(banBias(logits.shape[1]))) as TF.Tensor2D
    return logProbs(tf, masked)
  })
}

/** log(max(softmax(masked logits), 1e-30)): the log-probabilities the search ranks. */
function logProbs(tf: typeof TF, masked: TF.Tensor2D): TF.Tensor2D {
  return tf.log(tf.maximum(tf.softmax(masked), tf.scalar(1e-30))) as TF.Tensor2D
}

/** Extra candidates fetched per row so that ties the log creates at the cut can be resolved. */
const EXTRA_CANDIDATES = 2

/**
 * The `m` best next tokens of every row and their log-probabilities, exactly as
 * `topk(logProbs(masked), m)` gives them (same tokens, same order, same values), from logits the
 * cache already banned <pad> and <s> in. Cheaper: the top m + EXTRA_CANDIDATES are taken on the
 * softmax (the log is monotone), the log is computed on those alone, and they are ranked by
 * (log-probability desc, token id asc), which is topk's order. The log can merge neighbouring
 * probabilities into one value, so a row where the last fetched candidate ties with the m-th
 * (a tie group that may extend past what was fetched) is ranked on the full row instead.
 */
function beamCandidates(
  tf: typeof TF,
  masked: TF.Tensor2D,
  m: number,
): { values: Float32Array; indices: Int32Array } {
  const [n, v] = masked.shape
  const f = Math.min(v, m + EXTRA_CANDIDATES)
  const probs = tf.softmax(masked)
  const top = tf.topk(probs, f)
  const lp = tf.log(tf.maximum(top.values, tf.scalar(1e-30)))
  const lpV = lp.dataSync() as Float32Array
  const idx = top.indices.dataSync() as Int32Array
  tf.dispose([top.values, top.indices, lp])
  const values = new Float32Array(n * m)
  const indices = new Int32Array(n * m)
  const redo: number[] = []
  for (let r = 0; r < n; r++) {
    const order = Array.from({ length: f }, (_, j) => r * f + j).sort(
      (a, b) => lpV[b]! - lpV[a]! || idx[a]! - idx[b]!,
    )
    if (f < v && lpV[order[m - 1]!] === lpV[r * f + f - 1]) redo.push(r)
    for (let j = 0; j < m; j++) {
      values[r * m + j] = lpV[order[j]!]!
      indices[r * m + j] = idx[order[j]!]!
    }
  }
  probs.dispose()
  if (redo.length) {
    const full = tf.tidy(() => {
      const t = tf.topk(logProbs(tf, masked), m)
      return { v: t.values.dataSync() as Float32Array, i: t.indices.dataSync() as Int32Array }
    })
    for (const r of redo) {
      values.set(full.v.subarray(r * m, (r + 1) * m), r * m)
      indices.set(full.i.subarray(r * m, (r + 1) * m), r * m)
    }
  }
  return { values, indices }
}

/** Greedy decoding: the most likely token at each step. */
export const greedyDecode: Decoder = (tf, model, srcs, opts = {}) => {
  const b = srcs.length
  const { cap, cache } = startDecoding(tf, model, srcs, opts)
  const outs: number[][] = srcs.map(() => [])
  const done = new Array<boolean>(b).fill(false)
  let prev = new Int32Array(b).fill(BOS_ID)
  try {
    for (let t = 0; t < cap && done.some((x) => !x); t++) {
      const next = tf.tidy(() => {
        const logits = model.decodeStep(tf.tensor1d(prev, 'int32'), cache)
        return nextLogProbs(tf, logits).argMax(1)
      })
      const ids = next.dataSync() as Int32Array
      next.dispose()
      for (let i = 0; i < b; i++) {
        if (done[i]) continue
        if (ids[i] === EOS_ID) done[i] = true
        else outs[i]!.push(ids[i]!)
      }
      prev = Int32Array.from(ids)
    }
  } finally {
    model.disposeCache(cache)
  }
  return outs
}

/** GNMT length normalisation ((5 + len) / 6)^α. */
export function lengthNorm(len: number, alpha: number): number {
  return Math.pow((5 + len) / 6, alpha)
}

/**
 * Beam search over a batch of encoded sources. Every sentence keeps `beam` live hypotheses;
 * a hypothesis that emits EOS is finished with score logp / lengthNorm(len, α). A sentence stops
 * when it has `beam` finished hypotheses, or when its best live hypothesis can no longer beat the
 * best finished one (its log-probability only decreases), or at the length cap. Decoding is
 * incremental (cached keys/values), rows re-parented with the chosen hypotheses at each step.
 */
export const beamDecode: Decoder = (tf, model, srcs, opts = {}) => {
  const k = Math.max(1, Math.floor(opts.beam ?? 5))
  if (k === 1) return greedyDecode(tf, model, srcs, opts)
  const alpha = opts.lengthPenalty ?? 0.6
  const { cap, cache } = startDecoding(tf, model, srcs, opts, true)
  // One row per live hypothesis; rows of a sentence are contiguous.
  let rows: Array<{ s: number; tokens: number[]; logp: number }> = srcs.map((_, s) => ({
    s,
    tokens: [],
    logp: 0,
  }))
  const finished: Array<Array<{ tokens: number[]; score: number }>> = srcs.map(() => [])
  try {
    for (let t = 0; t < cap && rows.length > 0; t++) {
      const prev = Int32Array.from(
        rows.map((r) => (r.tokens.length ? r.tokens[r.tokens.length - 1]! : BOS_ID)),
      )
      const { values: topV, indices: topI } = tf.tidy(() =>
        beamCandidates(tf, model.decodeStep(tf.tensor1d(prev, 'int32'), cache), k + 1),
      )
      const next: typeof rows = []
      const parents: number[] = []
      let r = 0
      while (r < rows.length) {
        const s = rows[r]!.s
        const cands: Array<{ parent: number; tok: number; logp: number }> = []
        for (; r < rows.length && rows[r]!.s === s; r++) {
          for (let j = 0; j <= k; j++)
            cands.push({
              parent: r,
              tok: topI[r * (k + 1) + j]!,
              logp: rows[r]!.logp + topV[r * (k + 1) + j]!,
            })
        }
        cands.sort((x, y) => y.logp - x.logp)
        const fin = finished[s]!
        const kept: typeof next = []
        for (const c of cands) {
          if (kept.length >= k) break
          const tokens = rows[c.parent]!.tokens
          if (c.tok === EOS_ID) {
            if (fin.length < k) fin.push({ tokens, score: c.logp / lengthNorm(tokens.length + 1, alpha) })
          } else {
            kept.push({ s, tokens: [...tokens, c.tok], logp: c.logp })
            parents.push(c.parent)
          }
        }
        let stop = fin.length >= k || kept.length === 0
        if (!stop && fin.length > 0) {
          // Best possible future score of a live hypothesis: its logp can only fall, the length norm grows to the cap.
          const bestFin = Math.max(...fin.map((f) => f.score))
          const bestLive = Math.max(...kept.map((h) => h.logp / lengthNorm(cap + 1, alpha)))
          stop = bestLive < bestFin
        }
        if (stop) {
          if (!fin.length)
            for (const h of kept)
              fin.push({ tokens: h.tokens, score: h.logp / lengthNorm(h.tokens.length + 1, alpha) })
          parents.splice(parents.length - kept.length, kept.length)
        } else next.push(...kept)
      }
      rows = next
      if (rows.length) model.reorderCache(cache, parents)
    }
  } finally {
    model.disposeCache(cache)
  }
  for (const h of rows)
    finished[h.s]!.push({ tokens: h.tokens, score: h.logp / lengthNorm(h.tokens.length + 1, alpha) })
  return srcs.map((_, s) => {
    const pool = finished[s]!
    pool.sort((x, y) => y.score - x.score)
    return pool[0]?.tokens ?? []
  })
}
