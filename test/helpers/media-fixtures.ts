/**
 * Test media generated on the fly with espeak-ng and ffmpeg (never committed): speech with known
 * silences muxed with synthetic video, variants without audio / audio only / with an embedded
 * subtitle stream / with a sidecar .srt, and a set of broken inputs. Generated files are cached
 * under os.tmpdir()/fws-media-fixtures keyed by their options, so test files (and reruns) share them.
 *
 * The known speech intervals are exact: each phrase is synthesised alone, trimmed to its first and
 * last audible sample, and placed at a chosen time in a track assembled here.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { ffmpegTools } from '../../src-main/engine/media/ffmpeg-locate'
import { floatToPcm16, parseWav16, pcm16ToFloat, wav16Bytes } from '../../src-main/engine/media/wav'

const run = promisify(execFile)
const FIXTURE_VERSION = 4

export interface SpeechInterval {
  start: number
  end: number
  text: string
}

export interface SpeechVideoOptions {
  /** Phrases spoken in turn (cycled when durationSec asks for more). */
  phrases?: string[]
  /** Silence between phrases in seconds (cycled). Default [1.2, 0.9, 1.6, 1.0]. */
  gapsSec?: number[]
  /** Silence before the first phrase. Default 1.0. */
  leadSec?: number
  /** Total length; phrases repeat until it is filled (default: the phrases once + 1 s tail). */
  durationSec?: number
  /** Default true. false = a video with no audio stream. */
  audio?: boolean
  /** Default true. false = audio only (an .m4a). */
  video?: boolean
  width?: number
  height?: number
  fps?: number
  /** x264 preset (default ultrafast: fast to generate). */
  preset?: string
  /** Mux the phrases as a subtitle stream (mov_text in .mp4, subrip in .mkv). */
  embeddedSubs?: boolean
  /** Write a sidecar subtitle file with the phrases next to the video. */
  sidecar?: 'srt' | 'vtt'
  container?: 'mp4' | 'mkv'
  /** File name of the video when copied into a directory (unicode and spaces welcome). */
  name?: string
  /** Steady background noise amplitude (0..1) under the whole track. Default 0.003. */
  noise?: number
  /** espeak-ng words per minute. Default 160. */
  wpm?: number
}

export interface SpeechVideo {
  file: string
  durationSec: number
  /** Where speech really is (seconds) and what is said. */
  speech: SpeechInterval[]
  sidecar: string | null
  /** The SRT text written as sidecar / embedded stream (cue times = speech intervals, ms-rounded). */
  srt: string
}

export const DEFAULT_PHRASES = [
  'The quick brown fox jumps over the lazy dog.',
  'Please open the window before the meeting starts.',
  'We measured the temperature every morning at seven.',
  'Nobody expected the results to be this clear.',
  'Turn left at the bakery and walk two more blocks.',
  'Her answer surprised everyone in the room.',
]

export function fixtureCacheDir(): string {
  return path.join(os.tmpdir(), 'fws-media-fixtures')
}

function keyOf(kind: string, opts: object): string {
  return createHash('sha1')
    .update(JSON.stringify({ kind, v: FIXTURE_VERSION, opts }))
    .digest('hex')
    .slice(0, 16)
}

/** Build `kind` into a fresh directory once; concurrent builders race harmlessly (first rename wins). */
async function cached<T>(
  kind: string,
  opts: object,
  build: (dir: string) => Promise<T>,
): Promise<{ dir: string; meta: T }> {
  const root = fixtureCacheDir()
  const dir = path.join(root, `${kind}-${keyOf(kind, opts)}`)
  const metaFile = path.join(dir, 'meta.json')
  if (existsSync(metaFile)) return { dir, meta: JSON.parse(await readFile(metaFile, 'utf8')) as T }
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`
  await mkdir(tmp, { recursive: true })
  try {
    const meta = await build(tmp)
    await writeFile(path.join(tmp, 'meta.json'), JSON.stringify(meta))
    try {
      await rename(tmp, dir)
    } catch {
      /* another process finished first: use its copy */
    }
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
  return { dir, meta: JSON.parse(await readFile(metaFile, 'utf8')) as T }
}

function ff(): string {
  return ffmpegTools().ffmpeg.path
}

/** One phrase synthesised by espeak-ng, trimmed to its audible part. Cached per (text, wpm). */
async function phraseAudio(text: string, wpm: number): Promise<{ rate: number; samples: Float32Array }> {
  const { dir } = await cached('phrase', { text, wpm }, async (d) => {
    await run('espeak-ng', ['-v', 'en-us', '-s', String(wpm), '-w', path.join(d, 'p.wav'), text])
    return { text }
  })
  const wav = parseWav16(await readFile(path.join(dir, 'p.wav')))
  const { rate } = wav
  const samples = pcm16ToFloat(wav.pcm)
  const thr = 0.01
  let a = 0
  while (a < samples.length && Math.abs(samples[a]!) < thr) a++
  let b = samples.length - 1
  while (b > a && Math.abs(samples[b]!) < thr) b--
  return { rate, samples: samples.slice(a, b + 1) }
}

function srtTime(t: number): string {
  const ms = Math.round(t * 1000)
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor((ms % 3_600_000) / 60_000)
  const s = Math.floor((ms % 60_000) / 1000)
  const pad = (x: number, n = 2) => String(x).padStart(n, '0')
  return `${pad(h)}:${pad(m)}:${pad(s)},${pad(ms % 1000, 3)}`
}

/** SRT text for intervals (times rounded to the millisecond). */
export function toSrt(cues: readonly SpeechInterval[]): string {
  return cues.map((c, i) => `${i + 1}\n${srtTime(c.start)} --> ${srtTime(c.end)}\n${c.text}\n`).join('\n')
}

/** WebVTT text for intervals. */
export function toVtt(cues: readonly SpeechInterval[]): string {
  return (
    'WEBVTT\n\n' +
    cues
      .map(
        (c) => `${srtTime(c.start).replace(',', '.')} --> ${srtTime(c.end).replace(',', '.')}\n${c.text}\n`,
      )
      .join('\n')
  )
}

/** Deterministic pseudo-random noise so fixtures are identical across runs. */
function noiseGen(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32 - 0.5
  }
}

interface SpeechMeta {
  durationSec: number
  speech: SpeechInterval[]
  srt: string
  vtt: string
  file: string
}

/**
 * A video (or audio-only file) with espeak-ng speech at known times. With `dir`, the files are
 * copied there under `opts.name` (plus the sidecar beside it); otherwise the cached files are
 * returned directly (treat them as read-only).
 */
export async function makeSpeechVideo(
  dir: string | null,
  opts: SpeechVideoOptions = {},
): Promise<SpeechVideo> {
  const o = {
    phrases: opts.phrases ?? DEFAULT_PHRASES,
    gapsSec: opts.gapsSec ?? [1.2, 0.9, 1.6, 1.0],
    leadSec: opts.leadSec ?? 1.0,
    durationSec: opts.durationSec ?? null,
    audio: opts.audio ?? true,
    video: opts.video ?? true,
    width: opts.width ?? 320,
    height: opts.height ?? 240,
    fps: opts.fps ?? 25,
    preset: opts.preset ?? 'ultrafast',
    embeddedSubs: opts.embeddedSubs ?? false,
    container: opts.container ?? 'mp4',
    noise: opts.noise ?? 0.003,
    wpm: opts.wpm ?? 160,
  }
  if (!o.audio && !o.video) throw new Error('makeSpeechVideo: a file needs audio or video')
  const { dir: cdir, meta } = await cached<SpeechMeta>('speech', o, async (d) => {
    // Assemble the track at espeak-ng's rate.
    const parts = await Promise.all(
      [...new Set(o.phrases)].map(async (t) => [t, await phraseAudio(t, o.wpm)] as const),
    )
    const byText = new Map(parts)
    const rate = parts[0]![1].rate
    const speech: SpeechInterval[] = []
    let t = o.leadSec
    for (let i = 0; ; i++) {
      const text = o.phrases[i % o.phrases.length]!
      const len = byText.get(text)!.samples.length / rate
      if (o.durationSec !== null ? t + len + 0.5 > o.durationSec : i >= o.phrases.length) break
      speech.push({ start: t, end: t + len, text })
      t += len + o.gapsSec[i % o.gapsSec.length]!
    }
    const durationSec = o.durationSec ?? speech.at(-1)!.end + 1.0
    const track = new Float32Array(Math.round(durationSec * rate))
    const noise = noiseGen(42)
    for (let i = 0; i < track.length; i++) track[i] = o.noise * 2 * noise()
    for (const s of speech) {
      const samples = byText.get(s.text)!.samples
      const at = Math.round(s.start * rate)
      for (let i = 0; i < samples.length && at + i < track.length; i++) track[at + i]! += samples[i]!
      // Exact times of the placed samples (rounded to the sample grid).
      s.start = at / rate
      s.end = (at + samples.length) / rate
    }
    const srt = toSrt(speech)
    const vtt = toVtt(speech)
    await writeFile(path.join(d, 'speech.wav'), wav16Bytes(rate, floatToPcm16(track)))
    await writeFile(path.join(d, 'subs.srt'), srt)
    const ext = !o.video ? 'm4a' : o.container
    const out = path.join(d, `media.${ext}`)
    const args = ['-nostdin', '-v', 'error', '-y']
    if (o.video)
      args.push(
        '-f',
        'lavfi',
        '-i',
        `testsrc=size=${o.width}x${o.height}:rate=${o.fps}:duration=${durationSec}`,
      )
    if (o.audio) args.push('-i', path.join(d, 'speech.wav'))
    if (o.embeddedSubs && o.video) args.push('-i', path.join(d, 'subs.srt'))
    let idx = 0
    if (o.video) args.push('-map', `${idx++}:v`)
    if (o.audio) args.push('-map', `${idx++}:a`)
    if (o.embeddedSubs && o.video) args.push('-map', `${idx}:s`, '-metadata:s:s:0', 'language=eng')
    if (o.video)
      args.push('-c:v', 'libx264', '-preset', o.preset, '-pix_fmt', 'yuv420p', '-g', String(o.fps * 2))
    // AAC in Matroska has no edit list for the encoder's priming delay, and the muxer then shifts
    // every stream by it (46 ms): FLAC there keeps the known times exact.
    if (o.audio)
      args.push(...(o.container === 'mkv' && o.video ? ['-c:a', 'flac'] : ['-c:a', 'aac', '-b:a', '64k']))
    if (o.embeddedSubs && o.video) args.push('-c:s', o.container === 'mp4' ? 'mov_text' : 'srt')
    args.push('-t', String(durationSec), out)
    await run(ff(), args, { maxBuffer: 1 << 24 })
    return { durationSec, speech, srt, vtt, file: path.basename(out) }
  })
  let file = path.join(cdir, meta.file)
  let sidecar: string | null = null
  if (dir) {
    await mkdir(dir, { recursive: true })
    const name = opts.name ?? meta.file
    const target = path.join(dir, name)
    await copyFile(file, target)
    file = target
  }
  if (opts.sidecar) {
    if (!dir) throw new Error('makeSpeechVideo: a sidecar needs a target directory')
    sidecar = path.join(path.dirname(file), path.basename(file, path.extname(file)) + '.' + opts.sidecar)
    await writeFile(sidecar, opts.sidecar === 'srt' ? meta.srt : meta.vtt)
  }
  return { file, durationSec: meta.durationSec, speech: meta.speech, sidecar, srt: meta.srt }
}

export interface BadFiles {
  /** A path that does not exist. */
  missing: string
  /** A directory whose name ends in .mp4. */
  directory: string
  empty: string
  /** Plain text saved as .mp4. */
  textAsMp4: string
  /** The first 40 % of a real MP4 whose index (moov) is at the end. */
  truncatedMp4: string
  /** Random bytes saved as .srt. */
  binarySrt: string
  /** An .srt with an unreadable time line (line 6). */
  malformedSrt: string
}

/** A set of broken inputs in `dir`, each a different failure the engine must name. */
export async function makeBadFiles(dir: string): Promise<BadFiles> {
  await mkdir(dir, { recursive: true })
  const { dir: cdir } = await cached('small-mp4', {}, async (d) => {
    await run(ff(), [
      '-nostdin',
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=25:duration=3',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=44100:duration=3',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
      '-shortest',
      path.join(d, 'ok.mp4'),
    ])
    return {}
  })
  const ok = await readFile(path.join(cdir, 'ok.mp4'))
  const files: BadFiles = {
    missing: path.join(dir, 'does not exist.mp4'),
    directory: path.join(dir, 'folder.mp4'),
    empty: path.join(dir, 'empty.mp4'),
    textAsMp4: path.join(dir, 'notes.mp4'),
    truncatedMp4: path.join(dir, 'truncated.mp4'),
    binarySrt: path.join(dir, 'binary.srt'),
    malformedSrt: path.join(dir, 'malformed.srt'),
  }
  await mkdir(files.directory, { recursive: true })
  await writeFile(files.empty, '')
  await writeFile(files.textAsMp4, 'These are my notes about the interview.\nNot a video at all.\n')
  await writeFile(files.truncatedMp4, ok.subarray(0, Math.floor(ok.length * 0.4)))
  const noise = noiseGen(7)
  await writeFile(
    files.binarySrt,
    Buffer.from(Array.from({ length: 2048 }, () => Math.floor((noise() + 0.5) * 256))),
  )
  await writeFile(
    files.malformedSrt,
    '1\n00:00:01,000 --> 00:00:02,000\nHello\n\n2\n00:00:03,000 -> 00:0x:04,000\nBroken arrow\n',
  )
  return files
}
