/**
 * Subtitle streams inside a media file (mov_text in MP4, SubRip/ASS/WebVTT in Matroska) → cues.
 * ffmpeg converts the chosen text stream to SRT on stdout, which parseSrt reads. Bitmap subtitles
 * (PGS, DVD) hold pictures, not text, and are refused with a clear error.
 */
import { cancelledError, MediaError } from '../errors'
import { ffmpegInputPath, runFailure, runTool } from '../process'
import type { SubtitleStreamInfo } from '../probe'
import { parseSrt } from './srt'
import { cueLimit, type Cue } from './cue'

/** Read one embedded subtitle stream as cues (times in seconds of the media). */
export async function readEmbeddedSubtitles(
  file: string,
  stream: SubtitleStreamInfo,
  opts: { signal?: AbortSignal; durationSec?: number } = {},
): Promise<Cue[]> {
  if (!stream.text)
    throw new MediaError(
      'BAD_SUBTITLE',
      file,
      `Subtitle stream ${stream.index} of ${file} is ${stream.codec}, a picture-based format; it holds no text to read.`,
    )
  if (opts.signal?.aborted) throw cancelledError(file, 'subtitle extraction')
  const res = await runTool(
    'ffmpeg',
    [
      '-nostdin',
      '-hide_banner',
      '-v',
      'error',
      '-i',
      ffmpegInputPath(file),
      '-map',
      `0:${stream.index}`,
      '-c:s',
      'srt',
      '-f',
      'srt',
      'pipe:1',
    ],
    { file, signal: opts.signal, what: 'subtitle extraction', timeoutMs: 120_000 },
  )
  if (res.exitCode !== 0) throw await runFailure(file, res, 'subtitle extraction')
  const text = res.stdout.toString('utf8')
  if (!text.trim()) return []
  return parseSrt(text, { file: `${file} (subtitle stream ${stream.index})`, ...cueLimit(opts.durationSec) })
}
