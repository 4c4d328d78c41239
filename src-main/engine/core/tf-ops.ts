/**
 * Training-friendly tfjs ops. Owns: the few differentiable primitives whose stock tfjs gradients are
 * missing or slow on the wasm backend, re-implemented with custom gradients that use only fast
 * kernels. Every model in the engine (fusion encoders, emotion head, translator) builds on these.
 *
 * Why (measured on this machine, tfjs 4.22 wasm, see DESIGN.md §5):
 * - `tf.gather`'s gradient needs the UnsortedSegmentSum kernel, which the wasm backend does not
 *   register: training any embedding table fails. `embeddingLookup` scatter-adds upstream rows
 *   with ScatterNd (which sums duplicate indices) instead.
 * - `matMul` with a transposed operand runs ~10× slower than a plain one on wasm, and the stock
 *   matMul gradient is made of exactly those. `matMul`/`dense` here transpose explicitly (a cheap
 *   copy) and then multiply plainly, forward and backward.
 * - `exp`/`logSoftmax` are slow (LogSoftmax is not even a wasm kernel): the cross-entropy is
 *   computed from the built-in Softmax kernel with a closed-form custom gradient (p − q).
 *
 * All functions use the engine's single tfjs instance; call `getTf()` (backend.ts) once before
 * using them so the chosen backend is active.
 */
import { createRequire } from 'node:module'
import type * as TF from '@tensorflow/tfjs'

const require = createRequire(import.meta.url)
let tfInstance: typeof TF | null = null

/** The same tfjs module object that `getTf()` returns (Node caches the module: one tfjs-core). */
function tfm(): typeof TF {
  tfInstance ??= require('@tensorflow/tfjs') as typeof TF
  return tfInstance
}

type Tensor = TF.Tensor
type GradSaveFunc = (tensors: Tensor[]) => void

// customGrad functions are built once per process, lazily (tfjs is loaded on first use).
let embeddingFn: ((table: Tensor, ids: Tensor) => Tensor) | null = null
let matMulFn: ((a: Tensor, b: Tensor) => Tensor) | null = null
let xentFns = new Map<string, (logits: Tensor, labels: Tensor, weights: Tensor) => Tensor>()

/**
 * Rows of `table` ([V, D]) at integer `ids` (any shape S) → [...S, D]. Differentiable with
 * respect to `table` on every backend: the gradient is a scatter-add of the upstream rows into a
 * [V, D] zero tensor (duplicate ids sum), exactly what tfjs's own gather gradient computes.
 */
export function embeddingLookup(table: Tensor, ids: Tensor): Tensor {
  const tf = tfm()
  if (table.rank !== 2)
    throw new Error(`embeddingLookup: table must be 2-D [vocab, dim], got rank ${table.rank}`)
  if (ids.dtype !== 'int32') throw new Error(`embeddingLookup: ids must be int32, got ${ids.dtype}`)
  embeddingFn ??= tf.customGrad(((t: Tensor, i: Tensor, save: GradSaveFunc) => {
    save([i])
    const flat = i.reshape([-1])
    const rows = tf.gather(t, flat)
    const value = rows.reshape([...i.shape, t.shape[1]!])
    const shape = t.shape as [number, number]
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const idx = saved[0]!.reshape([-1, 1])
        const upd = dy.reshape([-1, shape[1]])
        return [tf.scatterND(idx, upd, shape), tf.zerosLike(saved[0]!)]
      },
    }
  }) as unknown as Parameters<typeof TF.customGrad>[0]) as unknown as (table: Tensor, ids: Tensor) => Tensor
  return embeddingFn(table, ids)
}

/** Swaps the last two axes with an explicit copy (fast on wasm, unlike a transposed matMul). */
export function swapLast2(x: Tensor): Tensor {
  const tf = tfm()
  const r = x.rank
  if (r < 2) throw new Error(`swapLast2: need rank ≥ 2, got ${r}`)
  const perm = [...Array(r).keys()]
  perm[r - 2] = r - 1
  perm[r - 1] = r - 2
  return tf.transpose(x, perm)
}

/**
 * Plain (batched) matrix product a[..., m, k] · b[..., k, n] whose gradient transposes explicitly
 * before multiplying: dA = dY · transpose(B), dB = transpose(A) · dY. Batch dims must be equal
 * (no broadcasting), or b may be 2-D with a of any rank (then a is folded to 2-D).
 * `transposeA/B` are honoured by an explicit transpose before the plain product.
 */
export function matMul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  const tf = tfm()
  const A = transposeA ? swapLast2(a) : a
  const B = transposeB ? swapLast2(b) : b
  if (B.rank === 2 && A.rank > 2) {
    const lead = A.shape.slice(0, -1)
    const y = matMul(A.reshape([-1, A.shape[A.rank - 1]!]), B)
    return y.reshape([...lead, B.shape[1]!])
  }
  if (A.rank !== B.rank)
    throw new Error(`matMul: ranks ${A.rank} and ${B.rank} differ (only [.., m, k]·[k, n] folds)`)
  matMulFn ??= tf.customGrad(((x: Tensor, w: Tensor, save: GradSaveFunc) => {
    save([x, w])
    return {
      value: tf.matMul(x as TF.Tensor2D, w as TF.Tensor2D),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sx, sw] = saved as [Tensor, Tensor]
        return [
          tf.matMul(dy as TF.Tensor2D, swapLast2(sw) as TF.Tensor2D),
          tf.matMul(swapLast2(sx) as TF.Tensor2D, dy as TF.Tensor2D),
        ]
      },
    }
  }) as unknown as Parameters<typeof TF.customGrad>[0]) as unknown as (a: Tensor, b: Tensor) => Tensor
  return matMulFn(A, B)
}

/** x[..., in] · W[in, out] (+ bias[out]) with the fast matMul above. */
export function dense(x: Tensor, w: Tensor, bias?: Tensor | null): Tensor {
  const y = matMul(x, w)
  return bias ? y.add(bias) : y
}

export interface CrossEntropyOptions {
  /** Per-row weight (e.g. 1 for real tokens, 0 for padding), same length as labels. */
  mask?: Tensor | null
  /** Label smoothing ε: the target is (1−ε)·onehot + ε/V. Default 0. */
  labelSmoothing?: number
}

/**
 * Mean softmax cross-entropy of `logits` [N, V] against integer `labels` [N], averaged over the
 * rows with non-zero mask (Σ mask·loss / Σ mask). Uses the built-in Softmax kernel forward and
 * the closed-form gradient (p − q)·mask/Σmask backward, so no exp/log over the whole [N, V]
 * matrix: only N logs of the probabilities of the gold labels. With smoothing ε, the extra term
 * Σ_j log p_ij = Σ_j l_ij − V·(l_iy − log p_iy) is also closed-form.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const tf = tfm()
  if (logits.rank !== 2)
    throw new Error(`softmaxCrossEntropy: logits must be [N, V], got rank ${logits.rank}`)
  if (labels.dtype !== 'int32') throw new Error(`softmaxCrossEntropy: labels must be int32`)
  const n = logits.shape[0]!
  if (labels.size !== n) throw new Error(`softmaxCrossEntropy: ${labels.size} labels for ${n} rows`)
  const eps = opts.labelSmoothing ?? 0
  if (!(eps >= 0 && eps < 1))
    throw new Error(`softmaxCrossEntropy: labelSmoothing must be in [0, 1), got ${eps}`)
  const weights = opts.mask ? opts.mask.reshape([n]).toFloat() : tf.ones([n])
  const key = String(eps)
  let fn = xentFns.get(key)
  if (!fn) {
    fn = tf.customGrad(((l: Tensor, y: Tensor, w: Tensor, save: GradSaveFunc) => {
      const rows = l.shape[0]!
      const cols = l.shape[1]!
      const p = tf.softmax(l as TF.Tensor2D)
      const flatIdx = tf
        .range(0, rows, 1, 'int32')
        .mul(tf.scalar(cols, 'int32'))
        .add(y.reshape([rows]))
      const py = tf.gather(p.reshape([-1]), flatIdx)
      const logPy = tf.log(tf.maximum(py, tf.scalar(1e-30)))
      let perRow = logPy.mul(-(1 - eps))
      if (eps > 0) {
        const ly = tf.gather(l.reshape([-1]), flatIdx)
        const sumLogP = l.sum(1).sub(ly.sub(logPy).mul(cols))
        perRow = perRow.sub(sumLogP.mul(eps / cols))
      }
      const denom = tf.maximum(w.sum(), tf.scalar(1e-9))
      const value = perRow.mul(w).sum().div(denom)
      save([p, y, w, denom])
      return {
        value,
        gradFunc: (dy: Tensor, saved: Tensor[]) => {
          const [sp, sy, sw, sd] = saved as [Tensor, Tensor, Tensor, Tensor]
          // tfjs-backend-wasm's OneHot kernel ignores on/off values (measured: it returns 0/1), so the
          // smoothed target is built from the plain 0/1 one-hot.
          const hot = tf.oneHot(sy.reshape([rows]), cols).toFloat()
          const q = eps > 0 ? hot.mul(1 - eps).add(eps / cols) : hot
          const scale = sw.div(sd).mul(dy).reshape([rows, 1])
          return [sp.sub(q).mul(scale), tf.zerosLike(sy), tf.zerosLike(sw)]
        },
      }
    }) as unknown as Parameters<typeof TF.customGrad>[0]) as unknown as (
      l: Tensor,
      y: Tensor,
      w: Tensor,
    ) => Tensor
    xentFns.set(key, fn)
  }
  return fn(logits, labels, weights)
}

/** Test hook: forget cached customGrad closures (after a backend switch in tests). */
export function resetTfOpsCache(): void {
  embeddingFn = null
  matMulFn = null
  xentFns = new Map()
}
