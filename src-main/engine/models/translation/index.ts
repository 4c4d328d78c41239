/**
 * The translation runtime: the one loader of a translation model folder, used by `fws translate`,
 * `fws eval translation`, the batch pipeline and the app. Owns load-time validation (manifest →
 * every file's checksum → configuration → vocabulary → shapes, via ../checkpoint.ts; an ensemble
 * folder's members likewise), which inputs reach the model (an audio/visual branch the manifest
 * marks untrained always sees "absent"), the decoding settings (the manifest's tuned `decoding`
 * unless the caller overrides them), and batching of inference; the network, search, ensemble and
 * format live in model.ts, decode.ts, ensemble.ts, checkpoint.ts.
 */
import type * as TF from '@tensorflow/tfjs'
import { getTf } from '../../backend'
import { BpeVocab, EOS_ID, type BpeVocabJson } from '../../features/text/bpe'
import type { UtteranceFeatures } from '../../features/types'
import {
  CheckpointError,
  loadCheckpoint,
  type CheckpointManifest,
  type LoadedCheckpoint,
} from '../checkpoint'
import { trainedModalities } from '../evidence'
import { corpusBleu, corpusChrf, BLEU_SIGNATURE, CHRF_SIGNATURE } from '../metrics/bleu'
import { translationConfig } from './checkpoint'
import { beamDecode, type StepModel } from './decode'
import { TranslationEnsemble } from './ensemble'
import { TranslationModel, type TranslationConfig, type TranslationFeatures } from './model'

/** Pooled audio/visual features per text, with presence masks. */
export interface PooledFeatures {
  audio?: { pooled: Float32Array[]; present: boolean[] }
  visual?: { pooled: Float32Array[]; present: boolean[] }
}

export interface TranslateOptions {
  /** Beam width (1 = greedy). Default: the model's manifest `decoding`, else 5. */
  beam?: number
  /** GNMT length penalty α. Default: the model's manifest `decoding`, else 0.6. */
  lengthPenalty?: number
  /**
   * Optional pooled audio/visual features, one row per text (masks say which are present). A
   * modality whose branch the manifest marks untrained is dropped (the model sees it absent).
   */
  features?: PooledFeatures
  /** Sentences per decoding batch. Default 32. */
  batchSize?: number
  onProgress?: (done: number, total: number) => void
  signal?: AbortSignal
}

export interface LoadedTranslationModel {
  manifest: CheckpointManifest
  config: TranslationConfig
  /** "name@version", what predictions record as their model version. */
  versionTag: string
  /** Translates each text (empty input → empty output), in order. */
  translate(texts: string[], opts?: TranslateOptions): Promise<string[]>
  dispose(): void
}

/** The pooled vectors of extracted utterance features (null: nothing for that text). */
export function pooledFeatures(feats: (UtteranceFeatures | null)[]): PooledFeatures {
  const one = (m: 'audio' | 'visual') => ({
    pooled: feats.map((f) => f?.[m].pooled ?? new Float32Array(0)),
    present: feats.map((f) => f?.[m].present === true),
  })
  return { audio: one('audio'), visual: one('visual') }
}

/** A translation network read from its folder: what the manifest says, the configuration, vocabulary and weights. */
export interface TranslationNetwork {
  manifest: CheckpointManifest
  config: TranslationConfig
  vocab: BpeVocab
  model: TranslationModel
}

/**
 * Reads a translation model folder into a network. Validates the manifest and every file's
 * checksum before reading any weight (a CheckpointError names the file that does not match),
 * then the configuration, the vocabulary and every tensor's shape.
 */
export async function readTranslationNetwork(dir: string): Promise<TranslationNetwork> {
  const ck = loadCheckpoint(dir, { task: 'translation' })
  const { tf } = await getTf()
  return networkOf(tf, ck)
}

/** The network of a checked folder (or ensemble member): configuration, vocabulary, weights. */
function networkOf(tf: typeof TF, ck: LoadedCheckpoint): TranslationNetwork {
  const { dir, manifest } = ck
  const config = translationConfig(dir, ck.modelConfig)
  const vocab = new BpeVocab(JSON.parse(ck.readFile('vocab')) as BpeVocabJson)
  if (vocab.size !== config.vocabSize)
    throw new CheckpointError(
      dir,
      `vocabulary has ${vocab.size} symbols but the model expects ${config.vocabSize}`,
    )
  const weights = new Map<string, TF.Tensor>()
  for (const [name, t] of ck.tensors) weights.set(name, tf.tensor(t.data, t.shape, 'float32'))
  try {
    return { manifest, config, vocab, model: new TranslationModel(tf, config, { weights }) }
  } finally {
    tf.dispose([...weights.values()])
  }
}

/**
 * Loads a translation model folder for translating: its own network, and when the manifest names
 * an ensemble, the members (checked with the folder) decoded together with it.
 */
export async function loadTranslationModel(dir: string): Promise<LoadedTranslationModel> {
  const ck = loadCheckpoint(dir, { task: 'translation' })
  const { tf } = await getTf()
  const nets: TranslationNetwork[] = []
  try {
    for (const c of [ck, ...ck.members]) nets.push(networkOf(tf, c))
  } catch (err) {
    for (const n of nets) n.model.dispose()
    throw err
  }
  const models = nets.map((n) => n.model)
  return translationRuntime(tf, nets[0]!, new TranslationEnsemble(tf, models), () =>
    models.forEach((m) => m.dispose()),
  )
}

/**
 * The runtime over a network `search` decodes with (the network itself, or an ensemble of it with
 * others over the same vocabulary): which inputs reach it (the manifest's trained modalities), the
 * decoding settings, batching, progress and cancellation.
 */
function translationRuntime<C>(
  tf: typeof TF,
  net: Omit<TranslationNetwork, 'model'>,
  search: StepModel<C>,
  dispose: () => void,
): LoadedTranslationModel {
  const { manifest, config, vocab } = net
  const trained = trainedModalities(manifest.modalities)
  const maxSrc = config.maxLen - 1

  const featureTensors = (f: PooledFeatures | undefined, idx: number[]): TranslationFeatures | undefined => {
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
      audio: trained.audio ? one(f.audio, config.audioDim, 'audio') : null,
      visual: trained.visual ? one(f.visual, config.visualDim, 'visual') : null,
    }
  }

  return {
    manifest,
    config,
    versionTag: `${manifest.name}@${manifest.version}`,
    async translate(texts, opts = {}) {
      const out = new Array<string>(texts.length).fill('')
      const encoded = texts.map((t) => {
        const ids = vocab.encode(t.trim())
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
            search,
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
    dispose,
  }
}

/** Decoding when neither the caller nor the model's manifest (`decoding`) says otherwise. */
export const DEFAULT_BEAM = 5
export const DEFAULT_LENGTH_PENALTY = 0.6

/** Beam width and length penalty: the caller's, else the model's tuned ones, else the defaults. */
function decodingSettings(manifest: CheckpointManifest, opts: TranslateOptions) {
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
