import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { ffmpegTools } from '../../src-main/engine/media/ffmpeg-locate'
import { JobRegistry } from '../../src-main/engine/jobs/registry'
import { addMediaFiles } from '../../src-main/engine/project/media-add'
import { ProjectStore } from '../../src-main/engine/project/store'
import { createMediaAccess, type MediaAccess } from '../../src-main/engine/media-access'
import { makeSpeechVideo, type SpeechVideo } from '../helpers/media-fixtures'

let dir: string
let store: ProjectStore
let jobs: JobRegistry
let access: MediaAccess
let speech: SpeechVideo
let avi: string
let ids: { avi: string; mp4: string }
let changed = 0
const prevCache = process.env.FWS_CACHE_DIR

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fws-media-access-'))
  process.env.FWS_CACHE_DIR = path.join(dir, 'cache')
  speech = await makeSpeechVideo(dir, { sidecar: 'srt', name: 'talk.mp4' })
  avi = path.join(dir, 'talk-old.avi')
  execFileSync(ffmpegTools().ffmpeg.path, [
    '-v',
    'error',
    '-i',
    speech.file,
    '-c:v',
    'mpeg4',
    '-c:a',
    'libmp3lame',
    avi,
  ])
  store = ProjectStore.create(path.join(dir, 'p.fwsproj'))
  const [a, m] = await addMediaFiles(store, [avi, speech.file])
  ids = { avi: a!.id, mp4: m!.id }
  jobs = new JobRegistry({ throttleMs: 0 })
  access = createMediaAccess({ store: () => store, jobs, notifyChanged: () => changed++ })
}, 120_000)
afterAll(async () => {
  await jobs.dispose()
  store.close()
  if (prevCache === undefined) delete process.env.FWS_CACHE_DIR
  else process.env.FWS_CACHE_DIR = prevCache
  await rm(dir, { recursive: true, force: true })
})

describe('media access', () => {
  it('plays an MP4 as it is and converts an AVI once, as a proxy job', async () => {
    const mp4 = await access.handlers['media.playback']({ mediaId: ids.mp4 })
    expect(mp4).toMatchObject({ mode: 'original', reason: null, jobId: null, timeOffset: 0, frameRate: 25 })
    const first = await access.handlers['media.playback']({ mediaId: ids.avi })
    expect(first.mode).toBe('preparing')
    expect(first.reason).toContain('avi container')
    // Asking again while it runs joins the same job.
    expect((await access.handlers['media.playback']({ mediaId: ids.avi })).jobId).toBe(first.jobId)
    const done = await jobs.wait(first.jobId!)
    expect(done.kind).toBe('proxy')
    expect(done.status).toBe('done')
    const ready = await access.handlers['media.playback']({ mediaId: ids.avi })
    expect(ready.mode).toBe('proxy')
    expect(existsSync((await access.proxyFile(ids.avi))!)).toBe(true)
    expect(await access.proxyFile(ids.mp4)).toBeNull()
  }, 120_000)

  it('makes a proxy when the page reports it cannot play a file the probe allowed', async () => {
    const r = await access.handlers['media.playback']({ mediaId: ids.mp4, pageCannotPlay: true })
    expect(r.mode).toBe('preparing')
    expect((await jobs.wait(r.jobId!)).status).toBe('done')
    expect((await access.handlers['media.playback']({ mediaId: ids.mp4, pageCannotPlay: true })).mode).toBe(
      'proxy',
    )
  }, 120_000)

  it('serves peaks at the resolution asked for', async () => {
    const p = await access.handlers['media.peaks']({ mediaId: ids.mp4, buckets: 12 })
    expect(p.min).toHaveLength(12)
    expect(Math.max(...p.max)).toBeGreaterThan(0.05)
    expect(p.end).toBeCloseTo(speech.durationSec, 1)
    const part = await access.handlers['media.peaks']({ mediaId: ids.mp4, start: 1, end: 3, buckets: 400 })
    expect(part.start).toBeCloseTo(1)
    expect(part.min).toHaveLength(200) // 100 per second is the finest there is
  })

  it('says a moved file is missing, refuses other content, relinks the same bytes', async () => {
    const moved = path.join(dir, 'elsewhere', 'renamed.mp4')
    await mkdir(path.dirname(moved), { recursive: true })
    await rename(speech.file, moved)
    try {
      const r = await access.handlers['media.playback']({ mediaId: ids.mp4 })
      expect(r.mode).toBe('missing')
      expect(r.reason).toContain(speech.file)
      await expect(access.handlers['media.relink']({ mediaId: ids.mp4, path: avi })).rejects.toThrow(
        /not the same file/,
      )
      await expect(
        access.handlers['media.relink']({ mediaId: ids.mp4, path: path.join(dir, 'nope.mp4') }),
      ).rejects.toThrow(/not there/)
      const before = changed
      const info = await access.handlers['media.relink']({ mediaId: ids.mp4, path: moved })
      expect(info.path).toBe(moved)
      expect(changed).toBe(before + 1)
      expect(store.mediaFile(ids.mp4)).toBe(moved)
      expect((await access.handlers['media.playback']({ mediaId: ids.mp4 })).mode).toBe('original')
    } finally {
      await rename(moved, speech.file)
    }
  })
})
