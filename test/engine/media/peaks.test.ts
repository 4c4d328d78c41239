import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { ffmpegTools } from '../../../src-main/engine/media/ffmpeg-locate'
import {
  BASE_PEAKS_PER_SEC,
  basePeaks,
  PeaksAccumulator,
  partialPeaks,
  peaksCachePath,
  viewPeaks,
} from '../../../src-main/engine/media/peaks'

let dir: string
let tone: string
const prevCache = process.env.FWS_CACHE_DIR
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fws-peaks-'))
  process.env.FWS_CACHE_DIR = path.join(dir, 'cache')
  tone = path.join(dir, 'tone.wav')
  // Known envelope: 0.5 for 1 s, silence for 1 s, 0.25 for 1 s (440 Hz: every 10 ms bucket holds a peak).
  execFileSync(ffmpegTools().ffmpeg.path, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    'aevalsrc=(0.5*lt(t\\,1)+0.25*gte(t\\,2))*sin(2*PI*440*t):s=16000:d=3',
    '-c:a',
    'pcm_s16le',
    tone,
  ])
})
afterAll(async () => {
  if (prevCache === undefined) delete process.env.FWS_CACHE_DIR
  else process.env.FWS_CACHE_DIR = prevCache
  await rm(dir, { recursive: true, force: true })
})

describe('PeaksAccumulator', () => {
  it('takes min and max per bucket across chunk boundaries, the partial last bucket included', () => {
    const acc = new PeaksAccumulator(4)
    acc.push(Float32Array.from([0, 1, -2]))
    acc.push(Float32Array.from([3, 0.5, -0.5, 0, 0.25, 9]))
    expect([...acc.snapshot()]).toEqual([-2, 3, -0.5, 0.5]) // complete buckets only
    expect([...acc.finish()]).toEqual([-2, 3, -0.5, 0.5, 9, 9])
  })
})

describe('basePeaks / viewPeaks', () => {
  it('follows the envelope of a generated tone, and is cached by content hash', async () => {
    const sha = 'sha256:' + 'ab'.repeat(32)
    const base = await basePeaks(tone, sha)
    expect(base.perSec).toBe(BASE_PEAKS_PER_SEC)
    expect(base.data.length / 2).toBe(300)
    const whole = viewPeaks(base, 0, 3, 3)
    expect(whole.max[0]).toBeCloseTo(0.5, 2)
    expect(whole.min[0]).toBeCloseTo(-0.5, 2)
    expect(Math.abs(whole.max[1]!)).toBeLessThan(1e-3)
    expect(whole.max[2]).toBeCloseTo(0.25, 2)
    expect(whole.min[2]).toBeCloseTo(-0.25, 2)
    // Every 100 ms bucket of a zoomed view carries the amplitude of its second.
    const zoom = viewPeaks(base, 0.5, 2.5, 20)
    expect(zoom.start).toBeCloseTo(0.5)
    expect(zoom.perSec).toBeCloseTo(10)
    for (let i = 0; i < 20; i++) {
      const t = 0.5 + i * 0.1
      const want = t < 1 ? 0.5 : t < 2 ? 0 : 0.25
      expect(zoom.max[i]).toBeCloseTo(want, 2)
    }
    // Zoomed in past the base resolution: the base buckets themselves, never invented ones.
    const fine = viewPeaks(base, 1.0, 1.1, 1000)
    expect(fine.min.length).toBe(10)
    // The cache holds the base: a second read does not need the file any more.
    expect((await stat(peaksCachePath(sha))).size).toBe(300 * 2 * 4)
    await rm(tone)
    const again = await basePeaks(tone, sha)
    expect([...again.data]).toEqual([...base.data])
  })
})

describe('partialPeaks', () => {
  it('shows what a first decode of a long file has reached, a prefix of the final peaks', async () => {
    const ffmpeg = ffmpegTools().ffmpeg.path
    const piece = path.join(dir, 'piece.mp3')
    const long = path.join(dir, 'long.mp3')
    const q = ['-hide_banner', '-loglevel', 'error']
    execFileSync(ffmpeg, [...q, '-f', 'lavfi', '-i', 'sine=f=300:r=16000:d=60', '-b:a', '24k', piece])
    execFileSync(ffmpeg, [...q, '-stream_loop', '29', '-i', piece, '-c', 'copy', long]) // 30 minutes
    const sha = 'sha256:' + '12'.repeat(32)
    expect(partialPeaks(sha)).toBeNull()
    const seen: Float32Array[] = []
    const full = await basePeaks(long, sha, {
      onProgress: (f) => {
        const p = f < 1 ? partialPeaks(sha) : null
        if (p) seen.push(p.peaks.data)
      },
    })
    expect(partialPeaks(sha)).toBeNull() // finished: nothing in flight
    expect(seen.length).toBeGreaterThan(0)
    const last = seen.at(-1)!
    expect(last.length).toBeGreaterThan(0)
    expect(last.length).toBeLessThan(full.data.length)
    expect([...last.subarray(0, 200)]).toEqual([...full.data.subarray(0, 200)])
  }, 60_000)
})
