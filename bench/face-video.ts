/**
 * Generates talking-head-like footage for batch tests and the batch benchmark: real synthetic
 * speech (espeak-ng, one sentence per cue, pauses between), a still picture (a real face photo from
 * face-api's demo folder, or a test pattern), H.264 + AAC in MP4, and a matching .srt sidecar.
 * Nothing is committed: every run builds its media from these tools.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { requireDataFile } from '../src-main/engine/datasets'
import { parseWav16, wav16Bytes } from '../src-main/engine/media/wav'

const run = promisify(execFile)
const require = createRequire(import.meta.url)

export interface Cue {
  start: number
  end: number
  text: string
}

export interface SpeechVideoOptions {
  sentences: string[]
  /** Stop adding sentences once the speech track reaches this many seconds (default: all sentences once). */
  durationSec?: number
  /** Pause between sentences (s). */
  gapSec?: number
  /** Picture: a path to an image, or 'pattern' for ffmpeg's testsrc2; null = audio only (.m4a). */
  image?: string | 'pattern' | null
  width?: number
  height?: number
  fps?: number
  /** Write `<file without ext>.srt` next to the media. */
  srt?: boolean
}

/** A face photo shipped inside @vladmandic/face-api (demo images), usable as a "face-like" picture. */
export function faceImage(): string {
  return path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg')
}

/** English sentences from Multi30K validation when the data lookup finds it, else a fixed list. */
export function englishSentences(n: number): string[] {
  const fixed = [
    'A man in a blue shirt is standing on a ladder cleaning windows.',
    'Two young girls are playing with a ball in the park.',
    'A woman is walking her dog along the beach at sunset.',
    'The children are laughing at the clown in the red hat.',
    'A group of people are sitting around a table eating dinner.',
    'An old man is reading a newspaper on a wooden bench.',
    'A dog is running through the snow with a stick in its mouth.',
    'Three men are working on the roof of a house.',
  ]
  try {
    const zlib = require('node:zlib') as typeof import('node:zlib')
    const text = zlib.gunzipSync(readFileSync(requireDataFile('multi30k', 'val.en.gz'))).toString('utf8')
    const lines = text.split('\n').filter((l) => l.trim())
    return Array.from({ length: n }, (_, i) => lines[i % lines.length]!.trim())
  } catch {
    return Array.from({ length: n }, (_, i) => fixed[i % fixed.length]!)
  }
}

function srtTime(sec: number): string {
  const ms = Math.round(sec * 1000)
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${p(Math.floor(ms / 3_600_000))}:${p(Math.floor((ms % 3_600_000) / 60_000))}:${p(Math.floor((ms % 60_000) / 1000))},${p(ms % 1000, 3)}`
}

export function formatSrt(cues: Cue[]): string {
  return cues.map((c, i) => `${i + 1}\n${srtTime(c.start)} --> ${srtTime(c.end)}\n${c.text}\n`).join('\n')
}

/**
 * Makes `out` (.mp4 with picture, or .m4a when `image` is null) with espeak-ng speech of the
 * sentences, and returns the cue times. With `srt`, writes the matching sidecar.
 */
export async function makeSpeechVideo(
  out: string,
  o: SpeechVideoOptions,
): Promise<{ file: string; srt: string | null; cues: Cue[]; durationSec: number }> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-speech-'))
  try {
    const gap = o.gapSec ?? 0.8
    const cues: Cue[] = []
    const parts: Int16Array[] = []
    let rate = 22050
    let t = 0.5
    parts.push(new Int16Array(Math.round(rate * 0.5)))
    for (let i = 0; i < o.sentences.length; i++) {
      if (o.durationSec !== undefined && t >= o.durationSec - 4) break
      const wav = path.join(tmp, `s${i}.wav`)
      await run('espeak-ng', ['-s', '165', '-w', wav, o.sentences[i]!])
      const w = parseWav16(readFileSync(wav))
      rate = w.rate
      parts.push(w.pcm, new Int16Array(Math.round(rate * gap)))
      const len = w.pcm.length / rate
      cues.push({ start: t, end: t + len, text: o.sentences[i]! })
      t += len + gap
    }
    const total = o.durationSec ?? t
    const all = new Int16Array(Math.round(total * rate))
    let at = 0
    for (const p of parts) {
      if (at >= all.length) break
      all.set(p.subarray(0, all.length - at), at)
      at += p.length
    }
    const speech = path.join(tmp, 'speech.wav')
    writeFileSync(speech, wav16Bytes(rate, all))
    const w = o.width ?? 640
    const h = o.height ?? 360
    const fps = o.fps ?? 25
    const args = ['-hide_banner', '-loglevel', 'error', '-y']
    if (o.image === null) args.push('-i', speech, '-c:a', 'aac', '-b:a', '64k', out)
    else {
      if (o.image === 'pattern' || o.image === undefined)
        args.push('-f', 'lavfi', '-i', `testsrc2=size=${w}x${h}:rate=${fps}`)
      else {
        // Scale the photo once: decoding and scaling a large JPEG for every output frame is slow.
        const still = path.join(tmp, 'still.png')
        await run('ffmpeg', [
          '-hide_banner',
          '-loglevel',
          'error',
          '-y',
          '-i',
          o.image,
          '-vf',
          `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2`,
          still,
        ])
        args.push('-loop', '1', '-framerate', String(fps), '-i', still)
      }
      args.push(
        '-i',
        speech,
        '-t',
        String(total),
        '-vf',
        `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,format=yuv420p`,
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-tune',
        'stillimage',
        '-g',
        String(fps * 4),
        '-c:a',
        'aac',
        '-b:a',
        '64k',
        '-shortest',
        out,
      )
    }
    await run('ffmpeg', args, { maxBuffer: 1 << 24 })
    let srt: string | null = null
    if (o.srt) {
      srt = out.replace(/\.[^.]+$/, '.srt')
      writeFileSync(srt, formatSrt(cues))
    }
    return { file: out, srt, cues, durationSec: total }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}
