/**
 * `exchange.importSegmentation` / `fws import`: replaces a media item's utterances with the cues of
 * an SRT, WebVTT, ELAN EAF or CSV file, as one undoable change. Parsing is helper A's subtitle
 * layer (encoding detection, tag stripping, clean-up); this module owns the path check, the
 * clamp to the media, and undoing the CSV formula neutralisation of our own exports.
 */
import path from 'node:path'
import type { UtteranceRow } from '../project/types'
import {
  readSubtitleFile,
  type DroppedCues,
  type ReadSubtitleOptions,
  type SubtitleFormat,
} from '../media/subtitles'
import { EditError } from '../project/edits'
import type { ProjectStore } from '../project/store'
import { unneutralise } from './csv'
import { checkInputFile } from './safe-path'

export interface ImportOptions {
  /** ELAN: tier id(s) to read (default: the transcript tier). */
  tier?: string | string[]
  encoding?: string
  overlap?: ReadSubtitleOptions['overlap']
  format?: SubtitleFormat
}

export interface ImportResult {
  rows: UtteranceRow[]
  format: SubtitleFormat
  warnings: string[]
  /** Cues of the file left out, counted by reason (reversed, after the media's end...). */
  droppedCues: DroppedCues
  historyId: number
}

export async function importSegmentation(
  store: ProjectStore,
  mediaId: string,
  file: string,
  opts: ImportOptions = {},
): Promise<ImportResult> {
  const media = store.getMedia(mediaId)
  if (!media) throw new EditError(`no media with id "${mediaId}" in this project`)
  const abs = await checkInputFile(file)
  const sub = await readSubtitleFile(abs, {
    durationSec: media.durationSec > 0 ? media.durationSec : undefined,
    tier: opts.tier,
    encoding: opts.encoding,
    overlap: opts.overlap,
    format: opts.format,
  })
  if (!sub.cues.length)
    throw new EditError(`${abs} holds no usable cue (${sub.warnings.join('; ') || 'empty'})`)
  const res = store.replaceSegmentation(
    mediaId,
    sub.cues.map((c) => ({
      start: c.start,
      end: c.end,
      text: sub.format === 'csv' ? unneutralise(c.text) : c.text,
      source: `${sub.format}:${path.basename(abs)}`,
    })),
  )
  return {
    rows: store.listUtterances(mediaId),
    format: sub.format,
    warnings: sub.warnings,
    droppedCues: sub.dropped,
    historyId: res.historyId,
  }
}
