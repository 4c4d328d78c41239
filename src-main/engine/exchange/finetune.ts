/**
 * Fine-tuning from corrections: the bridge from a labelled corpus (a `corpus` export of a
 * project, or any corpus folder / MELD CSV) to helper C1's `finetuneEmotion`. Owns: which labels
 * count as corrections (human-confirmed provenance when the corpus records provenance), the
 * features for corpora with media (only when the base model has audio/visual branches), and the
 * project → corpus → new model version path that the app's fine-tune job runs.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { getTf } from '../backend'
import { readManifest } from '../models/checkpoint'
import { readLabelled, type Corpus, type ReadCorpusOptions } from '../models/corpus'
import { corpusFeatures } from '../models/corpus-features'
import { emotionExamples, finetuneEmotion, type FinetuneEmotionResult } from '../models/emotion'
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

export interface FinetuneSummary extends FinetuneEmotionResult {
  /** Corpus items with an emotion label, and how many of them were used as corrections. */
  labelled: number
  used: number
  out: string
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

/** `fws finetune`: fine-tunes an emotion model on the corrected labels of a corpus. */
export async function finetuneFromCorpus(o: FinetuneFromCorpusOptions): Promise<FinetuneSummary> {
  const log = o.log ?? (() => {})
  const manifest = readManifest(o.base) // validates the base before anything heavy happens
  if (manifest.task !== 'emotion')
    throw new Error(
      `${o.base} is a ${manifest.task} model; fine-tuning from corrections supports emotion models`,
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
  return { ...res, labelled, used: examples.length, out: path.resolve(o.out) }
}

/**
 * The app's fine-tune job: exports the project's corrected utterances as a corpus (a temporary
 * folder next to the project's media paths, removed afterwards) and fine-tunes `base` into `out`.
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
      throw new Error('the project has no corrected utterances yet: correct or accept some labels first')
    return await finetuneFromCorpus({
      ...o,
      data: dir,
      corpusPaths: { mediaRoots: projectMediaRoots(store) },
    })
  } finally {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true })
  }
}
