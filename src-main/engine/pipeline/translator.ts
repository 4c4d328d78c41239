/**
 * The translation model as the pipeline uses it: load a model folder once (manifest validated
 * before any weight is read), translate a batch of transcripts with beam search. A thin adapter
 * over models/translation (checkpoint, TranslationModel, beamDecode) and the BPE vocabulary.
 *
 * Audio/visual inputs are passed only when the checkpoint's manifest says that branch was trained:
 * a text-only model (Multi30K) must see them as absent, not as numbers it never learned from.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type * as TF from '@tensorflow/tfjs'
import { getTf } from '../backend'
import { BpeVocab, EOS_ID, type BpeVocabJson } from '../features/text/bpe'
import type { UtteranceFeatures } from '../features/types'
import { readManifest, readWeights, type TranslationManifest } from '../models/translation/checkpoint'
import { beamDecode } from '../models/translation/decode'
import { TranslationModel, type TranslationFeatures } from '../models/translation/model'

export interface Translator {
  manifest: TranslationManifest
  /** "name@version", what predictions record as their model version. */
  versionTag: string
  /** Translates each text (empty input → empty output); features per text are optional. */
  translate(texts: string[], features?: (UtteranceFeatures | null)[]): Promise<string[]>
  dispose(): void
}

export interface TranslateOptions {
  /** Beam width (default 4: within 0.1 BLEU of 5 here, faster). */
  beam?: number
}

export async function loadTranslator(dir: string, opts: TranslateOptions = {}): Promise<Translator> {
  const manifest = readManifest(dir)
  const { tf } = await getTf()
  const vocab = new BpeVocab(JSON.parse(readFileSync(path.join(dir, manifest.vocab), 'utf8')) as BpeVocabJson)
  if (vocab.size !== manifest.config.vocabSize)
    throw new Error(
      `${dir}: vocabulary has ${vocab.size} entries but the model expects ${manifest.config.vocabSize}`,
    )
  const weights = readWeights(tf, dir, path.basename(manifest.weights, path.extname(manifest.weights)))
  let model: TranslationModel
  try {
    model = new TranslationModel(tf, manifest.config, { weights })
  } finally {
    tf.dispose([...weights.values()])
  }
  const useAudio = manifest.modalities.audio?.trained === true
  const useVisual = manifest.modalities.visual?.trained === true
  const maxSrc = manifest.config.maxLen - 1
  return {
    manifest,
    versionTag: `${manifest.name}@${manifest.version}`,
    async translate(texts, features) {
      const idx = texts.map((t, i) => [t.trim(), i] as const).filter(([t]) => t.length > 0)
      const out = texts.map(() => '')
      if (!idx.length) return out
      const srcs = idx.map(([t]) => [...vocab.encode(t).slice(0, maxSrc - 1), EOS_ID])
      const feats = buildFeatures(
        tf,
        idx.map(([, i]) => features?.[i] ?? null),
        useAudio,
        useVisual,
      )
      try {
        const ids = beamDecode(tf, model, srcs, { beam: opts.beam ?? 4, features: feats })
        idx.forEach(([, i], k) => (out[i] = vocab.decode(ids[k]!)))
      } finally {
        const ts: TF.Tensor[] = []
        for (const m of [feats.audio, feats.visual]) if (m) ts.push(m.pooled, m.present)
        tf.dispose(ts)
      }
      return out
    },
    dispose: () => model.dispose(),
  }
}

/** Pooled vectors + presence masks for the modalities the model was trained with. */
function buildFeatures(
  tf: typeof TF,
  feats: (UtteranceFeatures | null)[],
  useAudio: boolean,
  useVisual: boolean,
): TranslationFeatures {
  const one = (m: 'audio' | 'visual') => {
    const dim = feats.find((f) => f?.[m].present)?.[m].pooled.length
    if (!dim) return null
    const pooled = new Float32Array(feats.length * dim)
    const present = new Float32Array(feats.length)
    feats.forEach((f, r) => {
      if (f?.[m].present && f[m].pooled.length === dim) {
        pooled.set(f[m].pooled, r * dim)
        present[r] = 1
      }
    })
    return { pooled: tf.tensor2d(pooled, [feats.length, dim]), present: tf.tensor1d(present) }
  }
  return { audio: useAudio ? one('audio') : null, visual: useVisual ? one('visual') : null }
}
