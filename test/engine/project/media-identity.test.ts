/**
 * Media identity = content hash + segmentation source: two files with the same bytes but
 * different sidecar subtitles are two project entries (each with its own transcripts); the same
 * bytes with byte-identical subtitles, or added twice, are one. Real video made with ffmpeg +
 * espeak-ng; real SQLite files.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addMediaFiles } from '../../../src-main/engine/project/media-add'
import { segmentationKey } from '../../../src-main/engine/project/media-identity'
import { ProjectStore } from '../../../src-main/engine/project/store'
import { makeSpeechVideo, type SpeechVideo } from '../../helpers/media-fixtures'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-media-identity-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
let video: SpeechVideo
const dir = path.join(tmp, 'footage')

beforeAll(async () => {
  mkdirSync(dir)
  video = await makeSpeechVideo(dir, {
    name: 'take-a.mp4',
    sidecar: 'srt',
    phrases: ['Hello there, how are you?', 'I am fine, thank you.', 'See you tomorrow.'],
  })
  // Same bytes, other subtitles: a second take's transcript by another annotator.
  copyFileSync(video.file, path.join(dir, 'take-b.mp4'))
  writeFileSync(
    path.join(dir, 'take-b.srt'),
    '1\n00:00:01,000 --> 00:00:03,000\nB: first line\n\n2\n00:00:04,000 --> 00:00:05,500\nB: second line\n',
  )
  // Same bytes, byte-identical subtitles: a plain copy.
  copyFileSync(video.file, path.join(dir, 'copy-of-a.mp4'))
  copyFileSync(video.sidecar!, path.join(dir, 'copy-of-a.srt'))
}, 120_000)

describe('media identity', () => {
  it('keeps same-byte files with different sidecars apart; a true copy stays one entry', async () => {
    const store = ProjectStore.create(path.join(tmp, 'p.fwsproj'), { annotator: 't' })
    const files = ['take-a.mp4', 'take-b.mp4', 'copy-of-a.mp4', 'take-a.mp4'].map((f) => path.join(dir, f))
    const added = await addMediaFiles(store, files)
    expect(added[0].id).not.toBe(added[1].id)
    expect(added[2].id).toBe(added[0].id) // identical bytes and identical subtitles
    expect(added[3].id).toBe(added[0].id) // the same file again
    const media = store.listMedia()
    expect(media.map((m) => [m.name, m.utteranceCount])).toEqual([
      ['take-a.mp4', video.speech.length],
      ['take-b.mp4', 2],
    ])
    expect(store.listUtterances(media[1].id).map((u) => u.transcript)).toEqual([
      'B: first line',
      'B: second line',
    ])
    expect(store.listUtterances(media[0].id).map((u) => u.transcript)).toEqual(
      video.speech.map((s) => s.text),
    )
    store.close()
  })

  it('the segmentation key follows the subtitle file segmentation will read', async () => {
    const a = await segmentationKey(path.join(dir, 'take-a.mp4'))
    const b = await segmentationKey(path.join(dir, 'take-b.mp4'))
    expect(a).toMatch(/^subs:[0-9a-f]{64}$/)
    expect(b).not.toBe(a)
    expect(await segmentationKey(path.join(dir, 'copy-of-a.mp4'))).toBe(a)
    expect(await segmentationKey(path.join(dir, 'take-a.mp4'), { vad: true })).toBe('')
    const alone = path.join(tmp, 'alone.mp4')
    copyFileSync(video.file, alone)
    expect(await segmentationKey(alone)).toBe('')
    // A --subs-dir sidecar wins over the media's own folder.
    const subsDir = path.join(tmp, 'subs')
    mkdirSync(subsDir)
    copyFileSync(path.join(dir, 'take-b.srt'), path.join(subsDir, 'take-a.srt'))
    expect(await segmentationKey(path.join(dir, 'take-a.mp4'), { subsDir })).toBe(b)
  })
})
