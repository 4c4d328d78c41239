/**
 * `exchange.export` / `fws export`: writes a project's utterances in one of the exchange formats.
 * Owns: selecting records (one media or all, only corrected or all), deciding file vs. folder
 * output (EAF/SRT/VTT are per media file: several media → one file each inside the `out` folder,
 * named from the media file name through safeFileName), and the atomic writes.
 */
import path from 'node:path'
import type { ExportFormat, ExportResult } from './types'
import type { ExportRecord, ProjectStore } from '../project/store'
import { writeCorpus } from './corpus'
import { toCsvText, toEaf, toJsonl, toSrt, toVtt, type TextChoice } from './formats'
import {
  checkOutputFile,
  checkOutputFolder,
  ExchangePathError,
  isFolder,
  joinInside,
  safeFileName,
} from './safe-path'
import { writeFileAtomic } from './write'
import { UnknownIdError } from '../core/unknown-id'

export interface ExportOptions {
  format: ExportFormat
  /** Output file, or folder (corpus; per-media formats with several media). */
  out: string
  onlyCorrected?: boolean
  /** For srt/vtt: transcripts (default) or translations. */
  text?: TextChoice
  mediaId?: string
  /** corpus: also extract audio/visual features into the feature cache (slow; ready for training). */
  features?: boolean
  signal?: AbortSignal
  onProgress?: (fraction: number, stage: string) => void
}

const EXT: Record<Exclude<ExportFormat, 'corpus'>, string> = {
  jsonl: '.jsonl',
  csv: '.csv',
  eaf: '.eaf',
  vtt: '.vtt',
  srt: '.srt',
}

function groupByMedia(records: ExportRecord[]): Map<string, ExportRecord[]> {
  const m = new Map<string, ExportRecord[]>()
  for (const r of records) {
    const list = m.get(r.mediaId) ?? []
    list.push(r)
    m.set(r.mediaId, list)
  }
  return m
}

export async function exportProject(store: ProjectStore, opts: ExportOptions): Promise<ExportResult> {
  if (opts.signal?.aborted) throw new Error('export cancelled')
  if (opts.mediaId && !store.getMedia(opts.mediaId))
    throw new UnknownIdError(`no media with id "${opts.mediaId}" in this project`)
  opts.onProgress?.(0, 'collecting')
  const records = store.exportRecords({ mediaId: opts.mediaId, onlyCorrected: opts.onlyCorrected })
  const which = opts.text ?? 'transcript'
  const files: string[] = []

  if (opts.format === 'corpus') {
    const res = await writeCorpus(store, records, opts.out, {
      signal: opts.signal,
      onProgress: opts.onProgress,
      onlyCorrected: opts.onlyCorrected,
      features: opts.features,
    })
    opts.onProgress?.(1, 'done')
    return res
  }
  if (opts.format === 'jsonl' || opts.format === 'csv') {
    const file = await checkOutputFile(opts.out)
    const text =
      opts.format === 'jsonl'
        ? toJsonl(records, { project: store.path, exportedAt: new Date().toISOString() })
        : toCsvText(records)
    await writeFileAtomic(file, text)
    opts.onProgress?.(1, 'done')
    return { files: [file], records: records.length }
  }

  // Per-media formats.
  const byMedia = groupByMedia(records)
  const mediaIds = opts.mediaId ? [opts.mediaId] : store.listMedia().map((m) => m.id)
  const existingFolder = await isFolder(opts.out)
  const outIsFolder = mediaIds.length > 1 || existingFolder || /[/\\]$/.test(opts.out)
  if (mediaIds.length > 1 && path.extname(opts.out).toLowerCase() === EXT[opts.format] && !existingFolder)
    throw new ExchangePathError(
      `the project has ${mediaIds.length} media files, but one ${opts.format} file holds the utterances of one media file; ${opts.out} is a file name, and all media need a folder (one file per media)`,
      'needs-folder',
      opts.out,
    )
  const folder = outIsFolder ? await checkOutputFolder(opts.out) : null
  const usedNames = new Set<string>()
  let count = 0
  for (const [i, mediaId] of mediaIds.entries()) {
    if (opts.signal?.aborted) throw new Error('export cancelled')
    const media = store.getMedia(mediaId)!
    const recs = byMedia.get(mediaId) ?? []
    let target: string
    if (folder) {
      let base = safeFileName(path.parse(media.name).name, 'media')
      if (usedNames.has(base.toLowerCase())) base = `${base}-${media.id}`
      usedNames.add(base.toLowerCase())
      target = await joinInside(folder, base + EXT[opts.format])
    } else target = await checkOutputFile(opts.out)
    const text =
      opts.format === 'eaf'
        ? toEaf(recs, { mediaPath: media.path, eafPath: target, author: store.annotator })
        : opts.format === 'srt'
          ? toSrt(recs, which)
          : toVtt(recs, which)
    await writeFileAtomic(target, text)
    files.push(target)
    count += recs.length
    opts.onProgress?.((i + 1) / mediaIds.length, 'writing')
  }
  return { files, records: count }
}
