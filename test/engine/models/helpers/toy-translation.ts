/**
 * A very small translation Transformer for tests, and its training on a toy parallel text
 * (validated on `val`, else on the training text): real weights and real search in seconds.
 */
import { trainTranslation } from '../../../../src-main/engine/models/translation/train'

/** Model dimensions of the test Transformer (one layer each side, width 32). */
export const TINY_TRANSFORMER = {
  dModel: 32,
  heads: 2,
  ffDim: 64,
  encLayers: 1,
  decLayers: 1,
  latentDim: 16,
  fusedDim: 16,
}

/** Trains the test Transformer (no dropout) on `src` → `tgt` for `maxSteps` steps into `out`. */
export async function trainToyTranslation(o: {
  src: string
  tgt: string
  val?: { src: string; tgt: string }
  out: string
  seed: number
  vocabSize?: number
  maxSteps?: number
}): Promise<void> {
  await trainTranslation({
    trainSrc: o.src,
    trainTgt: o.tgt,
    valSrc: o.val?.src ?? o.src,
    valTgt: o.val?.tgt ?? o.tgt,
    out: o.out,
    vocabSize: o.vocabSize ?? 60,
    model: { ...TINY_TRANSFORMER, dropout: 0 },
    batchTokens: 200,
    peakLr: 4e-3,
    warmupSteps: 20,
    maxSteps: o.maxSteps ?? 150,
    validateEvery: 0,
    checkpointEvery: 1000,
    seed: o.seed,
  })
}
