/**
 * The cue type shared by every subtitle/transcript parser, and what all of them need: time stamp
 * parsing, text normalisation (line endings, HTML-ish and ASS tags, entities) and the clean-up of
 * real-world cue lists (zero-length, reversed, beyond the media's end, duplicates, overlaps).
 */
import { decodeEntities } from '../../core/xml'
import { MediaError } from '../errors'

export interface Cue {
  /** Seconds from the start of the media. */
  start: number
  end: number
  /** Plain text, tags stripped; lines joined with '\n'. May be empty. */
  text: string
  /** Speaker when the format says (WebVTT <v>, ELAN participant/tier, a CSV speaker column). */
  speaker?: string
}

export type SubtitleFormat = 'srt' | 'vtt' | 'eaf' | 'csv'

export interface ParseOptions {
  /** File name for error messages (pure parsers work on strings). */
  file?: string
  /** Keep markup (<i>, {\an8}...) in the text instead of stripping it. */
  keepTags?: boolean
  /** Stop with SUBTITLE_TOO_LARGE as soon as more cues than this are read (see cueLimit). */
  maxCues?: number
  /** Why maxCues is what it is, for the error message (e.g. "for 5.0 s of media"). */
  limitReason?: string
}

/** Largest subtitle/transcript file read at all (bytes). */
export const MAX_SUBTITLE_BYTES = 64 * 1024 * 1024
/** Most cues per second of media (word-level ELAN tiers stay far below; 100k cues on a 5 s clip do not). */
export const MAX_CUES_PER_SECOND = 20
/** Cues always allowed whatever the media's length, and the ceiling for any file. */
export const MIN_CUE_LIMIT = 2_000
export const MAX_CUE_LIMIT = 1_000_000

/** The cue budget for media of `durationSec` (unknown duration: the absolute ceiling). */
export function cueLimit(durationSec?: number): { maxCues: number; limitReason: string } {
  if (durationSec === undefined || !(durationSec > 0))
    return { maxCues: MAX_CUE_LIMIT, limitReason: 'for any file' }
  const maxCues = Math.min(
    MAX_CUE_LIMIT,
    Math.max(MIN_CUE_LIMIT, Math.ceil(durationSec * MAX_CUES_PER_SECOND)),
  )
  return {
    maxCues,
    limitReason: `for ${durationSec.toFixed(1)} s of media (at most ${MAX_CUES_PER_SECOND} per second, at least ${MIN_CUE_LIMIT} allowed)`,
  }
}

/** The SUBTITLE_TOO_LARGE error a parser stops with once it has read more than `max` cues. */
export function tooManyCues(file: string | undefined, max: number, reason = ''): MediaError {
  const f = file ?? 'subtitle text'
  return new MediaError(
    'SUBTITLE_TOO_LARGE',
    f,
    `${f}: more than ${max} cues ${reason}`.trimEnd() +
      '. This is not a usable transcript for this media; check that the file belongs to it.',
  )
}

/** The BAD_SUBTITLE error, naming the file and the 1-based line. */
export function badSubtitle(file: string | undefined, line: number, what: string): MediaError {
  const f = file ?? 'subtitle text'
  return new MediaError('BAD_SUBTITLE', f, `${f}, line ${line}: ${what}`, { line })
}

/** Strip a BOM and turn CRLF / CR line ends into LF. */
export function normalizeNewlines(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
}

/**
 * Seconds from a subtitle time stamp: "HH:MM:SS,mmm", "HH:MM:SS.mmm", "MM:SS.mmm", "H:MM:SS",
 * or plain seconds "12.5". Returns null when malformed (minutes/seconds ≥ 60 included).
 */
export function parseTime(raw: string): number | null {
  const s = raw.trim()
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s)
  const m = /^(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,:](\d{1,3}))?$/.exec(s)
  if (!m) return null
  const h = m[1] ? Number(m[1]) : 0
  const min = Number(m[2])
  const sec = Number(m[3])
  if (min >= 60 || sec >= 60) return null
  const frac = m[4] ? Number(m[4].padEnd(3, '0')) / 1000 : 0
  // Round to the millisecond so that sums of parts do not drift (0.1 + 0.2 style).
  return Math.round((h * 3600 + min * 60 + sec + frac) * 1000) / 1000
}

/**
 * Plain text from subtitle markup: removes HTML-ish tags (<i>, <font color=..>, <c.yellow>,
 * <v Speaker>, inline <00:01.000> times), ASS override blocks ({\an8}), decodes entities,
 * turns \N into a line break, trims each line and drops empty lines.
 */
export function stripTags(s: string): string {
  return decodeEntities(
    s
      .replace(/\{\\[^}]*\}/g, '')
      .replace(/\\N/g, '\n')
      .replace(/<\/?[a-zA-Z][^<>]*>|<\d[\d:.]*>/g, ''),
  )
    .split('\n')
    .map((l) => l.replace(/[ \t\u00a0]+/g, ' ').trim())
    .filter(Boolean)
    .join('\n')
}

/**
 * Add one parsed cue (the SRT, WebVTT and CSV parsers share this): its text has markup stripped
 * unless opts.keepTags, its speaker is set when given, and reading more than opts.maxCues cues
 * fails with SUBTITLE_TOO_LARGE.
 */
export function addCue(
  cues: Cue[],
  start: number,
  end: number,
  rawText: string,
  opts: ParseOptions,
  speaker?: string,
): void {
  if (opts.maxCues !== undefined && cues.length >= opts.maxCues)
    throw tooManyCues(opts.file, opts.maxCues, opts.limitReason)
  const cue: Cue = { start, end, text: opts.keepTags ? rawText.trim() : stripTags(rawText) }
  if (speaker !== undefined) cue.speaker = speaker
  cues.push(cue)
}

export interface CleanOptions {
  /** Media duration: cues starting at or after it are dropped, cues running past it are clipped. */
  durationSec?: number
  /**
   * Overlapping cues: 'keep' (default: two speakers can talk at once), 'trim' (cut each cue at the
   * next one's start), 'merge' (join overlapping cues into one).
   */
  overlap?: 'keep' | 'trim' | 'merge'
}

/** Why a cue was left out of the cleaned list, in the order they are reported. */
export const CUE_DROP_REASONS = [
  'invalid-time',
  'zero-length',
  'reversed',
  'duplicate',
  'after-media-end',
  'trimmed-away',
] as const
export type CueDropReason = (typeof CUE_DROP_REASONS)[number]

/** How many cues were dropped, per reason (reasons with no drop are absent). */
export type DroppedCues = Partial<Record<CueDropReason, number>>

export interface CleanResult {
  cues: Cue[]
  /** One human sentence per kind of fix applied, with counts. */
  warnings: string[]
  /** Every cue not in `cues`, counted by reason (merged overlaps are not drops: their text is kept). */
  dropped: DroppedCues
}

/** The number of dropped cues over all reasons. */
export function droppedTotal(d: DroppedCues): number {
  return Object.values(d).reduce((a, b) => a + (b ?? 0), 0)
}

/** Why a cue's times alone rule it out (`mediaEnd` is Infinity when the duration is unknown), or null. */
function timeDropReason(c: Cue, mediaEnd: number): CueDropReason | null {
  if (!(Number.isFinite(c.start) && Number.isFinite(c.end))) return 'invalid-time'
  if (c.end === c.start) return 'zero-length'
  if (c.end < c.start) return 'reversed'
  if (c.start >= mediaEnd) return 'after-media-end'
  return null
}

/** Each cue cut at the next one's start; cues with nothing left are left out. */
function trimOverlaps(cues: readonly Cue[]): Cue[] {
  return cues
    .map((c, i) => {
      const next = cues[i + 1]
      return next && next.start < c.end ? { ...c, end: next.start } : c
    })
    .filter((c) => c.end > c.start)
}

/** Overlapping cues joined into one (text joined by line breaks). */
function mergeOverlaps(cues: readonly Cue[]): Cue[] {
  const out: Cue[] = []
  for (const c of cues) {
    const prev = out.at(-1)
    if (prev && c.start < prev.end) {
      out[out.length - 1] = {
        ...prev,
        end: Math.max(prev.end, c.end),
        text: [prev.text, c.text].filter(Boolean).join('\n'),
      }
    } else out.push({ ...c })
  }
  return out
}

/** The warning for each reason a cue was dropped for its times or as a duplicate. */
const DROP_WARNINGS: [CueDropReason, string][] = [
  ['invalid-time', 'cue(s) without a valid start/end time dropped'],
  ['zero-length', 'zero-length cue(s) dropped'],
  ['reversed', 'cue(s) ending before they start dropped'],
  ['duplicate', 'duplicate cue(s) dropped'],
  ['after-media-end', 'cue(s) starting after the end of the media dropped'],
]

/**
 * Make a parsed cue list safe to use as utterances: sorted by start, zero-length and reversed cues
 * dropped, exact duplicates removed, cues beyond the media's end dropped or clipped, overlaps
 * handled as asked. Pure; says what it changed in `warnings`.
 */
export function cleanCues(input: readonly Cue[], opts: CleanOptions = {}): CleanResult {
  const count = new Map<CueDropReason, number>(CUE_DROP_REASONS.map((r) => [r, 0]))
  const drop = (reason: CueDropReason) => count.set(reason, count.get(reason)! + 1)
  const mediaEnd = opts.durationSec !== undefined && opts.durationSec > 0 ? opts.durationSec : Infinity
  let clipped = 0
  const kept: Cue[] = []
  for (const c of input) {
    const reason = timeDropReason(c, mediaEnd)
    if (reason) drop(reason)
    else if (c.end > mediaEnd) {
      clipped++
      kept.push({ ...c, end: mediaEnd })
    } else kept.push(c)
  }
  kept.sort((a, b) => a.start - b.start || a.end - b.end)
  const unique: Cue[] = []
  for (const c of kept) {
    const prev = unique.at(-1)
    if (prev && prev.start === c.start && prev.end === c.end && prev.text === c.text) drop('duplicate')
    else unique.push(c)
  }
  let overlaps = 0
  for (let i = 1; i < unique.length; i++) if (unique[i]!.start < unique[i - 1]!.end) overlaps++
  let out = unique
  if (overlaps && opts.overlap === 'trim') {
    out = trimOverlaps(unique)
    count.set('trimmed-away', unique.length - out.length)
  } else if (overlaps && opts.overlap === 'merge') out = mergeOverlaps(unique)

  const warnings: string[] = []
  for (const [reason, what] of DROP_WARNINGS)
    if (count.get(reason)) warnings.push(`${count.get(reason)} ${what}`)
  if (clipped) warnings.push(`${clipped} cue(s) running past the end of the media clipped`)
  if (overlaps)
    warnings.push(
      `${overlaps} overlapping cue(s) ${opts.overlap === 'trim' ? 'trimmed' : opts.overlap === 'merge' ? 'merged' : 'kept as they are'}`,
    )
  if (count.get('trimmed-away'))
    warnings.push(
      `${count.get('trimmed-away')} cue(s) dropped: nothing was left of them after trimming overlaps`,
    )
  const dropped: DroppedCues = {}
  for (const [reason, n] of count) if (n) dropped[reason] = n
  return { cues: out, warnings, dropped }
}
