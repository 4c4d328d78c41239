import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MediaError, sniffBytes } from '../../../src-main/engine/media/errors'
import { probe, readProbeJson } from '../../../src-main/engine/media/probe'
import { makeBadFiles, makeSpeechVideo, type BadFiles } from '../../helpers/media-fixtures'

let dir: string
let bad: BadFiles
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fws-probe-'))
  bad = await makeBadFiles(path.join(dir, 'bad'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('probe', () => {
  it('reads container, duration and streams of a video with speech', async () => {
    const v = await makeSpeechVideo(dir, { name: 'clip with spaces – ünïcödé 字幕.mp4' })
    const p = await probe(v.file)
    expect(p.file).toBe(v.file)
    expect(p.container).toMatch(/mp4/)
    expect(p.durationSec).toBeGreaterThan(v.durationSec - 0.1)
    expect(p.durationSec).toBeLessThan(v.durationSec + 0.2)
    expect(p.sizeBytes).toBeGreaterThan(10_000)
    expect(p.audio).toMatchObject({ codec: 'aac', sampleRate: 22050, channels: 1 })
    expect(p.video).toMatchObject({ codec: 'h264', width: 320, height: 240, fps: 25, rotation: 0 })
    expect(p.subtitles).toEqual([])
  })

  it('reports a missing audio stream, audio-only files and embedded subtitle streams', async () => {
    const silent = await probe((await makeSpeechVideo(null, { audio: false })).file)
    expect(silent.audio).toBeNull()
    expect(silent.video?.width).toBe(320)
    const audioOnly = await probe((await makeSpeechVideo(null, { video: false })).file)
    expect(audioOnly.video).toBeNull()
    expect(audioOnly.audio?.codec).toBe('aac')
    const subs = await probe((await makeSpeechVideo(null, { embeddedSubs: true })).file)
    expect(subs.subtitles).toEqual([
      { index: 2, codec: 'mov_text', language: 'eng', title: null, text: true },
    ])
    const mkv = await probe((await makeSpeechVideo(null, { embeddedSubs: true, container: 'mkv' })).file)
    expect(mkv.container).toMatch(/matroska/)
    expect(mkv.subtitles[0]).toMatchObject({ codec: 'subrip', language: 'eng', text: true })
  })

  it('gives each bad input its own error, naming the file', async () => {
    const cases: [string, string, RegExp][] = [
      [bad.missing, 'NOT_FOUND', /not found/i],
      [bad.directory, 'IS_DIRECTORY', /is a directory/],
      [bad.empty, 'EMPTY_FILE', /empty/],
      [bad.textAsMp4, 'NOT_MEDIA', /not a media file/],
      [bad.truncatedMp4, 'TRUNCATED', /truncated/],
    ]
    for (const [file, code, msg] of cases) {
      const err = await probe(file).then(
        () => null,
        (e: unknown) => e,
      )
      expect(err, file).toBeInstanceOf(MediaError)
      expect((err as MediaError).code, file).toBe(code)
      expect((err as MediaError).file).toBe(file)
      expect((err as MediaError).message).toContain(file)
      expect((err as MediaError).message).toMatch(msg)
    }
  })

  it('cancels', async () => {
    const ac = new AbortController()
    ac.abort()
    await expect(probe(bad.truncatedMp4, { signal: ac.signal })).rejects.toMatchObject({ code: 'CANCELLED' })
  })
})

describe('readProbeJson (pure)', () => {
  it('applies rotation, skips cover art, and refuses text read as a tty stream', () => {
    const p = readProbeJson(
      'phone.mov',
      {
        format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '12.5' },
        streams: [
          { index: 0, codec_type: 'video', codec_name: 'mjpeg', disposition: { attached_pic: 1 } },
          {
            index: 1,
            codec_type: 'video',
            codec_name: 'hevc',
            width: 1920,
            height: 1080,
            avg_frame_rate: '30000/1001',
            side_data_list: [{ rotation: -90 }],
          },
          { index: 2, codec_type: 'audio', codec_name: 'aac', sample_rate: '48000', channels: 2 },
          { index: 3, codec_type: 'subtitle', codec_name: 'hdmv_pgs_subtitle', tags: { language: 'und' } },
        ],
      },
      100,
    )
    expect(p.video).toEqual({
      index: 1,
      codec: 'hevc',
      width: 1080,
      height: 1920,
      fps: 30000 / 1001,
      rotation: 270,
    })
    expect(p.subtitles).toEqual([
      { index: 3, codec: 'hdmv_pgs_subtitle', language: null, title: null, text: false },
    ])
    expect(() =>
      readProbeJson(
        'notes.txt',
        { format: { format_name: 'tty' }, streams: [{ index: 0, codec_type: 'video', codec_name: 'ansi' }] },
        10,
      ),
    ).toThrow(/not a video or audio file/)
    expect(() =>
      readProbeJson(
        'x.bin',
        { format: { format_name: 'data' }, streams: [{ index: 0, codec_type: 'data' }] },
        10,
      ),
    ).toThrow(/no audio or video stream/)
  })

  it('sniffs container signatures to tell truncated media from non-media', () => {
    const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from('ftypisom')])
    expect(sniffBytes(mp4)).toBe('MP4/QuickTime')
    expect(sniffBytes(Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0]))).toBe('Matroska/WebM')
    expect(sniffBytes(Buffer.from('RIFF\0\0\0\0WAVEfmt '))).toBe('WAV')
    expect(sniffBytes(Buffer.from('Hello, these are notes'))).toBeNull()
    expect(sniffBytes(Buffer.from('G is for grapes'))).toBeNull()
  })
})
