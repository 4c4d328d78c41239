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
import { dataFileEntry, readLabelled, type ReadCorpusOptions } from '../models/corpus'
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

/** Fine-tunes a translation base model on a corpus's corrected translations. */
async function finetuneTranslationFromCorpus(
  o: FinetuneFromCorpusOptions,
): Promise<TranslationFinetuneSummary> {
  const log = o.log ?? (() => {})
  // Media paths are checked as for emotion (a translation pair needs none, but a corpus line that
  // leaves the corpus folder is refused the same way).
  const all = readLabelled(o.data, o.corpusPaths)
  for (const r of all.refused ?? []) log(`${o.data}: line ${r.line} left out: ${r.reason}`)
  const labelled = all.utterances.filter((u) => u.labels.translation?.trim()).length
  const pairs = translationPairs(all, o.labels ?? 'human')
  if (!pairs.length)
    throw new Error(
      `${o.data} has no ${o.labels === 'all' ? '' : 'human-corrected '}translation to fine-tune on (${labelled} translated items)`,
    )
  log(`fine-tuning the translator on ${pairs.length} corrected translations (of ${labelled} translated)`)
  const res = await finetuneTranslation({
    base: o.base,
    pairs,
    out: o.out,
    heldOutFraction: o.heldOutFraction,
    epochs: o.epochs,
    lr: o.lr,
    seed: o.seed,
    version: o.version,
    corpus: dataFileEntry('finetune', o.data),
    log,
    signal: o.signal,
    onProgress: (p) => o.onProgress?.(p.fraction, `fine-tuning epoch ${p.epoch}/${p.epochs}`),
  })
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
  const read = readLabelled(o.data, o.corpusPaths)
  for (const r of read.refused ?? []) log(`${o.data}: line ${r.line} left out: ${r.reason}`)
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
  if (!examples.length)
    throw new Error(
      `${o.data} has no ${o.labels === 'all' ? '' : 'human-corrected '}emotion label to fine-tune on (${labelled} labelled items)`,
    )
  log(
    `fine-tuning ${manifest.name}@${manifest.version} on ${examples.length} corrected labels (of ${labelled} labelled)`,
  )
  const res = await finetuneEmotion({
    base: o.base,
    examples,
    corpus: dataFileEntry('finetune', o.data),
    out: o.out,
    heldOutFraction: o.heldOutFraction,
    epochs: o.epochs,
    lr: o.lr,
    seed: o.seed,
    version: o.version,
    log,
    signal: o.signal,
    onProgress: (p) => o.onProgress?.(0.3 + 0.7 * p.fraction, `fine-tuning epoch ${p.epoch}/${p.epochs}`),
  })
  return { ...res, task: 'emotion', labelled, used: examples.length, out: path.resolve(o.out) }
}
