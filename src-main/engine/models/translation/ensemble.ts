/**
 * An ensemble of translation networks over one vocabulary, searched as one model: at every step
 * the next-token distribution is the mean of the members' distributions (each member encodes the
 * source and keeps its own decoding cache; beams re-parent every member's rows alike). The search
 * (decode.ts) sees a StepModel whose "logits" are the log of the mean probabilities, so greedy
 * and beam search, the length penalty and the bans work unchanged. One member is the member.
 * Also writes ensemble folders (the format: ../checkpoint.ts `ensemble`).
 */
import type * as TF from '@tensorflow/tfjs'
import { getTf } from '../../backend'
import type { BpeVocabJson } from '../../features/text/bpe'
import {
  CheckpointError,
  loadCheckpoint,
  manifestInput,
  readManifest as readCheckpointManifest,
  type CheckpointManifest,
  type LoadedCheckpoint,
  type ManifestInput,
} from '../checkpoint'
import { saveTranslationCheckpoint, translationConfig, type TranslationNetworkFiles } from './checkpoint'
import type { StepModel } from './decode'
import type { DecodeCache, TranslationFeatures, TranslationModel } from './model'

export class TranslationEnsemble implements StepModel<DecodeCache[]> {
  readonly config: { vocabSize: number; maxLen: number }

  constructor(
    private readonly tf: typeof TF,
    readonly members: TranslationModel[],
  ) {
    if (!members.length) throw new Error('an ensemble needs at least one model')
    const vocabSize = members[0]!.config.vocabSize
    for (const m of members)
      if (m.config.vocabSize !== vocabSize)
        throw new Error(
          `ensemble members must share one vocabulary: ${m.config.vocabSize} symbols vs ${vocabSize}`,
        )
    this.config = { vocabSize, maxLen: Math.min(...members.map((m) => m.config.maxLen)) }
  }

  beginDecoding(
    src: TF.Tensor2D,
    features: TranslationFeatures | undefined,
    logitBias?: Float32Array,
  ): DecodeCache[] {
    const caches: DecodeCache[] = []
    try {
      for (const m of this.members) caches.push(m.beginDecoding(src, features, logitBias))
    } catch (err) {
      this.disposeCache(caches)
      throw err
    }
    return caches
  }

  /** log(mean_i softmax(logits_i)) (floored at 1e-30): the members’ mean distribution, as logits the search ranks. */
  decodeStep(tokens: TF.Tensor1D, caches: DecodeCache[]): TF.Tensor2D {
    const tf = this.tf
    if (this.members.length === 1) return this.members[0]!.decodeStep(tokens, caches[0]!)
    return tf.tidy(() => {
      const probs = this.members.map((m, i) => tf.softmax(m.decodeStep(tokens, caches[i]!)))
      const mean = tf.addN(probs).mul(tf.scalar(1 / probs.length))
      return tf.log(tf.maximum(mean, tf.scalar(1e-30))) as TF.Tensor2D
    })
  }

  reorderCache(caches: DecodeCache[], rows: number[]): void {
    this.members.forEach((m, i) => m.reorderCache(caches[i]!, rows))
  }

  disposeCache(caches: DecodeCache[]): void {
    this.members.forEach((m, i) => caches[i] && m.disposeCache(caches[i]))
  }
}

/**
 * Writes an ensemble folder from model folders over one vocabulary: `primary`'s network is the
 * folder's own, each of `members` (subfolder → model folder) a complete model folder inside it.
 * The manifest is the primary's with `name`/`version` given, no parent, and neither metrics nor
 * decoding settings (measure and choose them for the ensemble); every folder is checked
 * (manifest, checksums) before anything is written.
 */
export async function writeEnsembleFolder(
  out: string,
  primary: string,
  members: Record<string, string>,
  id: { name: string; version: string },
): Promise<CheckpointManifest> {
  const { tf } = await getTf()
  const read = (dir: string) => {
    const ck = loadCheckpoint(dir, { task: 'translation' })
    if (ck.manifest.ensemble) throw new CheckpointError(dir, 'is an ensemble already: give its members')
    return ck
  }
  const top = read(primary)
  const vocab = top.readFile('vocab')
  const others = Object.entries(members).map(([sub, dir]) => {
    const ck = read(dir)
    if (ck.readFile('vocab') !== vocab)
      throw new CheckpointError(
        dir,
        `has another vocabulary than ${primary}; ensemble members must share one`,
      )
    return [sub, ck] as const
  })
  const tensors = (ck: LoadedCheckpoint) =>
    new Map([...ck.tensors].map(([name, t]) => [name, tf.tensor(t.data, t.shape, 'float32')]))
  const all: TF.Tensor[] = []
  const files = (ck: LoadedCheckpoint, manifest: ManifestInput): TranslationNetworkFiles => {
    const weights = tensors(ck)
    all.push(...weights.values())
    return { manifest, config: translationConfig(ck.dir, ck.modelConfig), weights }
  }
  try {
    // What was measured or chosen for the primary alone (test figures, decoding) is not the ensemble's.
    const { decoding: _decoding, ...primary } = manifestInput(top.manifest)
    void _decoding
    const own = files(top, { ...primary, ...id, parent: null, metrics: {} })
    saveTranslationCheckpoint(
      out,
      own.manifest,
      own.config,
      own.weights,
      JSON.parse(vocab) as BpeVocabJson,
      top.manifest.files.vocab,
      Object.fromEntries(others.map(([sub, ck]) => [sub, files(ck, manifestInput(ck.manifest))])),
    )
  } finally {
    tf.dispose(all)
  }
  return readCheckpointManifest(out, 'translation')
}
