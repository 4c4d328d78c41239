import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { AUDIO_SAMPLE_RATE, decodeAudio, readAudio } from '../../../src-main/engine/media/audio'
import { isMediaError } from '../../../src-main/engine/media/errors'
import { ffmpegTools } from '../../../src-main/engine/media/ffmpeg-locate'
import { makeBadFiles, makeSpeechVideo, type SpeechVideo } from '../../helpers/media-fixtures'

let video: SpeechVideo
let dir: string
beforeAll(async () => {
  video = await makeSpeechVideo(null, {})
  dir = await mkdtemp(path.join(os.tmpdir(), 'fws-audio-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

function rms(x: Float32Array, from: number, to: number): number {
  const a = Math.max(0, Math.round(from * AUDIO_SAMPLE_RATE))
  const b = Math.min(x.length, Math.round(to * AUDIO_SAMPLE_RATE))
  let s = 0
  for (let i = a; i < b; i++) s += x[i]! * x[i]!
  return Math.sqrt(s / Math.max(1, b - a))
}

describe('decodeAudio', () => {
  it('streams 16 kHz mono float32 whose loud parts are the known speech', async () => {
    const progress: number[] = []
    const chunks: Float32Array[] = []
    for await (const c of decodeAudio(video.file, { onProgress: (f) => progress.push(f) })) chunks.push(c)
    expect(chunks.length).toBeGreaterThan(1)
    const n = chunks.reduce((a, c) => a + c.length, 0)
    expect(Math.abs(n / AUDIO_SAMPLE_RATE - video.durationSec)).toBeLessThan(0.1)
    const all = new Float32Array(n)
    let o = 0
    for (const c of chunks) {
      all.set(c, o)
      o += c.length
    }
    for (const s of video.speech) {
      expect(rms(all, s.start + 0.2, s.end - 0.2)).toBeGreaterThan(0.03)
      expect(rms(all, s.start - 0.6, s.start - 0.1)).toBeLessThan(0.01)
    }
    // Progress: monotonic, within (0, 1], ending at exactly 1.
    expect(progress.at(-1)).toBe(1)
    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThan(progress[i - 1]!)
    expect(progress.every((f) => f > 0 && f <= 1)).toBe(true)
  })

  it('gives exactly the samples of a plain ffmpeg decode (the frame batching pads nothing)', async () => {
    const plain = path.join(dir, 'plain.f32')
    execFileSync(ffmpegTools().ffmpeg.path, [
      ...[
        '-nostdin',
        '-v',
        'error',
        '-i',
        video.file,
        '-map',
        '0:a:0',
        '-ac',
        '1',
        '-ar',
        String(AUDIO_SAMPLE_RATE),
      ],
      ...['-acodec', 'pcm_f32le', '-f', 'f32le', '-y', plain],
    ])
    const b = await readFile(plain)
    const ref = new Float32Array(b.buffer, b.byteOffset, b.length / 4)
    const got = await readAudio(video.file)
    expect(got.length).toBe(ref.length)
    expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(b)).toBe(true)
  })

  it('decodes a range sample-aligned with the full decode', async () => {
    const full = await readAudio(video.file)
    const part = await readAudio(video.file, { start: 5, end: 7.5 })
    expect(part.length).toBe(2.5 * AUDIO_SAMPLE_RATE)
    // Seeking is sample accurate up to the resampler's filter state: compare the waveform shape.
    const ref = full.subarray(5 * AUDIO_SAMPLE_RATE + 800, 7.5 * AUDIO_SAMPLE_RATE - 800)
    const got = part.subarray(800, part.length - 800)
    let num = 0
    let da = 0
    let db = 0
    for (let i = 0; i < ref.length; i++) {
      num += ref[i]! * got[i]!
      da += ref[i]! ** 2
      db += got[i]! ** 2
    }
    expect(num / Math.sqrt(da * db)).toBeGreaterThan(0.98)
  })

  it('names the problem: no audio stream, bad range, bad files', async () => {
    const silent = await makeSpeechVideo(null, { audio: false })
    await expect(readAudio(silent.file)).rejects.toMatchObject({ code: 'NO_AUDIO', file: silent.file })
    await expect(readAudio(video.file, { start: 3, end: 2 })).rejects.toMatchObject({ code: 'BAD_OPTIONS' })
    const bad = await makeBadFiles(dir)
    await expect(readAudio(bad.missing)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(readAudio(bad.directory)).rejects.toMatchObject({ code: 'IS_DIRECTORY' })
    await expect(readAudio(bad.empty)).rejects.toMatchObject({ code: 'EMPTY_FILE' })
    await expect(readAudio(bad.textAsMp4)).rejects.toMatchObject({ code: 'NOT_MEDIA' })
    await expect(readAudio(bad.truncatedMp4)).rejects.toMatchObject({ code: 'TRUNCATED' })
  })

  it('decodes audio-only files', async () => {
    const a = await makeSpeechVideo(null, { video: false })
    const pcm = await readAudio(a.file, { start: a.speech[0]!.start, end: a.speech[0]!.end })
    expect(rms(pcm, 0, pcm.length / AUDIO_SAMPLE_RATE)).toBeGreaterThan(0.03)
  })

  it('keeps memory flat: ffmpeg waits for a slow consumer (backpressure)', async () => {
    const long = await makeSpeechVideo(null, { durationSec: 180, video: false })
    const gen = decodeAudio(long.file)
    const base = process.memoryUsage().arrayBuffers
    expect((await gen.next()).done).toBe(false)
    // ffmpeg decodes this in ~0.2 s; without backpressure all 11.5 MB would now sit in buffers.
    await new Promise((r) => setTimeout(r, 600))
    const held = process.memoryUsage().arrayBuffers - base
    expect(held).toBeLessThan(4 * 1024 * 1024)
    let n = 0
    for await (const c of gen) n += c.length
    expect(n / AUDIO_SAMPLE_RATE).toBeGreaterThan(178)
  })

  it('cancellation ends with CANCELLED', async () => {
    const ac = new AbortController()
    let err: unknown = null
    try {
      for await (const _ of decodeAudio(video.file, { signal: ac.signal })) ac.abort()
    } catch (e) {
      err = e
    }
    expect(isMediaError(err, 'CANCELLED')).toBe(true)
  })
})
