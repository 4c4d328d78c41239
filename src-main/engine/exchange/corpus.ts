/**
 * The `corpus` export: a labelled-corpus folder (the format training and evaluation read) made
 * from a project's utterances. Owns: manifest.json + utterances.jsonl, with media paths written
 * relative to the corpus folder (so the folder and the footage can move together), labels
 * {emotion, translation} and the provenance of each value.
 */
import path from 'node:path'
import { EMOTIONS } from '../core/labels'
import type { ExportResult } from './types'
import { isHuman } from '../project/rows'
import type { ExportRecord, ProjectStore } from '../project/store'
import { checkOutputFolder, joinInside } from './safe-path'
import { writeFileAtomic } from './write'

export const CORPUS_FORMAT = 'fws-corpus'
export const CORPUS_VERSION = 1

/**
 * One line of utterances.jsonl, in the shape helper C1's reader (models/corpus.ts, readCorpus)
 * validates: provenance says where each label came from (model | corrected | accepted | imported)
 * and who confirmed it when.
 */
export interface CorpusUtterance {
  id: string
  /** Media file relative to the corpus folder (forward slashes). */
  media: string
  start: number
  end: number
  text: string
  labels: { emotion?: string; translation?: string }
  provenance: {
    source: string
    emotion?: string
    translation?: string
    transcript?: string
    bounds?: string
    modelVersion?: string
    annotator?: string
    at?: string
  }
}

export interface CorpusManifest {
  format: typeof CORPUS_FORMAT
  version: number
  name: string
  createdAt: string
  description: string
  labelSets: { emotion: string[] }
  count: number
  source: { project: string; onlyCorrected: boolean }
  counts: {
    emotion: number
    translation: number
    humanEmotion: number
    humanTranslation: number
    media: number
  }
  media: { path: string; sha256: string | null }[]
  /** Set when the export also filled the feature cache (training then reads features from it). */
  features?: { extractor: string; utterances: number }
}

export async function writeCorpus(
  store: ProjectStore,
  records: ExportRecord[],
  out: string,
  opts: {
    signal?: AbortSignal
    onProgress?: (f: number, stage: string) => void
    onlyCorrected?: boolean
    /** Also extract the audio/visual features of every utterance into the feature cache. */
    features?: boolean
  } = {},
): Promise<ExportResult> {
  const folder = await checkOutputFolder(out)
  const rel = (p: string) => path.relative(folder, p).split(path.sep).join('/')
  const lines: string[] = []
  const mediaSeen = new Map<string, string>()
  let nEmotion = 0
  let nTranslation = 0
  let nHumanEmotion = 0
  let nHumanTranslation = 0
  for (const r of records) {
    if (opts.signal?.aborted) throw new Error('export cancelled')
    mediaSeen.set(r.mediaId, r.mediaPath)
    const labels: CorpusUtterance['labels'] = {}
    const provenance: CorpusUtterance['provenance'] = {
      source: r.source,
      transcript: r.transcriptProvenance ?? undefined,
      bounds: r.boundsProvenance,
    }
    if (r.emotion != null) {
      labels.emotion = r.emotion
      provenance.emotion = r.emotionProvenance ?? undefined
      if (r.emotionProvenance === 'model' && r.emotionPrediction)
        provenance.modelVersion = r.emotionPrediction.modelVersion
      nEmotion++
      if (isHuman(r.emotionProvenance)) nHumanEmotion++
    }
    if (r.translation != null) {
      labels.translation = r.translation
      provenance.translation = r.translationProvenance ?? undefined
      nTranslation++
      if (isHuman(r.translationProvenance)) nHumanTranslation++
    }
    const latest = [
      r.corrections.emotion,
      r.corrections.translation,
      r.corrections.transcript,
      r.corrections.bounds,
    ]
      .filter((c) => c != null)
      .sort((a, b) => (a!.at < b!.at ? 1 : -1))[0]
    if (latest) {
      provenance.annotator = latest.annotator
      provenance.at = latest.at
    }
    const u: CorpusUtterance = {
      id: r.utteranceId,
      media: rel(r.mediaPath),
      start: r.start,
      end: r.end,
      text: r.transcript,
      labels,
      provenance,
    }
    lines.push(JSON.stringify(u) + '\n')
  }
  const manifest: CorpusManifest = {
    format: CORPUS_FORMAT,
    version: CORPUS_VERSION,
    name: path.basename(folder),
    createdAt: new Date().toISOString(),
    description: `Exported from the Fusion Workstation project ${path.basename(store.path)}${opts.onlyCorrected ? ' (corrected utterances only)' : ''}`,
    labelSets: { emotion: [...EMOTIONS] },
    count: records.length,
    source: { project: store.path, onlyCorrected: !!opts.onlyCorrected },
    counts: {
      emotion: nEmotion,
      translation: nTranslation,
      humanEmotion: nHumanEmotion,
      humanTranslation: nHumanTranslation,
      media: mediaSeen.size,
    },
    media: [...mediaSeen.entries()].map(([id, p]) => ({
      path: rel(p),
      sha256: store.mediaDetails(id)?.sha256 ?? null,
    })),
  }
  const files = [await joinInside(folder, 'utterances.jsonl'), await joinInside(folder, 'manifest.json')]
  await writeFileAtomic(files[0], lines.join(''))
  await writeFileAtomic(files[1], JSON.stringify(manifest, null, 2) + '\n')
  if (opts.features && records.length) {
    // Through the training side's own reader and extractor, so the cache keys are exactly the ones
    // `fws finetune` / `fws train` will look up (content fingerprint + bounds + extractor version).
    const { readCorpus } = await import('../models/corpus')
    const { corpusFeatures } = await import('../models/corpus-features')
    const { EXTRACTOR_VERSION } = await import('../features/types')
    // The media of an export are the project's, usually outside the export folder.
    const corpus = readCorpus(folder, { mediaRoots: projectMediaRoots(store) })
    const feats = await corpusFeatures(corpus, {
      signal: opts.signal,
      onProgress: (f, stage) => opts.onProgress?.(0.05 + 0.9 * f, `features: ${stage}`),
    })
    manifest.features = { extractor: EXTRACTOR_VERSION, utterances: feats.size }
    await writeFileAtomic(files[1], JSON.stringify(manifest, null, 2) + '\n')
  }
  return { files, records: records.length }
}

/**
 * The folders of a project's media: where the media of a corpus exported from it may be (the
 * export sits in its own folder, often a temporary one; the media stay where the project has them).
 */
export function projectMediaRoots(store: ProjectStore): string[] {
  return [...new Set(store.listMedia().map((m) => path.dirname(m.path)))]
}
