/**
 * Playback in the page: whether Chromium's <video> element can play a media file as it is, and when
 * it cannot, a cached proxy it can play. Owns the Chromium codec/container set, the proxy decision
 * (from the probe), the proxy's encoding (H.264/AAC MP4 at reduced size through the ffmpeg process
 * layer, VP9/Opus WebM when this ffmpeg has no libx264) and its cache, keyed by content hash under
 * <cacheDir()>/proxies.
 *
 * Times: the proxy is encoded from the start of the file with ffmpeg's default timestamp handling,
 * the same timeline every other decode of the engine (audio, frames) uses, so an utterance's times
 * are the proxy's times (offset 0, the contract's PlaybackInfo.timeOffset, which the player subtracts).
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { cacheDir } from '../paths'
import type { MediaProbe } from './probe'
import { checkInputFile } from './errors'
import { ffmpegInputPath, runFailure, runTool } from './process'

/** Containers (ffprobe format_name) Chromium's media stack demuxes. */
const PLAYABLE_CONTAINERS = new Set([
  'mov,mp4,m4a,3gp,3g2,mj2',
  'matroska,webm',
  'ogg',
  'mp3',
  'wav',
  'flac',
  'aac',
])
/** Video codecs Chromium decodes in software (HEVC only with hardware support: not counted). */
const PLAYABLE_VIDEO = new Set(['h264', 'vp8', 'vp9', 'av1'])
const PLAYABLE_AUDIO = new Set([
  'aac',
  'mp3',
  'opus',
  'vorbis',
  'flac',
  'pcm_u8',
  'pcm_s16le',
  'pcm_s24le',
  'pcm_s32le',
  'pcm_f32le',
])
/** Matroska holds anything; Chromium takes it as WebM, so only WebM's codecs are safe in it. */
const WEBM_VIDEO = new Set(['vp8', 'vp9', 'av1'])
const WEBM_AUDIO = new Set(['opus', 'vorbis'])

export interface PlaybackDecision {
  /** True when the page needs a proxy to play the file. */
  proxy: boolean
  /** Why (for the user), or null when the original plays. */
  reason: string | null
}

/** Whether Chromium can play the probed file directly; every "no" names the container or codec. */
export function decidePlayback(p: Pick<MediaProbe, 'container' | 'audio' | 'video'>): PlaybackDecision {
  const no = (reason: string): PlaybackDecision => ({ proxy: true, reason })
  if (!PLAYABLE_CONTAINERS.has(p.container)) return no(`the ${p.container || 'unknown'} container`)
  const webm = p.container === 'matroska,webm'
  const v = p.video?.codec
  const a = p.audio?.codec
  if (v && !(webm ? WEBM_VIDEO : PLAYABLE_VIDEO).has(v)) return no(`${v} video${webm ? ' in Matroska' : ''}`)
  if (a && !(webm ? WEBM_AUDIO : PLAYABLE_AUDIO).has(a)) return no(`${a} audio${webm ? ' in Matroska' : ''}`)
  return { proxy: false, reason: null }
}

/** Height of a proxy's picture at most (reduced size: review needs faces, not detail). */
export const PROXY_MAX_HEIGHT = 480

export interface ProxyFormat {
  ext: 'mp4' | 'webm'
  /** ffmpeg output options for the codecs. */
  video: string[]
  audio: string[]
}

let encoderList: Promise<string> | null = null

/** The proxy format this ffmpeg can write: H.264/AAC MP4 with libx264, else VP9/Opus WebM. */
export async function proxyFormat(): Promise<ProxyFormat> {
  encoderList ??= runTool('ffmpeg', ['-hide_banner', '-encoders'], {
    file: 'ffmpeg',
    what: 'encoder list',
    timeoutMs: 20_000,
  }).then((r) => r.stdout.toString('utf8'))
  const encoders = await encoderList
  if (/\blibx264\b/.test(encoders))
    return {
      ext: 'mp4',
      video: ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '26', '-pix_fmt', 'yuv420p'],
      audio: ['-c:a', 'aac', '-b:a', '128k'],
    }
  if (/\blibvpx-vp9\b/.test(encoders) && /\blibopus\b/.test(encoders))
    return {
      ext: 'webm',
      video: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-crf', '36', '-b:v', '0'],
      audio: ['-c:a', 'libopus', '-b:a', '96k'],
    }
  throw new Error('this ffmpeg has neither libx264 nor libvpx-vp9 + libopus: no playable proxy can be made')
}

/** Where the proxy of a media file (by content hash) lives, finished or not. */
export function proxyPath(sha256: string, ext: string): string {
  const key = sha256.replace(/^sha256:/, '')
  return path.join(cacheDir(), 'proxies', key.slice(0, 2), `${key}.${ext}`)
}

/** The finished proxy of a media file, or null when none is cached. */
export async function cachedProxy(sha256: string): Promise<string | null> {
  for (const ext of ['mp4', 'webm']) {
    const p = proxyPath(sha256, ext)
    try {
      if ((await stat(p)).size > 0) return p
    } catch {
      /* not cached in this format */
    }
  }
  return null
}

export interface MakeProxyOptions {
  signal?: AbortSignal
  onProgress?: (fraction: number) => void
}

/**
 * Encodes the playable proxy of `file` into the cache (temp file, renamed when complete: a
 * cancelled or failed run leaves nothing behind) and returns its path. Cached: a second call is free.
 */
export async function makeProxy(
  file: string,
  sha256: string,
  probe: Pick<MediaProbe, 'audio' | 'video' | 'durationSec'>,
  opts: MakeProxyOptions = {},
): Promise<string> {
  const cached = await cachedProxy(sha256)
  if (cached) return cached
  const fmt = await proxyFormat()
  const out = proxyPath(sha256, fmt.ext)
  await mkdir(path.dirname(out), { recursive: true })
  const tmp = `${out}.${process.pid}.${Date.now()}.part`
  const args = [
    '-nostdin',
    '-hide_banner',
    '-i',
    ffmpegInputPath(file),
    ...(probe.video
      ? // Even sizes (yuv420p), never upscaled.
        ['-map', '0:v:0', '-vf', `scale=-2:'min(${PROXY_MAX_HEIGHT},ih)'`, ...fmt.video]
      : ['-vn']),
    ...(probe.audio ? ['-map', '0:a:0', ...fmt.audio, '-ac', '2'] : ['-an']),
    '-sn',
    '-dn',
    ...(fmt.ext === 'mp4' ? ['-movflags', '+faststart'] : []),
    '-f',
    fmt.ext,
    '-y',
    tmp,
  ]
  try {
    await checkInputFile(file)
    const r = await runTool('ffmpeg', args, {
      file,
      signal: opts.signal,
      what: 'playback proxy encoding',
      onProgress: opts.onProgress,
      progressDurationSec: probe.durationSec,
    })
    if (r.exitCode !== 0) throw await runFailure(file, r, 'playback proxy encoding')
    await rename(tmp, out)
    opts.onProgress?.(1)
    return out
  } finally {
    await rm(tmp, { force: true })
  }
}
