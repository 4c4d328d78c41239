/**
 * From a media file to timed utterances. Owns the choice of source, first that applies:
 *   explicit subtitle/transcript file → sidecar next to the video (same name, .srt/.vtt/.eaf/.csv/.tsv,
 *   optionally with a language tag: clip.en.srt) → embedded text subtitle stream → Silero VAD on the
 *   audio. A file with neither audio nor subtitles is a clear NO_AUDIO error.
 */
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { cancelledError, MediaError } from '../media/errors'
import { probe, type MediaProbe } from '../media/probe'
import {
  cleanCues,
  readSubtitleFile,
  SUBTITLE_EXTENSIONS,
  type CleanOptions,
  type Cue,
  type DroppedCues,
} from '../media/subtitles'
import { readEmbeddedSubtitles } from '../media/subtitles/embedded'
import { detectSpeech, type VadOptions } from './vad'

export type UtteranceSource = 'srt' | 'vtt' | 'eaf' | 'csv' | 'embedded' | 'vad' | 'given'

export interface Utterance {
  /** Stable within one segmentation: "u0001", "u0002", ... in time order. */
  id: string
  /** Seconds from the start of the media. */
  start: number
  end: number
  /** Transcript; empty for VAD utterances. */
  text: string
  source: UtteranceSource
  /** Speaker when the source says (ELAN participant, WebVTT voice, CSV column). */
  speaker?: string
}

export interface SegmentOptions {
  /** A subtitle/transcript file to use (wins over sidecars and embedded streams). */
  subs?: string
  /**
   * true or an options object: use voice activity detection even when subtitles exist (object =
   * VAD tuning). false: never fall back to VAD (no subtitles → error). Default: VAD as last resort.
   */
  vad?: boolean | Partial<VadOptions>
  /** VAD tuning used when VAD is reached as the fallback. */
  vadOptions?: Partial<VadOptions>
  /** ELAN: tier id(s) to read. */
  tier?: string | string[]
  /** Force the subtitle file's text encoding (iconv-lite name). */
  encoding?: string
  /** Overlapping cues: keep (default), trim or merge. */
  overlap?: CleanOptions['overlap']
  signal?: AbortSignal
  /** Fraction done, monotonic, ending at 1. */
  onProgress?: (fraction: number) => void
}

export interface SegmentResult {
  utterances: Utterance[]
  source: UtteranceSource
  /** The subtitle file used (explicit or sidecar), or the stream index for embedded subtitles. */
  origin: string | null
  /** What was adjusted on the way (cues dropped or clipped, bitmap subtitles skipped...). */
  warnings: string[]
  /** Subtitle cues left out, counted by reason ({} for VAD or when nothing was dropped). */
  droppedCues: DroppedCues
  probe: MediaProbe
}

/**
 * A subtitle/transcript file next to `file` with the same base name: clip.srt, clip.vtt, clip.eaf,
 * clip.csv, clip.tsv (in that order), then clip.<tag>.<ext> (e.g. clip.en.srt, English first).
 */
export async function findSidecar(file: string): Promise<string | null> {
  const dir = path.dirname(path.resolve(file))
  const base = path.basename(file, path.extname(file))
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return null
  }
  const exts = Object.keys(SUBTITLE_EXTENSIONS)
  const self = path.basename(file)
  for (const ext of exts) {
    const hit = names.find((n) => n !== self && n.toLowerCase() === `${base}${ext}`.toLowerCase())
    if (hit) return path.join(dir, hit)
  }
  const tagged = names
    .filter((n) => {
      if (n === self || !n.startsWith(base + '.')) return false
      const rest = n.slice(base.length + 1)
      const m = /^([\w-]{2,20})(\.[a-z]+)$/i.exec(rest)
      return !!m && exts.includes(m[2]!.toLowerCase())
    })
    .sort((a, b) => {
      const en = (n: string) => (/\.en(g)?([-_]\w+)?\.[a-z]+$/i.test(n) ? 0 : 1)
      const byExt = (n: string) => exts.indexOf(path.extname(n).toLowerCase())
      return en(a) - en(b) || byExt(a) - byExt(b) || a.localeCompare(b)
    })
  return tagged.length ? path.join(dir, tagged[0]!) : null
}

function toUtterances(
  items: readonly { start: number; end: number; text?: string; speaker?: string }[],
  source: UtteranceSource,
): Utterance[] {
  const width = Math.max(4, String(items.length).length)
  return items.map((c, i) => {
    const u: Utterance = {
      id: `u${String(i + 1).padStart(width, '0')}`,
      start: c.start,
      end: c.end,
      text: (c.text ?? '').replace(/\s*\n\s*/g, ' ').trim(),
      source,
    }
    if (c.speaker) u.speaker = c.speaker
    return u
  })
}

/** Turn given cues (e.g. from an import) into utterances, cleaned the same way as subtitle files. */
export function utterancesFromCues(
  cues: readonly Cue[],
  source: UtteranceSource = 'given',
  clean: CleanOptions = {},
): Utterance[] {
  return toUtterances(cleanCues(cues, clean).cues, source)
}

/** Segment a media file into utterances (see the module header for the source order). */
export async function segmentMedia(file: string, opts: SegmentOptions = {}): Promise<Utterance[]> {
  return (await segmentMediaDetailed(file, opts)).utterances
}

/** segmentMedia, also telling which source was used, from where, and what was adjusted. */
export async function segmentMediaDetailed(file: string, opts: SegmentOptions = {}): Promise<SegmentResult> {
  const { signal } = opts
  let best = 0
  const progress = (f: number) => {
    if (f > best) {
      best = Math.min(1, f)
      opts.onProgress?.(best)
    }
  }
  const info = await probe(file, { signal })
  progress(0.02)
  const forceVad = opts.vad === true || (typeof opts.vad === 'object' && opts.vad !== null)
  const clean: CleanOptions = { durationSec: info.durationSec || undefined, overlap: opts.overlap }
  const warnings: string[] = []

  if (!forceVad) {
    const subsFile = opts.subs ?? (await findSidecar(file))
    if (subsFile) {
      const sub = await readSubtitleFile(subsFile, { ...clean, tier: opts.tier, encoding: opts.encoding })
      if (signal?.aborted) throw cancelledError(file, 'segmentation')
      progress(1)
      return {
        utterances: toUtterances(sub.cues, sub.format),
        source: sub.format,
        origin: subsFile,
        warnings: sub.warnings,
        droppedCues: sub.dropped,
        probe: info,
      }
    }
    const textStream = info.subtitles.find((s) => s.text)
    const bitmap = info.subtitles.filter((s) => !s.text)
    if (bitmap.length && !textStream)
      warnings.push(
        `${bitmap.length} picture-based subtitle stream(s) (${bitmap.map((s) => s.codec).join(', ')}) cannot be read as text`,
      )
    if (textStream) {
      const cues = await readEmbeddedSubtitles(file, textStream, { signal, durationSec: clean.durationSec })
      const cleaned = cleanCues(cues, clean)
      progress(1)
      return {
        utterances: toUtterances(cleaned.cues, 'embedded'),
        source: 'embedded',
        origin: `stream ${textStream.index}${textStream.language ? ` (${textStream.language})` : ''}`,
        warnings: [...warnings, ...cleaned.warnings],
        droppedCues: cleaned.dropped,
        probe: info,
      }
    }
  }
  if (!info.audio) {
    throw new MediaError(
      'NO_AUDIO',
      file,
      forceVad
        ? `${file} has no audio stream, so voice activity detection has nothing to listen to.`
        : `${file} has no audio stream and no subtitles (no .srt/.vtt/.eaf/.csv next to it, no text subtitle stream inside), so there is nothing to cut it into utterances by. Give a transcript with --subs.`,
    )
  }
  if (opts.vad === false)
    throw new MediaError(
      'NO_AUDIO',
      file,
      `${file} has no subtitles (no .srt/.vtt/.eaf/.csv next to it, no text subtitle stream inside) and voice activity detection is turned off.`,
    )
  const vadOpts = typeof opts.vad === 'object' && opts.vad !== null ? opts.vad : opts.vadOptions
  const res = await detectSpeech(file, {
    vad: vadOpts,
    signal,
    durationSec: info.durationSec,
    onProgress: (f) => progress(0.02 + 0.98 * f),
  })
  progress(1)
  return {
    utterances: toUtterances(res.segments, 'vad'),
    source: 'vad',
    origin: null,
    warnings,
    droppedCues: {},
    probe: info,
  }
}
