/**
 * What is inside a media file: container, duration, and the audio / video / subtitle streams the
 * engine uses. Owns the ffprobe call and the reading of its JSON; anything ffprobe cannot read
 * becomes a specific MediaError (missing, directory, empty, not media, truncated).
 */
import { cancelledError, checkInputFile, MediaError } from './errors'
import { ffmpegInputPath, runFailure, runTool } from './process'

export interface AudioStreamInfo {
  /** Stream index in the container (ffmpeg's 0:N). */
  index: number
  codec: string
  sampleRate: number
  channels: number
}

export interface VideoStreamInfo {
  index: number
  codec: string
  /** Display size: after rotation metadata is applied (ffmpeg auto-rotates when decoding). */
  width: number
  height: number
  /** Average frame rate (frames per second); 0 when unknown. */
  fps: number
  /** Rotation in degrees from the container's display matrix (0, 90, 180, 270). */
  rotation: number
}

export interface SubtitleStreamInfo {
  /** Stream index in the container. */
  index: number
  codec: string
  /** ISO 639 language tag from the stream's metadata, or null. */
  language: string | null
  title: string | null
  /** True for text codecs (subrip, ass, mov_text, webvtt); bitmap subtitles (PGS, DVD) cannot become text. */
  text: boolean
}

export interface MediaProbe {
  /** Absolute path as given (not resolved through symlinks). */
  file: string
  /** ffprobe's format name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "matroska,webm". */
  container: string
  durationSec: number
  sizeBytes: number
  /** The first (default) audio stream, or null. */
  audio: AudioStreamInfo | null
  /** The first real video stream (cover art excluded), or null. */
  video: VideoStreamInfo | null
  subtitles: SubtitleStreamInfo[]
}

export interface ProbeOptions {
  signal?: AbortSignal
}

const TEXT_SUBTITLE_CODECS = new Set([
  'subrip',
  'srt',
  'ass',
  'ssa',
  'mov_text',
  'webvtt',
  'text',
  'microdvd',
  'subviewer',
  'subviewer1',
  'sami',
  'realtext',
  'jacosub',
  'mpl2',
  'pjs',
  'vplayer',
  'stl',
  'ttml',
])

interface FfprobeStream {
  index: number
  codec_type?: string
  codec_name?: string
  sample_rate?: string
  channels?: number
  width?: number
  height?: number
  avg_frame_rate?: string
  r_frame_rate?: string
  duration?: string
  disposition?: Record<string, number>
  tags?: Record<string, string>
  side_data_list?: { rotation?: number; side_data_type?: string }[]
}

interface FfprobeJson {
  format?: { format_name?: string; duration?: string; size?: string }
  streams?: FfprobeStream[]
}

function rate(r: string | undefined): number {
  if (!r) return 0
  const [n, d] = r.split('/').map(Number)
  if (!n || !Number.isFinite(n)) return 0
  const v = d ? n / d : n
  return Number.isFinite(v) && v > 0 && v < 1000 ? v : 0
}

function rotationOf(s: FfprobeStream): number {
  let r = 0
  const fromSide = s.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation
  if (typeof fromSide === 'number') r = fromSide
  else if (s.tags?.rotate) r = Number(s.tags.rotate) || 0
  return (((Math.round(r / 90) * 90) % 360) + 360) % 360
}

/**
 * Pure: turn ffprobe's JSON into a MediaProbe, or throw NOT_MEDIA when the file holds no audio or
 * video (ffprobe happily "probes" some text files as a tty stream or a still image).
 */
export function readProbeJson(file: string, json: FfprobeJson, sizeBytes: number): MediaProbe {
  const streams = json.streams ?? []
  const container = json.format?.format_name ?? ''
  const a = streams.find((s) => s.codec_type === 'audio')
  const v = streams.find(
    (s) => s.codec_type === 'video' && !s.disposition?.attached_pic && s.codec_name !== 'mjpeg_cover',
  )
  if (!a && !v) {
    throw new MediaError(
      'NOT_MEDIA',
      file,
      `${file} is not a media file: ffprobe finds ${streams.length ? 'no audio or video stream' : 'no streams'} in it${container ? ` (read as "${container}")` : ''}.`,
    )
  }
  if (/^(tty|image2|\w+_pipe)$/.test(container) && !a)
    throw new MediaError(
      'NOT_MEDIA',
      file,
      `${file} is not a video or audio file (ffprobe reads it as "${container}", a still image or text).`,
    )
  let durationSec = Number(json.format?.duration)
  if (!Number.isFinite(durationSec) || durationSec <= 0) {
    durationSec = Math.max(0, ...streams.map((s) => Number(s.duration) || 0))
  }
  let video: VideoStreamInfo | null = null
  if (v) {
    const rotation = rotationOf(v)
    const w = v.width ?? 0
    const h = v.height ?? 0
    const swap = rotation === 90 || rotation === 270
    video = {
      index: v.index,
      codec: v.codec_name ?? 'unknown',
      width: swap ? h : w,
      height: swap ? w : h,
      fps: rate(v.avg_frame_rate) || rate(v.r_frame_rate),
      rotation,
    }
  }
  return {
    file,
    container,
    durationSec,
    sizeBytes,
    audio: a
      ? {
          index: a.index,
          codec: a.codec_name ?? 'unknown',
          sampleRate: Number(a.sample_rate) || 0,
          channels: a.channels ?? 0,
        }
      : null,
    video,
    subtitles: streams
      .filter((s) => s.codec_type === 'subtitle')
      .map((s) => ({
        index: s.index,
        codec: s.codec_name ?? 'unknown',
        language: s.tags?.language && s.tags.language !== 'und' ? s.tags.language : null,
        title: s.tags?.title ?? null,
        text: TEXT_SUBTITLE_CODECS.has(s.codec_name ?? ''),
      })),
  }
}

/** Probe a media file with ffprobe. Throws MediaError (NOT_FOUND, IS_DIRECTORY, EMPTY_FILE, NOT_MEDIA, TRUNCATED, CANCELLED, ...). */
export async function probe(file: string, opts: ProbeOptions = {}): Promise<MediaProbe> {
  if (opts.signal?.aborted) throw cancelledError(file, 'probe')
  const sizeBytes = await checkInputFile(file)
  const res = await runTool(
    'ffprobe',
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', ffmpegInputPath(file)],
    { file, signal: opts.signal, what: 'probe', timeoutMs: 60_000 },
  )
  let json: FfprobeJson | null
  try {
    json = JSON.parse(res.stdout.toString('utf8')) as FfprobeJson
  } catch {
    json = null
  }
  // ffprobe can exit 0 with an empty JSON object and the error on stderr.
  if (res.exitCode !== 0 || !json || (!json.format && !json.streams?.length)) {
    throw await runFailure(file, res, 'ffprobe', res.stderr || 'ffprobe printed nothing')
  }
  return readProbeJson(file, json, sizeBytes)
}
