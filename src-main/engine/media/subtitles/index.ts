/**
 * Subtitle and transcript files as cue lists: format detection, reading with encoding detection,
 * the pure parsers (re-exported for the import/export code), and the clean-up of real-world cue
 * lists. Entry point: readSubtitleFile(path).
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { checkInputFile, MediaError } from '../errors'
import {
  cleanCues,
  cueLimit,
  MAX_SUBTITLE_BYTES,
  normalizeNewlines,
  type CleanOptions,
  type Cue,
  type DroppedCues,
  type ParseOptions,
  type SubtitleFormat,
} from './cue'
import { decodeText } from './decode'
import { parseCsv } from './csv'
import { eafCues, parseEaf, parseEafTiers, pickTranscriptTiers, type EafTier } from './eaf'
import { parseSrt } from './srt'
import { parseVtt } from './vtt'

export * from './cue'
export { decodeText } from './decode'
export { parseCsv, parseDelimited } from './csv'
export { eafCues, parseEaf, parseEafTiers, pickTranscriptTiers, type EafTier } from './eaf'
export { parseSrt } from './srt'
export { parseVtt } from './vtt'

/** File extensions read as subtitles/transcripts, in the order a sidecar is looked for. */
export const SUBTITLE_EXTENSIONS: Record<string, SubtitleFormat> = {
  '.srt': 'srt',
  '.vtt': 'vtt',
  '.eaf': 'eaf',
  '.csv': 'csv',
  '.tsv': 'csv',
}

/** The format of a subtitle file from its name, else from its content; null when neither tells. */
export function detectSubtitleFormat(file: string, text: string): SubtitleFormat | null {
  const byExt = SUBTITLE_EXTENSIONS[path.extname(file).toLowerCase()]
  if (byExt) return byExt
  const t = normalizeNewlines(text).trimStart()
  if (/^WEBVTT/.test(t)) return 'vtt'
  if (/^<\?xml[^>]*>\s*<ANNOTATION_DOCUMENT|^<ANNOTATION_DOCUMENT/.test(t)) return 'eaf'
  if (/^\d+\s*\n\s*\d+:\d+:\d+[,.]\d+\s*-->/.test(t)) return 'srt'
  if (/^[^\n]*(start|begin)[^\n]*[,;\t][^\n]*(end|stop)/i.test(t)) return 'csv'
  return null
}

/** Parse subtitle text of a known format (pure). */
export function parseSubtitles(
  text: string,
  format: SubtitleFormat,
  opts: ParseOptions & { tier?: string | string[] } = {},
): Cue[] {
  switch (format) {
    case 'srt':
      return parseSrt(text, opts)
    case 'vtt':
      return parseVtt(text, opts)
    case 'eaf':
      return parseEaf(text, opts)
    case 'csv':
      return parseCsv(text, opts)
  }
}

export interface ReadSubtitleOptions extends CleanOptions {
  /** Force a format instead of detecting it from the extension / content. */
  format?: SubtitleFormat
  /** Force a text encoding (an iconv-lite name) instead of detecting it. */
  encoding?: string
  /** ELAN: tier id(s) to read. */
  tier?: string | string[]
  keepTags?: boolean
}

export interface SubtitleFile {
  cues: Cue[]
  format: SubtitleFormat
  encoding: string
  /** What the clean-up changed (zero-length cues dropped, overlaps...). */
  warnings: string[]
  /** Cues of the file left out by the clean-up, counted by reason. */
  dropped: DroppedCues
  /** ELAN only: all tiers with their annotation counts, and the ones used. */
  tiers?: { id: string; participant: string | null; count: number; used: boolean }[]
}

/**
 * Read a subtitle/transcript file: detect encoding and format, parse, strip tags, clean up
 * (see cleanCues). Throws MediaError: NOT_FOUND / IS_DIRECTORY / EMPTY_FILE, BAD_ENCODING,
 * BAD_SUBTITLE (with the line), SUBTITLE_TOO_LARGE (file over MAX_SUBTITLE_BYTES, or more cues
 * than cueLimit allows for the media's duration: parsing stops there).
 */
export async function readSubtitleFile(file: string, opts: ReadSubtitleOptions = {}): Promise<SubtitleFile> {
  const size = await checkInputFile(file)
  if (size > MAX_SUBTITLE_BYTES)
    throw new MediaError(
      'SUBTITLE_TOO_LARGE',
      file,
      `${file} is ${(size / 2 ** 20).toFixed(1)} MiB; subtitle/transcript files over ${MAX_SUBTITLE_BYTES / 2 ** 20} MiB are not read.`,
    )
  const buf = await readFile(file)
  const { text, encoding } = decodeText(buf, file, opts.encoding)
  const format = opts.format ?? detectSubtitleFormat(file, text)
  if (!format)
    throw new MediaError(
      'BAD_SUBTITLE',
      file,
      `${file}: unknown subtitle format (use .srt, .vtt, .eaf, .csv or .tsv; the content matches none of them).`,
    )
  let tiers: SubtitleFile['tiers']
  let cues: Cue[]
  const parseOpts: ParseOptions = { file, keepTags: opts.keepTags, ...cueLimit(opts.durationSec) }
  if (format === 'eaf') {
    const all: EafTier[] = parseEafTiers(text, parseOpts)
    cues = eafCues(all, { file, tier: opts.tier })
    const usedIds = new Set(
      opts.tier !== undefined
        ? Array.isArray(opts.tier)
          ? opts.tier
          : [opts.tier]
        : pickTranscriptTiers(all).map((t) => t.id),
    )
    tiers = all.map((t) => ({
      id: t.id,
      participant: t.participant,
      count: t.cues.length,
      used: usedIds.has(t.id),
    }))
  } else cues = parseSubtitles(text, format, parseOpts)
  const cleaned = cleanCues(cues, opts)
  return {
    cues: cleaned.cues,
    format,
    encoding,
    warnings: cleaned.warnings,
    dropped: cleaned.dropped,
    ...(tiers ? { tiers } : {}),
  }
}
