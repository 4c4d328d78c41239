import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  findReusableRecord,
  formatVtt,
  outputPaths,
  removeStaleTemps,
  vttTime,
  writeAtomic,
  writeFailureRecord,
  writeFileOutputs,
  type ResultKey,
} from '../../../src-main/engine/pipeline/outputs'
import type { FileResult } from '../../../src-main/engine/pipeline/types'

const dir = mkdtempSync(path.join(os.tmpdir(), 'fws-outputs-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const models = {
  emotion: { name: 'emotion-meld', version: '1.0.0', dir: '/m/e' },
  translation: { name: 'translation-en-de', version: '1.0.0', dir: '/m/t' },
}
const key: ResultKey = { contentHash: 'sha256:abc', models, options: { fps: 2, subsDir: null } }
const result: FileResult = {
  file: '/media/a.mp4',
  durationSec: 12.5,
  hasAudio: true,
  hasVideo: true,
  backend: 'wasm',
  droppedCues: { reversed: 1 },
  probe: {},
  models,
  stageSec: { probe: 0.1, features: 2 },
  utterances: [
    {
      index: 0,
      start: 0.5,
      end: 2.25,
      text: 'Hello there.',
      textSource: 'subtitles:a.srt',
      emotion: { label: 'joy', probabilities: { joy: 0.7, neutral: 0.3 }, uncertainty: 0.6 },
      translation: 'Hallo da.',
      emotionReason: null,
      modalities: { text: true, audio: true, visual: true, face: false },
    },
    {
      index: 1,
      start: 3,
      end: 4,
      text: '',
      textSource: 'vad',
      emotion: { label: 'neutral', probabilities: { joy: 0.1, neutral: 0.9 }, uncertainty: 0.2 },
      translation: null,
      emotionReason: null,
      modalities: { text: false, audio: true, visual: true, face: false },
    },
  ],
}

/** The resume lookup's view of the run: this input, and all inputs of the run. */
const src = (n: string, inputs: string[] = []) => ({
  file: `/media/${n}.mp4`,
  inputs: new Set([`/media/${n}.mp4`, ...inputs]),
})

describe('batch outputs', () => {
  it('writes jsonl + vtt + a completion record that a resume accepts for the same key only', async () => {
    const rec = await writeFileOutputs(dir, 'a', '/media/a.mp4', key, result, 'test-run')
    const p = outputPaths(dir, 'a')
    const lines = readFileSync(p.jsonl, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatchObject({
      start: 0.5,
      end: 2.25,
      text: 'Hello there.',
      emotion: { label: 'joy', probabilities: { joy: 0.7, neutral: 0.3 } },
      translation: 'Hallo da.',
      models: { emotion: 'emotion-meld@1.0.0', translation: 'translation-en-de@1.0.0' },
    })
    expect(readFileSync(p.vtt, 'utf8')).toBe('WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.250\nHallo da.\n')
    expect(rec.outputs.map((o) => o.file)).toEqual(['a.utterances.jsonl', 'a.vtt'])
    expect(await findReusableRecord(dir, 'a', key, src('a'))).not.toBeNull()
    expect(await findReusableRecord(dir, 'a', { ...key, contentHash: 'sha256:other' }, src('a'))).toBeNull()
    expect(
      await findReusableRecord(
        dir,
        'a',
        {
          ...key,
          models: { ...models, emotion: { ...models.emotion, version: '1.0.1' } },
        },
        src('a'),
      ),
    ).toBeNull()
    expect(
      await findReusableRecord(dir, 'a', { ...key, options: { fps: 4, subsDir: null } }, src('a')),
    ).toBeNull()
    // Another input with the same bytes never takes this record (a'b.mp4 vs a_b.mp4).
    expect(
      await findReusableRecord(dir, 'a', key, {
        file: '/media/a_b.mp4',
        inputs: new Set(['/media/a.mp4', '/media/a_b.mp4']),
      }),
    ).toBeNull()
    // A path that is gone and not an input of this run: the folder was moved, the record is still good.
    expect(
      await findReusableRecord(dir, 'a', key, { file: '/moved/a.mp4', inputs: new Set(['/moved/a.mp4']) }),
    ).not.toBeNull()
    // No temp files are left behind.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })

  it('refuses a record whose output was truncated or changed after it was written', async () => {
    await writeFileOutputs(dir, 'b', '/media/b.mp4', key, result, 'test-run')
    const p = outputPaths(dir, 'b')
    const full = readFileSync(p.jsonl, 'utf8')
    writeFileSync(p.jsonl, full.slice(0, full.length - 10))
    expect(await findReusableRecord(dir, 'b', key, src('b'))).toBeNull()
    writeFileSync(p.jsonl, full.replace('joy', 'yoj'))
    expect(await findReusableRecord(dir, 'b', key, src('b'))).toBeNull()
    writeFileSync(p.jsonl, full)
    expect(await findReusableRecord(dir, 'b', key, src('b'))).not.toBeNull()
    rmSync(p.vtt)
    expect(await findReusableRecord(dir, 'b', key, src('b'))).toBeNull()
  })

  it('a failure record removes stale outputs and is found again for the same content', async () => {
    await writeFileOutputs(dir, 'c', '/media/c.mp4', key, result, 'test-run')
    await writeFailureRecord(
      dir,
      'c',
      '/media/c.mp4',
      key,
      { message: 'truncated', code: 'TRUNCATED' },
      {},
      'test-run',
    )
    const p = outputPaths(dir, 'c')
    expect(readdirSync(dir)).not.toContain(path.basename(p.jsonl))
    const rec = await findReusableRecord(dir, 'c', key, src('c'))
    expect(rec?.status).toBe('failed')
    expect(rec?.error).toEqual({ message: 'truncated', code: 'TRUNCATED' })
  })

  it('writeAtomic replaces a file whole', async () => {
    const f = path.join(dir, 'x.json')
    await writeAtomic(f, 'old')
    await writeAtomic(f, 'new content')
    expect(readFileSync(f, 'utf8')).toBe('new content')
  })

  it('removeStaleTemps by age (a folder shared across machines): only temps older than the limit, only temps', async () => {
    const d = path.join(dir, 'shared')
    mkdirSync(d)
    // Written by a live process (this one) on "another machine": its pid proves nothing.
    const old = path.join(d, `.a.utterances.jsonl.${process.pid}.0123abcd.tmp`)
    const fresh = path.join(d, `.b.utterances.jsonl.${process.pid}.4567abcd.tmp`)
    const keep = path.join(d, 'a.utterances.jsonl')
    for (const f of [old, fresh, keep]) writeFileSync(f, 'x')
    const hourAgo = new Date(Date.now() - 3_600_000)
    utimesSync(old, hourAgo, hourAgo)
    utimesSync(keep, hourAgo, hourAgo)
    expect(await removeStaleTemps(d, { olderThanMs: 15 * 60_000 })).toBe(1)
    expect(readdirSync(d).sort()).toEqual([path.basename(fresh), path.basename(keep)].sort())
  })

  it('formats WebVTT times and escapes cue text', () => {
    expect(vttTime(3723.4567)).toBe('01:02:03.457')
    const vtt = formatVtt([{ ...result.utterances[0]!, translation: 'a < b & c --> d\n\nzwei' }])
    expect(vtt).toContain('a &lt; b &amp; c → d\nzwei\n')
  })
})
