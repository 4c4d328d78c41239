/**
 * `fws batch --project` on two files with the same bytes but different sidecar subtitles: both
 * are in the project, each with its own transcripts and predictions, and the utterance counts
 * per file and in total agree with the batch summary. Real CLI (bin/fws.mjs from source), real
 * video (ffmpeg + espeak-ng), the shipped emotion model (resources/models).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BatchSummary } from '../../src-main/engine/pipeline/batch'
import { ProjectStore } from '../../src-main/engine/project/store'
import { runFws } from '../helpers/fws-cli'
import { makeSpeechVideo, type SpeechVideo } from '../helpers/media-fixtures'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-batch-identity-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
let video: SpeechVideo
const input = path.join(tmp, 'footage')

beforeAll(async () => {
  mkdirSync(input)
  video = await makeSpeechVideo(input, {
    name: 'take-a.mp4',
    sidecar: 'srt',
    phrases: ['I am so happy to see you!', 'That is terrible news.', 'Where is the station?'],
  })
  copyFileSync(video.file, path.join(input, 'take-b.mp4'))
  writeFileSync(
    path.join(input, 'take-b.srt'),
    '1\n00:00:01,000 --> 00:00:03,000\nGet out of my room!\n\n2\n00:00:04,000 --> 00:00:05,500\nThank you so much.\n',
  )
}, 120_000)

describe('fws batch --project: media identity', () => {
  it('two same-byte files with different sidecars are two media; counts agree with the summary', async () => {
    const out = path.join(tmp, 'out')
    const proj = path.join(tmp, 'study.fwsproj')
    const r = await runFws(
      ['batch', input, '--out', out, '--project', proj, '--tasks', 'emotion', '--fps', '1', '-j', '1'],
      { env: { FWS_CACHE_DIR: path.join(tmp, 'cache') } },
    )
    expect(r.code, r.stderr).toBe(0)
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as BatchSummary
    const store = ProjectStore.open(proj)
    try {
      const media = store.listMedia()
      expect(media.map((m) => m.name).sort()).toEqual(['take-a.mp4', 'take-b.mp4'])
      let total = 0
      for (const f of summary.files) {
        expect(f.status).toBe('done')
        const m = media.find((x) => x.name === path.basename(f.file))!
        expect(m.utteranceCount).toBe(f.utterances)
        total += f.utterances
        // Every utterance of every file got its prediction, in its own entry.
        for (const u of store.listUtterances(m.id)) expect(u.prediction).not.toBeNull()
      }
      expect(store.info().utteranceCount).toBe(total)
      expect(total).toBe(video.speech.length + 2)
      const b = media.find((m) => m.name === 'take-b.mp4')!
      expect(store.listUtterances(b.id).map((u) => u.transcript)).toEqual([
        'Get out of my room!',
        'Thank you so much.',
      ])
    } finally {
      store.close()
    }
  }, 300_000)
})
