/**
 * Decoding for the translation model: batched greedy search (used for fast validation during
 * training) and batched beam search with a GNMT length penalty (used for inference and the
 * reported scores). Owns the search; the network is TranslationModel.
 *
 * The decoder is re-run over the whole prefix at every step (no key/value cache): at these sizes
 * (≤ 4 layers × 128 wide, ~20 steps) that costs milliseconds per sentence and keeps one code path
 * for training and inference.
 */
import type * as TF from '@tensorflow/tfjs'
import { BOS_ID, EOS_ID, PAD_ID } from '../../features/text/bpe'
import type { TranslationFeatures, TranslationModel } from './model'

export interface DecodeOptions {
  /** Beam width (1 = greedy). Default 5. */
  beam?: number
  /** GNMT length penalty α: score / ((5 + len) / 6)^α. Default 0.6. */
  lengthPenalty?: number
  /** Hard cap on output tokens; default 1.5 × source length + 10 (and the model's maxLen). */
  maxLen?: number
  features?: TranslationFeatures
}

function padRows(rows: number[][]): { data: Int32Array; len: number } {
  const len = Math.max(1, ...rows.map((r) => r.length))
  const data = new Int32Array(rows.length * len).fill(PAD_ID)
  rows.forEach((r, i) => data.set(r, i * len))
  return { data, len }
}

/** Runs the encoder once; keeps only what the decoder needs (the rest is freed by tidy). */
function encodeKept(
  tf: typeof TF,
  model: TranslationModel,
  src: TF.Tensor2D,
  features: TranslationFeatures | undefined,
): { memory: TF.Tensor; memBias: TF.Tensor; fz: TF.Tensor } {
  return tf.tidy(() => {
    const e = model.encode(src, features, false)
    return { memory: e.memory, memBias: e.memBias, fz: e.fz }
  })
}

function outputCap(model: TranslationModel, srcLens: number[], maxLen?: number): number {
  const longest = Math.max(...srcLens)
  return Math.min(maxLen ?? Math.ceil(longest * 1.5) + 10, model.config.maxLen - 1)
}

/** Greedy decoding of a batch of encoded sources (each ending with EOS). Returns token ids without BOS/EOS. */
export function greedyDecode(
  tf: typeof TF,
  model: TranslationModel,
  srcs: number[][],
  opts: DecodeOptions = {},
): number[][] {
  const b = srcs.length
  const cap = outputCap(
    model,
    srcs.map((s) => s.length),
    opts.maxLen,
  )
  const { data, len } = padRows(srcs)
  const src = tf.tensor2d(data, [b, len], 'int32')
  const enc = encodeKept(tf, model, src, opts.features)
  const outs: number[][] = srcs.map(() => [])
  const done = new Array<boolean>(b).fill(false)
  try {
    for (let t = 0; t < cap && done.some((d) => !d); t++) {
      const next = tf.tidy(() => {
        const rows = outs.map((o) => [BOS_ID, ...o])
        const { data: tin, len: tl } = padRows(rows)
        const states = model.decode(
          tf.tensor2d(tin, [b, tl], 'int32'),
          enc.memory,
          enc.memBias,
          enc.fz,
          false,
        )
        const last = states
          .slice([0, tl - 1, 0], [b, 1, model.config.dModel])
          .reshape([b, model.config.dModel])
        return model.logits(last).argMax(1).dataSync() as Int32Array
      })
      for (let i = 0; i < b; i++) {
        if (done[i]) continue
        if (next[i] === EOS_ID) done[i] = true
        else outs[i]!.push(next[i]!)
      }
    }
  } finally {
    tf.dispose([src, enc.memory, enc.memBias, enc.fz])
  }
  return outs
}

interface Hyp {
  tokens: number[]
  logp: number
}

/** GNMT length normalisation ((5 + len) / 6)^α. */
export function lengthNorm(len: number, alpha: number): number {
  return Math.pow((5 + len) / 6, alpha)
}

/**
 * Beam search over a batch of encoded sources. Every sentence keeps `beam` live hypotheses;
 * a hypothesis that emits EOS is finished with score logp / lengthNorm(len, α). A sentence stops
 * when it has `beam` finished hypotheses, or when its best live hypothesis can no longer beat the
 * best finished one (its log-probability only decreases), or at the length cap.
 */
export function beamDecode(
  tf: typeof TF,
  model: TranslationModel,
  srcs: number[][],
  opts: DecodeOptions = {},
): number[][] {
  const k = Math.max(1, Math.floor(opts.beam ?? 5))
  if (k === 1) return greedyDecode(tf, model, srcs, opts)
  const alpha = opts.lengthPenalty ?? 0.6
  const b = srcs.length
  const cap = outputCap(
    model,
    srcs.map((s) => s.length),
    opts.maxLen,
  )
  const d = model.config.dModel
  const { data, len } = padRows(srcs)
  const src = tf.tensor2d(data, [b, len], 'int32')
  const enc = encodeKept(tf, model, src, opts.features)
  const live: Hyp[][] = srcs.map(() => [{ tokens: [], logp: 0 }])
  const finished: Array<Array<{ tokens: number[]; score: number }>> = srcs.map(() => [])
  const active = new Array<boolean>(b).fill(true)
  try {
    for (let t = 0; t < cap && active.some((a) => a); t++) {
      // Rows to run: every live hypothesis of every active sentence.
      const owner: number[] = []
      const rows: number[][] = []
      for (let s = 0; s < b; s++) {
        if (!active[s]) continue
        for (const h of live[s]!) {
          owner.push(s)
          rows.push([BOS_ID, ...h.tokens])
        }
      }
      const n = rows.length
      const { top, idx } = tf.tidy(() => {
        const ownerT = tf.tensor1d(owner, 'int32')
        const mem = tf.gather(enc.memory, ownerT)
        const memBias = tf.gather(enc.memBias, ownerT)
        const fz = tf.gather(enc.fz, ownerT)
        const { data: tin, len: tl } = padRows(rows)
        const states = model.decode(tf.tensor2d(tin, [n, tl], 'int32'), mem, memBias, fz, false)
        const last = states.slice([0, tl - 1, 0], [n, 1, d]).reshape([n, d])
        const logp = tf.log(tf.maximum(tf.softmax(model.logits(last)), tf.scalar(1e-30)))
        const r = tf.topk(logp, k + 1)
        return { top: r.values.dataSync() as Float32Array, idx: r.indices.dataSync() as Int32Array }
      })
      let row = 0
      for (let s = 0; s < b; s++) {
        if (!active[s]) continue
        const cands: Array<{ tokens: number[]; logp: number; eos: boolean }> = []
        for (const h of live[s]!) {
          for (let j = 0; j < k + 1; j++) {
            const tok = idx[row * (k + 1) + j]!
            const lp = h.logp + top[row * (k + 1) + j]!
            cands.push({
              tokens: tok === EOS_ID ? h.tokens : [...h.tokens, tok],
              logp: lp,
              eos: tok === EOS_ID,
            })
          }
          row++
        }
        cands.sort((x, y) => y.logp - x.logp)
        const next: Hyp[] = []
        for (const c of cands) {
          if (next.length >= k) break
          if (c.eos) {
            if (finished[s]!.length < k)
              finished[s]!.push({ tokens: c.tokens, score: c.logp / lengthNorm(c.tokens.length + 1, alpha) })
          } else next.push({ tokens: c.tokens, logp: c.logp })
        }
        live[s] = next
        const fin = finished[s]!
        if (fin.length >= k || next.length === 0) active[s] = false
        else if (fin.length > 0) {
          // Best possible future score of a live hypothesis: its logp can only fall, the length norm grows to the cap.
          const bestFin = Math.max(...fin.map((f) => f.score))
          const bestLive = Math.max(...next.map((h) => h.logp / lengthNorm(cap + 1, alpha)))
          if (bestLive < bestFin) active[s] = false
        }
      }
    }
  } finally {
    tf.dispose([src, enc.memory, enc.memBias, enc.fz])
  }
  return srcs.map((_, s) => {
    const pool = finished[s]!.length
      ? finished[s]!
      : live[s]!.map((h) => ({ tokens: h.tokens, score: h.logp / lengthNorm(h.tokens.length + 1, alpha) }))
    pool.sort((x, y) => y.score - x.score)
    return pool[0]?.tokens ?? []
  })
}
