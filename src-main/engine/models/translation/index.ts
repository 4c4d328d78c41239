/**
 * Public face of the translator: load a translation model folder and translate sentences, or
 * evaluate it on parallel text. Owns the load-time validation order (manifest → vocabulary →
 * weights checksum → shapes) and batching of inference; the network, search and format live in
 * model.ts, decode.ts and checkpoint.ts.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type * as TF from '@tensorflow/tfjs'
import { getTf } from '../../backend'
import { BpeVocab, EOS_ID, type BpeVocabJson } from '../../features/text/bpe'
import { corpusBleu, corpusChrf, BLEU_SIGNATURE, CHRF_SIGNATURE } from '../metrics/bleu'
import { readManifest, readWeights, type TranslationManifest } from './checkpoint'
import { beamDecode } from './decode'
import { TranslationModel, type TranslationFeatures } from './model'

export interface TranslateOptions {
  /** Beam width (1 = greedy). Default: the model's manifest `decoding`, else 5. */
  beam?: number
  /** GNMT length penalty α. Default: the model's manifest `decoding`, else 0.6. */
  lengthPenalty?: number
  /** Optional pooled audio/visual features, one row per text (masks say which are present). */
  features?: {
    audio?: { pooled: Float32Array[]; present: boolean[] }
    visual?: { pooled: Float32Array[]; present: boolean[] }
  }
  /** Sentences per decoding batch. Default 32. */
  batchSize?: number
  onProgress?: (done: number, total: number) => void
  signal?: AbortSignal
}

export interface LoadedTranslationModel {
  manifest: TranslationManifest
  /** Translates each text (empty input → empty output), in order. */
  translate(texts: string[], opts?: TranslateOptions): Promise<string[]>
  dispose(): void
}

/**
 * Loads a translation model folder. Validates the manifest before reading any weight, then the
 * vocabulary, the weights' checksum (when recorded) and every tensor's shape.
 */
export async function loadTranslationModel(dir: string): Promise<LoadedTranslationModel> {
  const manifest = readManifest(dir)
  const { tf } = await getTf()
  const vocabPath = join(dir, manifest.vocab)
  if (!existsSync(vocabPath)) throw new Error(`${dir}: vocabulary ${manifest.vocab} is missing`)
  const vocab = new BpeVocab(JSON.parse(readFileSync(vocabPath, 'utf8')) as BpeVocabJson)
  if (vocab.size !== manifest.config.vocabSize)
    throw new Error(
      `${dir}: vocabulary has ${vocab.size} symbols but the model expects ${manifest.config.vocabSize}`,
    )
  const recorded = manifest.weightsSha256
  if (recorded) {
    const bin = join(dir, 'weights.bin')
    const actual = existsSync(bin) ? createHash('sha256').update(readFileSync(bin)).digest('hex') : 'missing'
    if (actual !== recorded)
      throw new Error(
        `${dir}: weights.bin does not match the manifest (sha256 ${actual.slice(0, 12)}…, expected ${recorded.slice(0, 12)}…)`,
      )
  }
  const weights = readWeights(tf, dir)
  let model: TranslationModel
  try {
    model = new TranslationModel(tf, manifest.config, { weights })
  } finally {
    tf.dispose([...weights.values()])
  }
  const maxSrc = manifest.config.maxLen - 1

  const featureTensors = (
    f: TranslateOptions['features'],
    idx: number[],
  ): TranslationFeatures | undefined => {
    if (!f) return undefined
    const one = (
      m: { pooled: Float32Array[]; present: boolean[] } | undefined,
      dim: number,
      name: string,
    ) => {
      if (!m) return null
      const data = new Float32Array(idx.length * dim)
      idx.forEach((j, r) => {
        const v = m.pooled[j]
        if (m.present[j] && (!v || v.length !== dim))
          throw new Error(`${name} features for text ${j} must have ${dim} values, got ${v?.length ?? 0}`)
        if (m.present[j] && v) data.set(v, r * dim)
      })
      return {
        pooled: tf.tensor2d(data, [idx.length, dim]),
        present: tf.tensor1d(
          idx.map((j) => (m.present[j] ? 1 : 0)),
          'float32',
        ),
      }
    }
    return {
      audio: one(f.audio, manifest.config.audioDim, 'audio'),
      visual: one(f.visual, manifest.config.visualDim, 'visual'),
    }
  }

  return {
    manifest,
    async translate(texts, opts = {}) {
      const out = new Array<string>(texts.length).fill('')
      const encoded = texts.map((t) => {
        const ids = vocab.encode(t)
        return ids.length ? [...ids.slice(0, maxSrc - 1), EOS_ID] : []
      })
      const todo = [...encoded.keys()].filter((i) => encoded[i]!.length > 0)
      // Similar lengths together: less padding, and beams finish together.
      todo.sort((a, b) => encoded[a]!.length - encoded[b]!.length)
      const bs = Math.max(1, opts.batchSize ?? 32)
      for (let i = 0; i < todo.length; i += bs) {
        if (opts.signal?.aborted) throw new Error('translation cancelled')
        const chunk = todo.slice(i, i + bs)
        const feats = featureTensors(opts.features, chunk)
        try {
          const ids = beamDecode(
            tf,
            model,
            chunk.map((j) => encoded[j]!),
            { ...decodingSettings(manifest, opts), features: feats },
          )
          chunk.forEach((j, r) => (out[j] = vocab.decode(ids[r]!)))
        } finally {
          if (feats) {
            const ts: Array<TF.Tensor | undefined> = [
              feats.audio?.pooled,
              feats.audio?.present,
              feats.visual?.pooled,
              feats.visual?.present,
            ]
            tf.dispose(ts.filter((t): t is TF.Tensor => t !== undefined))
          }
        }
        opts.onProgress?.(Math.min(i + bs, todo.length), todo.length)
        // Let the event loop breathe between batches (progress output, cancellation).
        await new Promise((r) => setImmediate(r))
      }
      return out
    },
    dispose() {
      model.dispose()
    },
  }
}

/** Decoding when neither the caller nor the model's manifest (`decoding`) says otherwise. */
export const DEFAULT_BEAM = 5
export const DEFAULT_LENGTH_PENALTY = 0.6

/** Beam width and length penalty: the caller's, else the model's tuned ones, else the defaults. */
function decodingSettings(manifest: TranslationManifest, opts: TranslateOptions) {
  return {
    beam: opts.beam ?? manifest.decoding?.beam ?? DEFAULT_BEAM,
    lengthPenalty: opts.lengthPenalty ?? manifest.decoding?.lengthPenalty ?? DEFAULT_LENGTH_PENALTY,
  }
}

export interface TranslationEvalResult {
  bleu: number
  chrf: number
  n: number
  bleuSignature: string
  chrfSignature: string
  precisions: number[]
  bp: number
  beam: number
  lengthPenalty: number
  msPerSentence: number
}

/** Translates `sources` and scores them against raw `references` (sacreBLEU-compatible BLEU + chrF). */
export async function evaluateTranslation(
  m: LoadedTranslationModel,
  sources: string[],
  references: string[],
  opts: TranslateOptions = {},
): Promise<{ result: TranslationEvalResult; hypotheses: string[] }> {
  if (sources.length !== references.length)
    throw new Error(`${sources.length} source lines but ${references.length} reference lines: not parallel`)
  const t0 = Date.now()
  const hyps = await m.translate(sources, opts)
  const ms = (Date.now() - t0) / Math.max(1, sources.length)
  const b = corpusBleu(hyps, references)
  const c = corpusChrf(hyps, references)
  return {
    hypotheses: hyps,
    result: {
      bleu: b.score,
      chrf: c.score,
      n: sources.length,
      bleuSignature: BLEU_SIGNATURE,
      chrfSignature: CHRF_SIGNATURE,
      precisions: b.precisions,
      bp: b.bp,
      ...decodingSettings(m.manifest, opts),
      msPerSentence: ms,
    },
  }
}
