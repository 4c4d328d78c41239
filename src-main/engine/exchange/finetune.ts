/**
 * Fine-tuning from corrections: the bridge from a labelled corpus (a `corpus` export of a
 * project, or any corpus folder / MELD CSV) to `finetuneEmotion` or, for a translation base model,
 * `finetuneTranslation` (pairs: utterance text → its corrected translation). Owns: which labels
 * count as corrections (human-confirmed provenance when the corpus records provenance), the
 * features for corpora with media (only when the base model has audio/visual branches), and the
 * project → corpus → new model version path that the app's fine-tune job runs.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { getTf } from '../backend'
import { verifyCheckpoint } from '../models/checkpoint'
import { dataFileEntry, readLabelled, type Corpus, type ReadCorpusOptions } from '../models/corpus'
import { corpusFeatures } from '../models/corpus-features'
import { emotionExamples, finetuneEmotion, type FinetuneEmotionResult } from '../models/emotion'
import {
  finetuneTranslation,
  type FinetuneTranslationResult,
  type TranslationPair,
} from '../models/translation/finetune'
import type { ProjectStore } from '../project/store'
import { projectMediaRoots } from './corpus'
import { exportProject } from './export'

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

/**
 * The translation pairs of a corpus: utterance text → translation, for the utterances whose
 * translation a human corrected or accepted (every translation with 'all', or when the corpus
 * records no provenance at all).
 */
export function translationPairs(corpus: Corpus, which: 'human' | 'all' = 'human'): TranslationPair[] {
  const withTr = corpus.utterances.filter((u) => u.text.trim() && u.labels.translation?.trim())
  const hasProvenance = withTr.some((u) => u.provenance?.translation)
  return withTr
    .filter((u) => which === 'all' || !hasProvenance || HUMAN.has(String(u.provenance?.translation ?? '')))
    .map((u) => ({ src: u.text, tgt: u.labels.translation! }))
}

/** The task of a model folder, from its manifest (before any format-specific validation). */
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

const HUMAN = new Set(['corrected', 'accepted'])

/** The corpus restricted to the items that count as corrections. */
export function correctionItems(corpus: Corpus, which: 'human' | 'all' = 'human'): Corpus {
  const labelled = corpus.utterances.filter((u) => u.labels.emotion)
  const hasProvenance = labelled.some((u) => u.provenance?.emotion)
  if (which === 'all' || !hasProvenance) return { ...corpus, utterances: corpus.utterances }
  // Unlabelled / model-labelled items stay (they give dialogue context) but lose their label.
  return {
    ...corpus,
    utterances: corpus.utterances.map((u) =>
      u.labels.emotion && !HUMAN.has(String(u.provenance?.emotion ?? ''))
        ? { ...u, labels: { ...u.labels, emotion: null } }
        : u,
    ),
  }
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

/**
 * Fine-tunes `base` (emotion or translation) on a project's corrections: exports the corrected
 * utterances as a corpus (a temporary folder, removed afterwards) and fine-tunes `base` into `out`.
 */
export async function finetuneFromProject(
  store: ProjectStore,
  o: Omit<FinetuneFromCorpusOptions, 'data'>,
): Promise<FinetuneSummary> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fws-corrections-'))
  try {
    const exp = await exportProject(store, {
      format: 'corpus',
      out: dir,
      onlyCorrected: true,
      signal: o.signal,
    })
    if (!exp.records)
      throw new Error(
        'the project has no corrected utterances yet: correct or accept some labels or translations first',
      )
    return await finetuneFromCorpus({
      ...o,
      data: dir,
      corpusPaths: { mediaRoots: projectMediaRoots(store) },
    })
  } finally {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true })
  }
}
