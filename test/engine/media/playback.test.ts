import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { isMediaError } from '../../../src-main/engine/media/errors'
import { ffmpegTools } from '../../../src-main/engine/media/ffmpeg-locate'
import {
  cachedProxy,
  decidePlayback,
  makeProxy,
  proxyPath,
  PROXY_MAX_HEIGHT,
} from '../../../src-main/engine/media/playback'
import { probe } from '../../../src-main/engine/media/probe'

const v = (codec: string) => ({ index: 0, codec, width: 64, height: 64, fps: 25, rotation: 0 })
const a = (codec: string) => ({ index: 1, codec, sampleRate: 16000, channels: 1 })
const MP4 = 'mov,mp4,m4a,3gp,3g2,mj2'

describe('decidePlayback', () => {
  it('plays what Chromium decodes and names what it does not', () => {
    expect(decidePlayback({ container: MP4, video: v('h264'), audio: a('aac') })).toEqual({
      proxy: false,
      reason: null,
    })
    expect(decidePlayback({ container: 'matroska,webm', video: v('vp9'), audio: a('opus') }).proxy).toBe(
      false,
    )
    expect(decidePlayback({ container: 'wav', video: null, audio: a('pcm_s16le') }).proxy).toBe(false)
    expect(decidePlayback({ container: 'avi', video: v('mpeg4'), audio: a('mp3') })).toEqual({
      proxy: true,
      reason: 'the avi container',
    })
    expect(decidePlayback({ container: MP4, video: v('hevc'), audio: a('aac') }).reason).toBe('hevc video')
    expect(decidePlayback({ container: MP4, video: v('h264'), audio: a('ac3') }).reason).toBe('ac3 audio')
    // Matroska is played as WebM: H.264 or AC-3 in it are not safe.
    expect(decidePlayback({ container: 'matroska,webm', video: v('h264'), audio: a('opus') }).reason).toBe(
      'h264 video in Matroska',
    )
    expect(decidePlayback({ container: 'matroska,webm', video: v('vp9'), audio: a('ac3') }).reason).toBe(
      'ac3 audio in Matroska',
    )
  })
})

describe('makeProxy', () => {
  let dir: string
  let avi: string
  const prevCache = process.env.FWS_CACHE_DIR
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'fws-proxy-'))
    process.env.FWS_CACHE_DIR = path.join(dir, 'cache')
    avi = path.join(dir, 'clip.avi')
    execFileSync(ffmpegTools().ffmpeg.path, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=960x720:rate=25:duration=4',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=300:sample_rate=44100:duration=4',
      '-c:v',
      'mpeg4',
      '-q:v',
      '5',
      '-c:a',
      'libmp3lame',
      '-shortest',
      avi,
    ])
  })
  afterAll(async () => {
    if (prevCache === undefined) delete process.env.FWS_CACHE_DIR
    else process.env.FWS_CACHE_DIR = prevCache
    await rm(dir, { recursive: true, force: true })
  })

  it('encodes an AVI into a smaller playable proxy with the same timeline, once', async () => {
    const p = await probe(avi)
    expect(decidePlayback(p).proxy).toBe(true)
    const progress: number[] = []
    const out = await makeProxy(avi, 'sha256:' + 'cd'.repeat(32), p, { onProgress: (f) => progress.push(f) })
    expect(await cachedProxy('cd'.repeat(32))).toBe(out)
    const q = await probe(out)
    expect(decidePlayback(q)).toEqual({ proxy: false, reason: null })
    expect(q.video!.height).toBe(PROXY_MAX_HEIGHT)
    expect(q.video!.width).toBe(640)
    expect(Math.abs(q.durationSec - p.durationSec)).toBeLessThan(0.15)
    expect(progress.at(-1)).toBe(1)
    // Cached: a second call does not run ffmpeg (it returns before any progress).
    const again: number[] = []
    expect(await makeProxy(avi, 'cd'.repeat(32), p, { onProgress: (f) => again.push(f) })).toBe(out)
    expect(again).toEqual([])
  })

  it('stops at once when cancelled and leaves nothing in the cache', async () => {
    const p = await probe(avi)
    const ac = new AbortController()
    const run = makeProxy(avi, 'ef'.repeat(32), p, { signal: ac.signal })
    setTimeout(() => ac.abort(), 30)
    const err = await run.catch((e: unknown) => e)
    expect(isMediaError(err, 'CANCELLED')).toBe(true)
    expect(await cachedProxy('ef'.repeat(32))).toBeNull()
    const folder = path.dirname(proxyPath('ef'.repeat(32), 'mp4'))
    expect((await readdir(folder).catch(() => [])).filter((f) => f.startsWith('efef'))).toEqual([])
  })
})
