/**
 * Fine-tuning from corrections: the bridge from a labelled corpus (a `corpus` export of a
 * project, or any corpus folder / MELD CSV) to `finetuneEmotion` or, for a translation base model,
 * `finetuneTranslation` (pairs: utterance text → its corrected translation). Owns the run: the
 * base model's check, the corrections (exchange/corrections.ts), the features for corpora with
 * media (only when the base model has audio/visual branches) and the new model version. Run by
 * `fws finetune` and by the app's fine-tune job (finetune-job.ts, in a worker thread).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { getTf } from '../backend'
import { correctionItems, translationPairs } from '../exchange/corrections'
import { verifyCheckpoint } from '../models/checkpoint'
import { dataFileEntry, readLabelled, type Corpus, type ReadCorpusOptions } from '../models/corpus'
import { corpusFeatures } from '../models/corpus-features'
import { emotionExamples, finetuneEmotion, type FinetuneEmotionResult } from '../models/emotion'
import { finetuneTranslation, type FinetuneTranslationResult } from '../models/translation/finetune'

export interface FinetuneFromCorpusOptions {
  /** Base model folder (an emotion checkpoint). */
  base: string
  /** Corpus folder or MELD CSV with the corrected labels. */
  data: string
  /** Folder for the new version (must not exist or be empty of a model). */
  out: string
  /**
   * 'human' (default): only labels whose provenance is corrected/accepted, when the corpus records
   * provenance at all (a corpus without provenance, e.g. MELD, counts as human-labelled);
   * 'all': every emotion label, model predictions included.
   */
  labels?: 'human' | 'all'
  /** Media paths of the corpus: outside-the-folder policy and extra allowed folders (models/corpus.ts). */
  corpusPaths?: ReadCorpusOptions
  heldOutFraction?: number
  epochs?: number
  lr?: number
  seed?: number
  version?: string
  signal?: AbortSignal
  log?: (line: string) => void
  onProgress?: (fraction: number, stage: string) => void
}

export interface EmotionFinetuneSummary extends FinetuneEmotionResult {
  task: 'emotion'
  /** Corpus items with an emotion label, and how many of them were used as corrections. */
  labelled: number
  used: number
  out: string
}

export interface TranslationFinetuneSummary extends FinetuneTranslationResult {
  task: 'translation'
  /** Corpus items with a translation, and how many of them were used as corrections. */
  labelled: number
  used: number
  out: string
}

export type FinetuneSummary = EmotionFinetuneSummary | TranslationFinetuneSummary

/** The corpus's labelled items (media paths checked), every line left out said in the log. */
function readCorrections(o: FinetuneFromCorpusOptions, log: (line: string) => void): Corpus {
  const read = readLabelled(o.data, o.corpusPaths)
  for (const r of read.refused ?? []) log(`${o.data}: line ${r.line} left out: ${r.reason}`)
  return read
}

/** The error when a corpus holds nothing to fine-tune on (`what`: the label kind; `of`: what it does hold). */
function nothingToFinetune(o: FinetuneFromCorpusOptions, what: string, of: string): Error {
  return new Error(
    `${o.data} has no ${o.labels === 'all' ? '' : 'human-corrected '}${what} to fine-tune on (${of})`,
  )
}

/**
 * What both fine-tuners take from the run's options: base, output, schedule, version, the corpus
 * entry, log and signal, and epoch progress mapped onto the part of the bar after `from`.
 */
function trainerOptions(o: FinetuneFromCorpusOptions, log: (line: string) => void, from: number) {
  return {
    base: o.base,
    out: o.out,
    heldOutFraction: o.heldOutFraction,
    epochs: o.epochs,
    lr: o.lr,
    seed: o.seed,
    version: o.version,
    corpus: dataFileEntry('finetune', o.data),
    log,
    signal: o.signal,
    onProgress: (p: { fraction: number; epoch: number; epochs: number }) =>
      o.onProgress?.(from + (1 - from) * p.fraction, `fine-tuning epoch ${p.epoch}/${p.epochs}`),
  }
}

/** Fine-tunes a translation base model on a corpus's corrected translations. */
async function finetuneTranslationFromCorpus(
  o: FinetuneFromCorpusOptions,
): Promise<TranslationFinetuneSummary> {
  const log = o.log ?? (() => {})
  // Media paths are checked as for emotion (a translation pair needs none, but a corpus line that
  // leaves the corpus folder is refused the same way).
  const all = readCorrections(o, log)
  const labelled = all.utterances.filter((u) => u.labels.translation?.trim()).length
  const pairs = translationPairs(all, o.labels ?? 'human')
  if (!pairs.length) throw nothingToFinetune(o, 'translation', `${labelled} translated items`)
  log(`fine-tuning the translator on ${pairs.length} corrected translations (of ${labelled} translated)`)
  const res = await finetuneTranslation({ ...trainerOptions(o, log, 0), pairs })
  return { ...res, task: 'translation', labelled, used: pairs.length, out: path.resolve(o.out) }
}

function contextTurnsOf(base: string): number {
  try {
    const mj = JSON.parse(readFileSync(path.join(base, 'model.json'), 'utf8')) as {
      modelConfig?: { text?: { contextTurns?: number } | null }
    }
    return mj.modelConfig?.text?.contextTurns ?? 0
  } catch {
    return 0
  }
}

/** `fws finetune`: fine-tunes an emotion or translation model on the corrections of a corpus. */
export async function finetuneFromCorpus(o: FinetuneFromCorpusOptions): Promise<FinetuneSummary> {
  const log = o.log ?? (() => {})
  // The base is checked (manifest, every file's checksum) before anything heavy happens.
  const { manifest } = verifyCheckpoint(o.base)
  if (manifest.task === 'translation') return finetuneTranslationFromCorpus(o)
  if (manifest.task !== 'emotion')
    throw new Error(
      `${o.base} is a ${manifest.task} model; fine-tuning from corrections supports emotion and translation models`,
    )
  await getTf()
  // Media paths are checked here, before any feature extraction or training.
  const read = readCorrections(o, log)
  const corpus = correctionItems(read, o.labels ?? 'human')
  const labelled = read.utterances.filter((u) => u.labels.emotion).length
  const needsFeatures = (['audio', 'visual'] as const).some((m) => manifest.modalities[m])
  let features
  if (needsFeatures && corpus.kind === 'corpus' && corpus.utterances.some((u) => u.media)) {
    log('extracting audio/visual features for the corrections (cached per media content) …')
    features = await corpusFeatures(corpus, {
      signal: o.signal,
      noVisual: !manifest.modalities.visual,
      onProgress: (f, stage) => o.onProgress?.(0.3 * f, `features: ${stage}`),
    })
  }
  const examples = emotionExamples(corpus, { contextTurns: contextTurnsOf(o.base), features })
  if (!examples.length) throw nothingToFinetune(o, 'emotion label', `${labelled} labelled items`)
  log(
    `fine-tuning ${manifest.name}@${manifest.version} on ${examples.length} corrected labels (of ${labelled} labelled)`,
  )
  // Features took the first 30 % of the progress bar.
  const res = await finetuneEmotion({ ...trainerOptions(o, log, 0.3), examples })
  return { ...res, task: 'emotion', labelled, used: examples.length, out: path.resolve(o.out) }
}
