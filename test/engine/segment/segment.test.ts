import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isMediaError } from '../../../src-main/engine/media/errors'
import { activeMediaProcesses } from '../../../src-main/engine/media/process'
import {
  findSidecar,
  segmentMedia,
  segmentMediaDetailed,
  utterancesFromCues,
  type Utterance,
} from '../../../src-main/engine/segment'
import {
  makeBadFiles,
  makeSpeechVideo,
  toSrt,
  type SpeechInterval,
  type SpeechVideo,
} from '../../helpers/media-fixtures'

let dir: string
let video: SpeechVideo
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fws-seg-'))
  video = await makeSpeechVideo(null, {})
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const ms = (t: number) => Math.round(t * 1000) / 1000

function expectExact(utts: Utterance[], speech: SpeechInterval[], source: Utterance['source']): void {
  expect(utts.map((u) => [u.start, u.end, u.text, u.source])).toEqual(
    speech.map((s) => [ms(s.start), ms(s.end), s.text, source]),
  )
  expect(utts.map((u) => u.id)).toEqual(speech.map((_, i) => `u${String(i + 1).padStart(4, '0')}`))
}

describe('segmentMedia with voice activity detection', () => {
  it('finds each known speech interval within 0.3 s, with monotonic progress ending at 1', async () => {
    const progress: number[] = []
    const r = await segmentMediaDetailed(video.file, { onProgress: (f) => progress.push(f) })
    expect(r.source).toBe('vad')
    expect(r.utterances).toHaveLength(video.speech.length)
    for (const [i, u] of r.utterances.entries()) {
      const s = video.speech[i]!
      expect(Math.abs(u.start - s.start), `start of ${i}`).toBeLessThanOrEqual(0.3)
      expect(Math.abs(u.end - s.end), `end of ${i}`).toBeLessThanOrEqual(0.3)
      expect(u).toMatchObject({ text: '', source: 'vad' })
    }
    expect(progress.length).toBeGreaterThan(2)
    expect(progress.at(-1)).toBe(1)
    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThan(progress[i - 1]!)
  })

  it('splits long speech at maxUtteranceSec and works on audio-only files', async () => {
    const a = await makeSpeechVideo(null, { video: false })
    const utts = await segmentMedia(a.file, { vad: { maxUtteranceSec: 1.5 } })
    expect(utts.length).toBeGreaterThan(a.speech.length)
    for (const u of utts) expect(u.end - u.start).toBeLessThanOrEqual(1.5 + 0.1 + 1e-6)
    // Every known speech interval is covered by utterances.
    for (const s of a.speech) {
      const covered = utts
        .filter((u) => u.end > s.start && u.start < s.end)
        .reduce((t, u) => t + Math.min(u.end, s.end) - Math.max(u.start, s.start), 0)
      expect(covered / (s.end - s.start)).toBeGreaterThan(0.9)
    }
  })

  it('cancellation stops within 1 s and leaves no ffmpeg running', async () => {
    const long = await makeSpeechVideo(null, { durationSec: 90, video: false })
    const ac = new AbortController()
    let abortedAt = 0
    const err = await segmentMedia(long.file, {
      signal: ac.signal,
      onProgress: (f) => {
        if (f > 0.1 && !abortedAt) {
          abortedAt = performance.now()
          ac.abort()
        }
      },
    }).then(
      () => null,
      (e: unknown) => e,
    )
    expect(abortedAt).toBeGreaterThan(0)
    expect(isMediaError(err, 'CANCELLED')).toBe(true)
    expect(performance.now() - abortedAt).toBeLessThan(1000)
    expect(activeMediaProcesses()).toEqual([])
  })
})

describe('segmentMedia from subtitles', () => {
  it('uses a sidecar .srt next to the video, exactly', async () => {
    const d = path.join(dir, 'sidecar dir ü')
    const v = await makeSpeechVideo(d, { name: 'interview 01 – ünï.mp4', sidecar: 'srt' })
    expect(await findSidecar(v.file)).toBe(v.sidecar)
    const r = await segmentMediaDetailed(v.file)
    expect(r.source).toBe('srt')
    expect(r.origin).toBe(v.sidecar)
    expectExact(r.utterances, v.speech, 'srt')
  })

  it('finds language-tagged and .vtt sidecars', async () => {
    const d = path.join(dir, 'tagged')
    const v = await makeSpeechVideo(d, { name: 'clip.mp4' })
    await writeFile(path.join(d, 'clip.de.srt'), toSrt(v.speech))
    await writeFile(path.join(d, 'clip.en.srt'), toSrt(v.speech))
    await writeFile(path.join(d, 'clipper.srt'), toSrt(v.speech))
    expect(await findSidecar(v.file)).toBe(path.join(d, 'clip.en.srt'))
    const d2 = path.join(dir, 'vtt')
    const v2 = await makeSpeechVideo(d2, { name: 'talk.mp4', sidecar: 'vtt' })
    expectExact(await segmentMedia(v2.file), v2.speech, 'vtt')
  })

  it('an explicit subtitle file wins over the sidecar; --vad wins over both', async () => {
    const d = path.join(dir, 'explicit')
    const v = await makeSpeechVideo(d, { name: 'a.mp4', sidecar: 'srt' })
    const given = path.join(d, 'other.csv')
    await writeFile(given, 'start,end,text\n1.25,2.5,first\n3,4,second\n')
    expect(await segmentMedia(v.file, { subs: given })).toEqual([
      { id: 'u0001', start: 1.25, end: 2.5, text: 'first', source: 'csv' },
      { id: 'u0002', start: 3, end: 4, text: 'second', source: 'csv' },
    ])
    const viaVad = await segmentMedia(v.file, { vad: true })
    expect(viaVad.every((u) => u.source === 'vad')).toBe(true)
    expect(viaVad).toHaveLength(v.speech.length)
  })

  it('reads an embedded subtitle stream (mov_text in MP4, SubRip in MKV)', async () => {
    for (const container of ['mp4', 'mkv'] as const) {
      const v = await makeSpeechVideo(null, { embeddedSubs: true, container })
      const r = await segmentMediaDetailed(v.file)
      expect(r.source).toBe('embedded')
      expect(r.origin).toBe('stream 2 (eng)')
      expectExact(r.utterances, v.speech, 'embedded')
    }
  })

  it('a video without audio is segmented from its subtitles, or fails clearly without them', async () => {
    const d = path.join(dir, 'silent')
    const withSrt = await makeSpeechVideo(d, { audio: false, sidecar: 'srt', name: 'silent.mp4' })
    expectExact(await segmentMedia(withSrt.file), withSrt.speech, 'srt')
    const embedded = await makeSpeechVideo(null, { audio: false, embeddedSubs: true })
    expectExact(await segmentMedia(embedded.file), embedded.speech, 'embedded')
    const bare = await makeSpeechVideo(null, { audio: false })
    const err = await segmentMedia(bare.file).then(
      () => null,
      (e: unknown) => e,
    )
    expect(isMediaError(err, 'NO_AUDIO')).toBe(true)
    expect((err as Error).message).toMatch(/has no audio stream and no subtitles/)
    await expect(segmentMedia(video.file, { vad: false })).rejects.toMatchObject({
      code: 'NO_AUDIO',
      message: expect.stringMatching(/turned off/),
    })
  })

  it('passes bad subtitle and media errors through with their codes', async () => {
    const bad = await makeBadFiles(path.join(dir, 'bad'))
    await expect(segmentMedia(video.file, { subs: bad.malformedSrt })).rejects.toMatchObject({
      code: 'BAD_SUBTITLE',
      line: 6,
    })
    await expect(segmentMedia(video.file, { subs: bad.binarySrt })).rejects.toMatchObject({
      code: 'BAD_ENCODING',
    })
    await expect(segmentMedia(video.file, { subs: bad.missing })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(segmentMedia(bad.textAsMp4)).rejects.toMatchObject({ code: 'NOT_MEDIA' })
    await expect(segmentMedia(bad.truncatedMp4)).rejects.toMatchObject({ code: 'TRUNCATED' })
    await expect(segmentMedia(bad.empty)).rejects.toMatchObject({ code: 'EMPTY_FILE' })
    await expect(segmentMedia(bad.directory)).rejects.toMatchObject({ code: 'IS_DIRECTORY' })
    await expect(segmentMedia(bad.missing)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('clips cues beyond the media end', async () => {
    const d = path.join(dir, 'beyond')
    await mkdir(d, { recursive: true })
    const subs = path.join(d, 'late.srt')
    const end = video.durationSec
    await writeFile(
      subs,
      toSrt([
        { start: 1, end: 2, text: 'ok' },
        { start: end - 1, end: end + 5, text: 'runs over' },
        { start: end + 10, end: end + 11, text: 'after' },
        { start: 3, end: 2.5, text: 'reversed' },
      ]),
    )
    const r = await segmentMediaDetailed(video.file, { subs })
    expect(r.utterances.map((u) => u.text)).toEqual(['ok', 'runs over'])
    expect(r.utterances[1]!.end).toBeLessThanOrEqual(r.probe.durationSec)
    expect(r.warnings.length).toBe(3)
    // Every dropped cue is counted with its reason, for the CLI and the batch summary.
    expect(r.droppedCues).toEqual({ reversed: 1, 'after-media-end': 1 })
  })

  it('a 100,000-cue subtitle file on a short clip stops with SUBTITLE_TOO_LARGE within seconds', async () => {
    const clip = await makeSpeechVideo(null, { durationSec: 5, video: false })
    const subs = path.join(dir, 'flood.srt')
    const cues = Array.from({ length: 100_000 }, (_, i) => ({
      start: (i % 5000) / 1000,
      end: 4.9,
      text: `c${i}`,
    }))
    await writeFile(subs, toSrt(cues))
    const heap0 = process.memoryUsage().heapUsed
    const t0 = performance.now()
    await expect(segmentMediaDetailed(clip.file, { subs })).rejects.toMatchObject({
      code: 'SUBTITLE_TOO_LARGE',
      message: expect.stringMatching(/more than 2000 cues for 5\.\d s of media/),
    })
    // Wall time including ffprobe on a shared machine (about 1 s here; minutes before the limit).
    expect(performance.now() - t0).toBeLessThan(10_000)
    expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(200 * 2 ** 20)
  })

  it('utterancesFromCues cleans given cues', () => {
    expect(
      utterancesFromCues([
        { start: 2, end: 3, text: 'b\nline' },
        { start: 1, end: 1, text: 'zero' },
      ]),
    ).toEqual([{ id: 'u0001', start: 2, end: 3, text: 'b line', source: 'given' }])
  })
})
