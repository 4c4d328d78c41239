import { beforeAll, describe, expect, it } from 'vitest'
import { isMediaError } from '../../../src-main/engine/media/errors'
import { sampleFrames, scaledSize, type VideoFrame } from '../../../src-main/engine/media/frames'
import { makeSpeechVideo, type SpeechVideo } from '../../helpers/media-fixtures'

let video: SpeechVideo
beforeAll(async () => {
  video = await makeSpeechVideo(null, {})
})

async function collect(gen: AsyncGenerator<VideoFrame>): Promise<VideoFrame[]> {
  const out: VideoFrame[] = []
  for await (const f of gen) out.push(f)
  return out
}

describe('scaledSize (pure)', () => {
  it('scales the shorter side, keeps the aspect, rounds to even sizes', () => {
    expect(scaledSize(1280, 720, 320)).toEqual({ width: 568, height: 320 })
    expect(scaledSize(720, 1280, 224)).toEqual({ width: 224, height: 398 })
    expect(scaledSize(320, 240)).toEqual({ width: 320, height: 240 })
    expect(scaledSize(321, 241)).toEqual({ width: 320, height: 240 })
  })
})

describe('sampleFrames', () => {
  it('samples RGB24 frames at the requested rate and size with their times', async () => {
    const progress: number[] = []
    const frames = await collect(
      sampleFrames(video.file, { fps: 2, shortSide: 120, onProgress: (f) => progress.push(f) }),
    )
    const expected = Math.round(video.durationSec * 2)
    expect(Math.abs(frames.length - expected)).toBeLessThanOrEqual(1)
    for (const [i, f] of frames.entries()) {
      expect(f).toMatchObject({ width: 160, height: 120 })
      expect(f.data.length).toBe(160 * 120 * 3)
      expect(f.time).toBeCloseTo(i / 2, 9)
    }
    // testsrc: colour bars on top; the frame is neither blank nor identical from frame to frame
    // (its counter and moving gradient change).
    const f0 = frames[0]!.data
    const mean = f0.reduce((a, b) => a + b, 0) / f0.length
    expect(mean).toBeGreaterThan(40)
    expect(mean).toBeLessThan(230)
    expect(Buffer.from(frames[0]!.data).equals(Buffer.from(frames[1]!.data))).toBe(false)
    // Each frame owns its buffer.
    expect(frames[0]!.data.buffer).not.toBe(frames[1]!.data.buffer)
    expect(progress.at(-1)).toBe(1)
    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThan(progress[i - 1]!)
  })

  it('samples a range: times start at the range start', async () => {
    const frames = await collect(sampleFrames(video.file, { fps: 4, start: 3, end: 5 }))
    expect(frames.length).toBe(8)
    expect(frames[0]!.time).toBe(3)
    expect(frames.at(-1)!.time).toBeCloseTo(4.75, 9)
    expect(frames[0]).toMatchObject({ width: 320, height: 240 })
    // The frame at 3 s of the range equals the frame at 3 s of a full run.
    const full = await collect(sampleFrames(video.file, { fps: 4, end: 3.5 }))
    const same = full.find((f) => Math.abs(f.time - 3) < 1e-9)!
    let diff = 0
    for (let i = 0; i < same.data.length; i++) diff += Math.abs(same.data[i]! - frames[0]!.data[i]!)
    expect(diff / same.data.length).toBeLessThan(2)
  })

  it('audio-only files yield no frames (or NO_VIDEO when video is required)', async () => {
    const a = await makeSpeechVideo(null, { video: false })
    const progress: number[] = []
    expect(await collect(sampleFrames(a.file, { fps: 2, onProgress: (f) => progress.push(f) }))).toEqual([])
    expect(progress).toEqual([1])
    await expect(collect(sampleFrames(a.file, { fps: 2, requireVideo: true }))).rejects.toMatchObject({
      code: 'NO_VIDEO',
    })
  })

  it('rejects a bad rate and cancels', async () => {
    await expect(collect(sampleFrames(video.file, { fps: 0 }))).rejects.toMatchObject({ code: 'BAD_OPTIONS' })
    const ac = new AbortController()
    let n = 0
    let err: unknown = null
    try {
      for await (const _ of sampleFrames(video.file, { fps: 10, signal: ac.signal }))
        if (++n === 3) ac.abort()
    } catch (e) {
      err = e
    }
    expect(isMediaError(err, 'CANCELLED')).toBe(true)
    expect(n).toBeLessThan(Math.round(video.durationSec * 10))
  })
})
