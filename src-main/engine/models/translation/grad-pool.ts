/**
 * Main-thread side of data-parallel translation training: starts the gradient workers
 * (grad-worker.ts), splits a batch into shares, sends each worker the current weights and its
 * share, and combines the returned gradients with the main thread's, weighted by target tokens so
 * the result equals the gradient of the whole batch's token-mean loss.
 */
import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import type * as TF from '@tensorflow/tfjs'
import { locateWorker } from '../../jobs/worker-entry'
import type { Batch } from './data'
import type { GradRequest, GradResponse, GradWorkerInit } from './grad-worker'
import type { TranslationConfig, TranslationModel } from './model'

interface Share {
  grads: Record<string, TF.Tensor> | Float32Array
  loss: number
  tokens: number
}

export class GradPool {
  private constructor(private readonly workers: Worker[]) {}

  get size(): number {
    return this.workers.length
  }

  /** Starts `n` workers from the TypeScript source (throws when running from a bundle without the entry). */
  static async start(n: number, config: TranslationConfig): Promise<GradPool> {
    const here = fileURLToPath(import.meta.url)
    if (!here.endsWith('.ts'))
      throw new Error('gradient workers are only available when running from source (tsx)')
    const loc = locateWorker({ file: here.replace(/grad-pool\.ts$/, 'grad-worker.ts') })
    const workers: Worker[] = []
    for (let i = 0; i < n; i++) {
      const init: GradWorkerInit = { config }
      workers.push(new Worker(loc.url, { workerData: { ...loc.bootData, init } }))
    }
    return new GradPool(workers)
  }

  /** Splits row indices into `parts` contiguous shares of (nearly) equal size. */
  static split(rows: number[], parts: number): number[][] {
    const out: number[][] = []
    const per = Math.ceil(rows.length / parts)
    for (let i = 0; i < parts; i++) {
      const sh = rows.slice(i * per, (i + 1) * per)
      if (sh.length) out.push(sh)
    }
    return out
  }

  /** Sends the model's current weights and one batch to each worker; resolves with their gradients. */
  compute(model: TranslationModel, batches: Batch[], labelSmoothing: number): Promise<Share[]> {
    const vars = [...model.vars.values()]
    const total = vars.reduce((a, v) => a + v.size, 0)
    const weights = new Float32Array(total)
    let off = 0
    for (const v of vars) {
      weights.set(v.dataSync() as Float32Array, off)
      off += v.size
    }
    return Promise.all(
      batches.map((b, i) => {
        const w = this.workers[i]!
        return new Promise<Share>((resolve, reject) => {
          const onMsg = (m: GradResponse): void => {
            w.off('error', onErr)
            if (m.error || !m.grads) reject(new Error(`gradient worker failed: ${m.error ?? 'no gradients'}`))
            else resolve({ grads: m.grads, loss: m.loss!, tokens: b.tokens })
          }
          const onErr = (e: Error): void => {
            w.off('message', onMsg)
            reject(e)
          }
          w.once('message', onMsg)
          w.once('error', onErr)
          const copy = i === batches.length - 1 ? weights : weights.slice()
          const req: GradRequest = {
            weights: copy,
            src: b.src,
            srcLen: b.srcLen,
            tgtIn: b.tgtIn,
            tgtOut: b.tgtOut,
            tgtLen: b.tgtLen,
            rows: b.rows,
            labelSmoothing,
          }
          w.postMessage(req, [copy.buffer])
        })
      }),
    )
  }

  /** Token-weighted average of the main share's gradients (tensors) and the workers' (flat arrays). */
  static combine(
    tf: typeof TF,
    model: TranslationModel,
    main: { grads: Record<string, TF.Tensor>; loss: number; tokens: number },
    others: Share[],
  ): { grads: Record<string, TF.Tensor>; loss: number } {
    const total = main.tokens + others.reduce((a, o) => a + o.tokens, 0)
    const out: Record<string, TF.Tensor> = {}
    let off = 0
    for (const v of model.vars.values()) {
      const n = v.size
      // BatchNorm moving statistics (GAN-Fusion) travel with the weights but have no gradient.
      if (!v.trainable) {
        off += n
        continue
      }
      out[v.name] = tf.tidy(() => {
        const g0 = main.grads[v.name]
        let acc = g0 ? g0.mul(main.tokens / total) : tf.zeros(v.shape)
        for (const o of others) {
          const flat = o.grads as Float32Array
          acc = acc.add(tf.tensor(flat.subarray(off, off + n), v.shape).mul(o.tokens / total))
        }
        return acc
      })
      off += n
    }
    const loss = (main.loss * main.tokens + others.reduce((a, o) => a + o.loss * o.tokens, 0)) / total
    return { grads: out, loss }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()))
  }
}
