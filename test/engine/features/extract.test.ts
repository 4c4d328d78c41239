// extractFeatures end to end on real media made with ffmpeg + espeak-ng: masks for each missing
// modality, the cache (hits counted, not timed), bad input and cancellation.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ffmpegTools } from '../../../src-main/engine/media/ffmpeg-locate'
import { extractFeatures, planSpans } from '../../../src-main/engine/features/extract'
import {
  featureCacheDir,
  featureCacheStats,
  fileFingerprint,
  resetFeatureCacheStats,
} from '../../../src-main/engine/features/cache'
import {
  AUDIO_DIM,
  EXTRACTOR_VERSION,
  VIS_EXPRESSIONS,
  VIS_FACE_MISSING,
  VISUAL_DIM,
} from '../../../src-main/engine/features/types'
import { faceSpeechVideo, testPhotos, type FaceSpeechVideo } from './fixtures'

let tmp: string
let video: FaceSpeechVideo
let audioOnly: string
let silentVideo: string
const savedCacheEnv = process.env.FWS_CACHE_DIR

const UTTS = [
  { id: 'speech', start: 0.2, end: 2.8, text: 'Hello there, this is a test of the feature extractor.' },
  { id: 'pattern', start: 3.2, end: 5.8 },
  { id: 'short', start: 1.0, end: 1.2, text: '  ' },
]

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-features-'))
  process.env.FWS_CACHE_DIR = path.join(tmp, 'cache')
  video = await faceSpeechVideo(testPhotos().face)
  const ff = ffmpegTools().ffmpeg.path
  audioOnly = path.join(tmp, 'tone.wav')
  execFileSync(ff, [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=220:duration=2',
    '-ar',
    '16000',
    audioOnly,
  ])
  silentVideo = path.join(tmp, 'pattern.mp4')
  execFileSync(ff, [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x240:rate=10:duration=2',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    silentVideo,
  ])
})

afterAll(() => {
  if (savedCacheEnv === undefined) delete process.env.FWS_CACHE_DIR
  else process.env.FWS_CACHE_DIR = savedCacheEnv
  rmSync(tmp, { recursive: true, force: true })
})

describe('extractFeatures', () => {
  it('gives each utterance its audio and visual sequences with the right masks', async () => {
    const progress: number[] = []
    const out = await extractFeatures(video.file, UTTS, { cache: false, onProgress: (f) => progress.push(f) })
    expect(out.map((u) => u.utteranceId)).toEqual(['speech', 'pattern', 'short'])
    const [speech, pattern, short] = out as [(typeof out)[0], (typeof out)[0], (typeof out)[0]]
    for (const u of out) {
      expect(u.extractorVersion).toBe(EXTRACTOR_VERSION)
      expect(u.audio.dims).toBe(AUDIO_DIM)
      expect(u.visual.dims).toBe(VISUAL_DIM)
      expect(u.audio.seq.length).toBe(u.audio.frames * AUDIO_DIM)
      expect(u.visual.seq.length).toBe(u.visual.frames * VISUAL_DIM)
    }
    // 2.6 s at 10 ms hop: 1 + floor((41600 − 400) / 160) = 258 frames.
    expect(speech.audio.frames).toBe(258)
    expect(speech.audio.present).toBe(true)
    expect(speech.textPresent).toBe(true)
    // Face photo on screen during speech: face found on every sampled frame (2 fps from 0.2 s: 6 frames).
    expect(speech.visual.frames).toBe(6)
    expect(speech.visual.facePresent).toBe(true)
    expect(speech.visual.pooled[VIS_FACE_MISSING]).toBe(0)
    expect(speech.visual.pooled[VIS_EXPRESSIONS + 1]!).toBeGreaterThan(0.5) // smiling
    for (const t of speech.visual.times) expect(t >= 0.2 && t < 2.8).toBe(true)
    // Test pattern over digital silence: audio masked, visual present without a face.
    expect(pattern.audio.present).toBe(false)
    expect(Array.from(pattern.audio.pooled).every((v) => v === 0)).toBe(true)
    expect(pattern.visual.present).toBe(true)
    expect(pattern.visual.facePresent).toBe(false)
    expect(pattern.visual.pooled[VIS_FACE_MISSING]).toBe(1)
    expect(pattern.textPresent).toBe(false)
    // 0.2 s utterance between two 2 fps samples still gets the frame nearest its middle.
    expect(short.visual.frames).toBe(1)
    expect(short.textPresent).toBe(false)
    expect(short.audio.frames).toBe(18)
    // Progress is monotonic and ends at 1.
    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThanOrEqual(progress[i - 1]!)
    expect(progress.at(-1)).toBe(1)
  })

  it('masks visual for an audio-only file and audio for a video without sound', async () => {
    const [a] = await extractFeatures(audioOnly, [{ id: 'a', start: 0.5, end: 1.5 }], { cache: false })
    expect(a!.audio.present).toBe(true)
    expect(a!.visual.present).toBe(false)
    expect(a!.visual.frames).toBe(0)
    const [v] = await extractFeatures(silentVideo, [{ id: 'v', start: 0, end: 1.5 }], { cache: false })
    expect(v!.audio.present).toBe(false)
    expect(v!.audio.frames).toBe(0)
    expect(v!.visual.present).toBe(true)
    expect(v!.visual.facePresent).toBe(false)
    expect(v!.visual.frames).toBe(3)
    // Utterances past the end of the media: nothing to read, both masked (no borrowed frame).
    const [late] = await extractFeatures(audioOnly, [{ id: 'late', start: 3, end: 4 }], { cache: false })
    expect(late!.audio).toMatchObject({ frames: 0, present: false })
    const [lateV] = await extractFeatures(silentVideo, [{ id: 'late', start: 2.5, end: 4 }], { cache: false })
    expect(lateV!.visual).toMatchObject({ frames: 0, present: false, facePresent: false })
  })

  it('hits the cache on the second run (counted), misses only the utterance whose bounds changed', async () => {
    resetFeatureCacheStats()
    const first = await extractFeatures(video.file, UTTS)
    expect(featureCacheStats).toEqual({ hits: 0, misses: 3, writes: 3 })
    const files = readdirSync(featureCacheDir(), { recursive: true }).filter((f) =>
      String(f).endsWith('.fwsf'),
    )
    expect(files.length).toBe(3)
    expect(featureCacheDir().startsWith(path.join(tmp, 'cache'))).toBe(true)

    const second = await extractFeatures(video.file, UTTS)
    expect(featureCacheStats).toEqual({ hits: 3, misses: 3, writes: 3 })
    for (let i = 0; i < 3; i++) {
      expect(second[i]!.audio.seq).toEqual(first[i]!.audio.seq)
      expect(second[i]!.visual.seq).toEqual(first[i]!.visual.seq)
      expect(second[i]!.visual.pooled).toEqual(first[i]!.visual.pooled)
      expect(second[i]!.visual.facePresent).toBe(first[i]!.visual.facePresent)
      expect(second[i]!.audio.present).toBe(first[i]!.audio.present)
      expect(second[i]!.text).toBe(UTTS[i]!.text ?? '')
    }

    const moved = UTTS.map((u) => (u.id === 'pattern' ? { ...u, end: 5.5 } : u))
    await extractFeatures(video.file, moved)
    expect(featureCacheStats).toEqual({ hits: 5, misses: 4, writes: 4 })

    // cache: false neither reads nor writes.
    await extractFeatures(video.file, UTTS, { cache: false })
    expect(featureCacheStats).toEqual({ hits: 5, misses: 4, writes: 4 })
    // An audio-only run has its own keys (its empty visual part must not serve a full run).
    const audioOnlyRun = await extractFeatures(video.file, UTTS.slice(0, 1), { noVisual: true })
    expect(audioOnlyRun[0]!.visual.present).toBe(false)
    expect(featureCacheStats).toEqual({ hits: 5, misses: 5, writes: 5 })
    const full = await extractFeatures(video.file, UTTS.slice(0, 1))
    expect(full[0]!.visual.facePresent).toBe(true)
    expect(featureCacheStats).toEqual({ hits: 6, misses: 5, writes: 5 })
  })

  it('treats a truncated cache entry as a miss and rewrites it', async () => {
    const dir = featureCacheDir()
    const entries = readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.fwsf'))
    for (const e of entries) truncateSync(path.join(dir, e), 20)
    resetFeatureCacheStats()
    const out = await extractFeatures(video.file, UTTS.slice(0, 1))
    expect(featureCacheStats.misses).toBe(1)
    expect(featureCacheStats.writes).toBe(1)
    expect(out[0]!.audio.frames).toBe(258)
  })

  it('rejects bad utterances and unreadable files with specific errors', async () => {
    await expect(extractFeatures(video.file, [{ id: 'x', start: 2, end: 1 }])).rejects.toThrow(
      /bad bounds \[2, 1\]/,
    )
    await expect(extractFeatures(video.file, [{ id: 'x', start: Number.NaN, end: 1 }])).rejects.toThrow(
      /bad bounds/,
    )
    await expect(
      extractFeatures(video.file, [
        { id: 'x', start: 0, end: 1 },
        { id: 'x', start: 1, end: 2 },
      ]),
    ).rejects.toThrow(/appears twice/)
    await expect(extractFeatures(video.file, [{ id: 'x', start: 0, end: 1 }], { fps: 0 })).rejects.toThrow(
      /fps/,
    )
    await expect(
      extractFeatures(path.join(tmp, 'missing.mp4'), [{ id: 'x', start: 0, end: 1 }]),
    ).rejects.toMatchObject({
      name: 'MediaError',
    })
    const notMedia = path.join(tmp, 'notes.mp4')
    writeFileSync(notMedia, 'this is not a video')
    await expect(extractFeatures(notMedia, [{ id: 'x', start: 0, end: 1 }])).rejects.toMatchObject({
      name: 'MediaError',
    })
  })

  it('stops on cancel with an AbortError, before and during extraction', async () => {
    const before = new AbortController()
    before.abort()
    await expect(
      extractFeatures(video.file, UTTS, { signal: before.signal, cache: false }),
    ).rejects.toMatchObject({
      name: 'AbortError',
    })
    const during = new AbortController()
    const p = extractFeatures(video.file, UTTS, {
      cache: false,
      signal: during.signal,
      onProgress: (_f, stage) => {
        if (stage === 'visual') during.abort()
      },
    })
    await expect(p).rejects.toMatchObject({ name: 'AbortError' })
  })
})

describe('planSpans', () => {
  it('groups nearby utterances into one decode span and splits at long gaps and the span limit', () => {
    const spans = planSpans([
      { id: 'c', start: 30, end: 31 },
      { id: 'a', start: 0, end: 2 },
      { id: 'b', start: 5, end: 8 },
      ...Array.from({ length: 30 }, (_, i) => ({ id: `l${i}`, start: 100 + i * 5, end: 104 + i * 5 })),
    ])
    expect(spans[0]!.items.map((u) => u.id)).toEqual(['a', 'b'])
    expect(spans[0]!.start).toBe(0)
    expect(spans[0]!.end).toBe(8)
    expect(spans[1]!.items.map((u) => u.id)).toEqual(['c'])
    for (const s of spans) expect(s.end - s.start).toBeLessThanOrEqual(120)
    expect(spans.slice(2).reduce((n, s) => n + s.items.length, 0)).toBe(30)
  })
})

describe('fileFingerprint', () => {
  it('hashes small files whole, samples big ones, and notices a change in a sampled block', async () => {
    const small = path.join(tmp, 'small.bin')
    writeFileSync(small, 'abc')
    expect(await fileFingerprint(small)).toBe(`sha256:${createHash('sha256').update('abc').digest('hex')}`)
    const big = path.join(tmp, 'big.bin')
    const buf = Buffer.alloc(9 << 20, 7)
    writeFileSync(big, buf)
    const a = await fileFingerprint(big)
    expect(a).toMatch(/^sampled-sha256:[0-9a-f]{64}$/)
    expect(await fileFingerprint(big, { full: true })).toBe(
      `sha256:${createHash('sha256').update(buf).digest('hex')}`,
    )
    buf[100] = 8 // inside the first MiB
    writeFileSync(big, buf)
    expect(await fileFingerprint(big)).not.toBe(a)
    writeFileSync(big, Buffer.concat([buf, Buffer.from([1])])) // size change
    expect(await fileFingerprint(big)).not.toBe(a)
  })
})
