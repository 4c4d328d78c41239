/**
 * Main-thread side of data-parallel translation training: splits a batch into shares, sends each
 * gradient worker the current weights and its share, and combines the returned gradients with the
 * main thread's, weighted by target tokens so the result equals the gradient of the whole batch's
 * token-mean loss. The workers run on the engine's worker pool (jobs/gradient-workers.ts), which
 * the caller starts and passes in: this layer never imports jobs.
 */
import type * as TF from '@tensorflow/tfjs'
import type { Batch } from './data'
import type { TranslationConfig, TranslationModel } from './model'

/** workerData.init of a gradient worker. */
export interface GradWorkerInit {
  config: TranslationConfig
}

/** One gradient task: the weights (flattened in the model's variable order) and a batch share. */
export type GradRequest = Omit<Batch, 'tokens'> & { weights: Float32Array; labelSmoothing: number }

export interface GradResponse {
  /** Gradients flattened in the model's variable order (zeros where a variable had none). */
  grads: Float32Array
  loss: number
}

/** What the trainer needs of a worker pool (core/pool.ts WorkerPool is one). */
export interface GradientRunner {
  readonly size: number
  run(req: GradRequest): Promise<GradResponse>
  close(): Promise<void>
}

/** Starts `size` gradient workers for models of `init.config` (jobs/gradient-workers.ts). */
export type StartGradientWorkers = (size: number, init: GradWorkerInit) => GradientRunner

interface Share {
  grads: Float32Array
  loss: number
  tokens: number
}

export class GradPool {
  constructor(private readonly runner: GradientRunner) {}

  get size(): number {
    return this.runner.size
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
    const weights = new Float32Array(vars.reduce((a, v) => a + v.size, 0))
    let off = 0
    for (const v of vars) {
      weights.set(v.dataSync() as Float32Array, off)
      off += v.size
    }
    return Promise.all(
      batches.map(async (b) => {
        const { tokens, ...share } = b
        const r = await this.runner.run({ weights, ...share, labelSmoothing })
        return { grads: r.grads, loss: r.loss, tokens }
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
        for (const o of others)
          acc = acc.add(tf.tensor(o.grads.subarray(off, off + n), v.shape).mul(o.tokens / total))
        return acc
      })
      off += n
    }
    const loss = (main.loss * main.tokens + others.reduce((a, o) => a + o.loss * o.tokens, 0)) / total
    return { grads: out, loss }
  }

  close(): Promise<void> {
    return this.runner.close()
  }
}
