/**
 * Worker-thread entry of data-parallel translation training, served by the engine's worker pool
 * (jobs/pool.ts). Owns one replica of the model: for every task it loads the main thread's current
 * weights, computes the loss gradient of its share of the batch, and returns the gradients
 * flattened (variable order = the model's).
 *
 * Why: the wasm backend is single-threaded in Node (DESIGN.md §5), so a second core can only be
 * used by a second tfjs instance in another thread.
 */
import { workerData } from 'node:worker_threads'
import type * as TF from '@tensorflow/tfjs'
import { getTf } from '../../backend'
import type { GradRequest, GradResponse, GradWorkerInit } from '../../models/translation/grad-pool'
import { TranslationModel } from '../../models/translation/model'
import { serveTasks } from '../../core/worker-host'

const init = (workerData as { init: GradWorkerInit }).init
const ready = (async () => {
  const { tf } = await getTf()
  const model = new TranslationModel(tf, init.config, { seed: 1 })
  return { tf, model, vars: [...model.vars.values()] }
})()

serveTasks<GradRequest, GradResponse, never>(async (req) => {
  const { tf, model, vars } = await ready
  let off = 0
  for (const v of vars) {
    const n = v.size
    tf.tidy(() => v.assign(tf.tensor(req.weights.subarray(off, off + n), v.shape)))
    off += n
  }
  const { value, grads } = tf.tidy(() => {
    const src = tf.tensor2d(req.src, [req.rows, req.srcLen], 'int32')
    const tin = tf.tensor2d(req.tgtIn, [req.rows, req.tgtLen], 'int32')
    const tout = tf.tensor2d(req.tgtOut, [req.rows, req.tgtLen], 'int32')
    return tf.variableGrads(
      () => model.loss(src, tin, tout, { training: true, labelSmoothing: req.labelSmoothing }).total,
      vars,
    )
  })
  const flat = new Float32Array(off)
  let o = 0
  for (const v of vars) {
    const g = grads[v.name] as TF.Tensor | undefined
    if (g) flat.set(g.dataSync() as Float32Array, o)
    o += v.size
  }
  const loss = value.dataSync()[0]!
  tf.dispose([value, ...Object.values(grads)])
  return { grads: flat, loss }
})
