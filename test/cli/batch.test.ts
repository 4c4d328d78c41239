// `fws batch` end to end through the real CLI entry (bin/fws.mjs from source): a generated folder
// with speech videos + subtitles (sidecar .srt, sidecar .vtt, embedded stream), one video without
// subtitles (voice activity), one audio-only file, one truncated MP4, one empty file and a text
// file. Models are real but tiny: trained in this setup with the project's own training code
// (test/engine/pipeline/helpers/tiny-models.ts), passed with --models.
//
// The run is killed with SIGKILL after its first finished file, resumed, then resumed again:
// nothing half-written may pass for complete, the resumed run does exactly the remaining work,
// and the last run does none (counted in summary.json, not timed).
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runFws } from '../helpers/fws-cli'
import { makeBadFiles, makeSpeechVideo } from '../helpers/media-fixtures'
import { trainTinyModels, type TinyModels } from '../engine/pipeline/helpers/tiny-models'
import type { BatchSummary } from '../../src-main/engine/pipeline/batch'
import { ProjectStore } from '../../src-main/engine/project/store'

let tmp: string
let input: string
let models: TinyModels
/** Cue counts of the files whose utterances come from subtitles. */
const cues: Record<string, number> = {}

/** Runs `fws batch` with --json; `killAfterFirstDone` sends SIGKILL when the first file finishes. */
const fwsBatch = (args: string[], opts: { killAfterFirstDone?: boolean } = {}) =>
  runFws(['batch', ...args, '--json'], {
    env: { FWS_CACHE_DIR: path.join(tmp, 'cache') },
    onLine: (l, kill) => {
      if (opts.killAfterFirstDone && l.type === 'file-done') kill('SIGKILL')
    },
  })

const summaryOf = (out: string) =>
  JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as BatchSummary
const jsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-cli-batch-'))
  input = path.join(tmp, 'footage')
  mkdirSync(path.join(input, 'day2'), { recursive: true })
  const [a, b, c, , e] = await Promise.all([
    makeSpeechVideo(input, { name: 'interview.mp4', sidecar: 'srt' }),
    makeSpeechVideo(path.join(input, 'day2'), {
      name: 'street.mp4',
      sidecar: 'vtt',
      phrases: ['Where is the station?', 'I am so happy to see you again!', 'That is terrible news.'],
    }),
    makeSpeechVideo(path.join(input, 'day2'), {
      name: 'embedded.mkv',
      container: 'mkv',
      embeddedSubs: true,
      phrases: ['Hello there, how are you today?', 'Get out of my room right now!'],
    }),
    makeSpeechVideo(input, {
      name: 'no subtitles.mp4',
      phrases: ['Nobody expected the results to be this clear.', 'Turn left at the bakery.'],
    }),
    makeSpeechVideo(input, {
      name: 'voice memo.m4a',
      video: false,
      sidecar: 'srt',
      phrases: ['Call me back when you can.', 'It is raining again.'],
    }),
  ])
  cues.interview = a.speech.length
  cues.street = b.speech.length
  cues.embedded = c.speech.length
  cues['voice memo'] = 2
  // Two cues the subtitle cleaner leaves out, each to be counted in summary.json by reason.
  appendFileSync(
    e.sidecar!,
    '\n\n98\n00:00:03,000 --> 00:00:02,000\nbackwards\n\n99\n01:00:00,000 --> 01:00:02,000\nlong after the end\n',
  )
  const bad = await makeBadFiles(path.join(tmp, 'bad'))
  copyFileSync(bad.truncatedMp4, path.join(input, 'day2', 'broken.mp4'))
  copyFileSync(bad.empty, path.join(input, 'empty.mp4'))
  writeFileSync(path.join(input, 'notes.txt'), 'shot list\n')
  models = await trainTinyModels(path.join(tmp, 'models'))
}, 240_000)

afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('fws batch', () => {
  it('reports a missing default model clearly instead of predicting anything', async () => {
    const r = await fwsBatch([input, '--out', path.join(tmp, 'x'), '--models', path.join(tmp, 'nowhere')])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/emotion model is missing: no .*nowhere\/emotion-meld/)
    expect(r.stderr).toMatch(/--models DIR/)
    expect(existsSync(path.join(tmp, 'x', 'summary.json'))).toBe(false)
  })

  it('processes the good files, reports the bad ones, survives SIGKILL and resumes without redoing work', async () => {
    const out = path.join(tmp, 'out')
    const common = [
      input,
      '--out',
      out,
      '--models',
      models.dir,
      '--tasks',
      models.tasks.join(','),
      '--fps',
      '1',
      '--jobs',
      '2',
    ]

    // 1. Killed after the first finished file: whatever is on disk must be either complete or absent.
    const killed = await fwsBatch(common, { killAfterFirstDone: true })
    expect(killed.signal).toBe('SIGKILL')
    const discovered = killed.lines.find((l) => l.type === 'discovered') as {
      files: number
      notMedia: number
    }
    expect(discovered).toMatchObject({ files: 7, notMedia: 4 }) // 3 subtitle sidecars + notes.txt
    const records = readdirSync(out).filter((f) => f.endsWith('.batch.json'))
    expect(records.length).toBeGreaterThanOrEqual(1)
    // (A temp file the kill interrupted may remain; it never has a final name.)
    const completeBefore = records.length

    // 2. Resumed: only the remaining files are processed; the bad ones fail with their own errors.
    const resumed = await fwsBatch([...common, '--resume'])
    expect(resumed.code).toBe(1) // some files failed: and only that makes the exit code non-zero
    for (const f of readdirSync(out)) expect(f).not.toMatch(/\.tmp$/) // the killed run's temps are cleaned
    const s = summaryOf(out)
    expect(s.totals).toMatchObject({ files: 7, failed: 2, cancelled: 0 })
    expect(s.totals.done + s.totals.skipped).toBe(5)
    expect(s.work.processed + s.work.reusedComplete + s.work.reusedFailed).toBe(7)
    expect(s.work.reusedComplete + s.work.reusedFailed).toBe(completeBefore)
    expect(s.backend.length).toBe(1)
    const byName = Object.fromEntries(s.files.map((f) => [f.name, f]))
    expect(byName.broken).toMatchObject({ status: 'failed', errorCode: 'TRUNCATED' })
    expect(byName.broken!.error).toMatch(/truncated/)
    expect(byName.empty).toMatchObject({ status: 'failed', errorCode: 'EMPTY_FILE' })
    expect(byName.empty!.error).toMatch(/empty \(0 bytes\)/)
    expect(byName['voice memo']!.droppedCues).toEqual({ reversed: 1, 'after-media-end': 1 })
    expect(byName.interview!.droppedCues).toEqual({})
    expect(s.totals.droppedCues).toBe(2)
    expect(s.notMedia.map((n) => path.basename(n.file)).sort()).toEqual([
      'interview.srt',
      'notes.txt',
      'street.vtt',
      'voice memo.srt',
    ])

    // Every good file has complete outputs: one row per utterance, with label + probabilities when
    // the (text-only) emotion model had evidence, i.e. a transcript; else no label and the reason.
    for (const name of ['interview', 'street', 'embedded', 'no subtitles', 'voice memo']) {
      expect(['done', 'skipped']).toContain(byName[name]!.status)
      const rows = jsonl(path.join(out, `${name}.utterances.jsonl`))
      if (cues[name] !== undefined) expect(rows).toHaveLength(cues[name]!)
      else expect(rows.length).toBeGreaterThanOrEqual(1) // voice activity found the speech
      expect(rows.length).toBe(byName[name]!.utterances)
      const untranscribed = rows.filter((r) => (r.text as string).trim() === '').length
      expect(byName[name]!.noEvidence?.utterances ?? 0).toBe(untranscribed)
      for (const r of rows) {
        if ((r.text as string).trim() === '') {
          expect(r.emotion).toBeNull()
          expect(r.emotionReason).toMatch(/^no evidence: .*no transcript$/)
          continue
        }
        const e = r.emotion as { label: string; probabilities: Record<string, number> }
        expect(models.labels).toContain(e.label)
        const sum = Object.values(e.probabilities).reduce((a, b) => a + b, 0)
        expect(sum).toBeCloseTo(1, 3)
        expect(e.probabilities[e.label]).toBe(Math.max(...Object.values(e.probabilities)))
        expect(r.models).toMatchObject({ emotion: `${models.emotionName}@${models.version}` })
        expect(r.end as number).toBeGreaterThan(r.start as number)
      }
      if (models.tasks.includes('translation')) {
        // Every utterance with a transcript has a translation (from a tiny model: words, not quality).
        for (const r of rows)
          expect(typeof r.translation === 'string' && r.translation.length > 0).toBe(
            (r.text as string).length > 0,
          )
        const vtt = readFileSync(path.join(out, `${name}.vtt`), 'utf8')
        expect(vtt.startsWith('WEBVTT\n')).toBe(true)
        const withText = rows.filter((r) => (r.text as string).length > 0)
        expect(vtt.match(/ --> /g)?.length ?? 0).toBe(withText.length)
      }
    }
    const interview = jsonl(path.join(out, 'interview.utterances.jsonl'))
    expect(interview[0]).toMatchObject({
      text: 'The quick brown fox jumps over the lazy dog.',
      textSource: 'srt:interview.srt',
    })
    expect(interview[0]!.modalities).toMatchObject({ text: true, audio: true, visual: true })
    expect(jsonl(path.join(out, 'voice memo.utterances.jsonl'))[0]!.modalities).toMatchObject({
      audio: true,
      visual: false,
    })
    expect(jsonl(path.join(out, 'embedded.utterances.jsonl'))[0]).toMatchObject({ textSource: 'embedded' })
    const vad = jsonl(path.join(out, 'no subtitles.utterances.jsonl'))
    expect(vad.every((r) => r.textSource === 'vad' && r.text === '' && r.translation === null)).toBe(true)

    // 3. Resumed again: no work at all, outputs untouched.
    const stamp = statSync(path.join(out, 'interview.utterances.jsonl')).mtimeMs
    const again = await fwsBatch([...common, '--resume'])
    expect(again.code).toBe(1)
    const s2 = summaryOf(out)
    expect(s2.work).toEqual({ processed: 0, reusedComplete: 5, reusedFailed: 2 })
    expect(s2.totals).toMatchObject({ done: 0, skipped: 5, failed: 2 })
    expect(statSync(path.join(out, 'interview.utterances.jsonl')).mtimeMs).toBe(stamp)

    // 4. A run whose files all succeed exits 0.
    const clean = await fwsBatch([
      path.join(input, 'interview.mp4'),
      '--out',
      out,
      '--models',
      models.dir,
      '--tasks',
      models.tasks.join(','),
      '--fps',
      '1',
      '--resume',
    ])
    expect(clean.code).toBe(0)
    expect(summaryOf(out).work).toEqual({ processed: 0, reusedComplete: 1, reusedFailed: 0 })

    // 5. --project with --resume: the finished results go into a project, still without redoing work.
    const proj = path.join(tmp, 'study.fwsproj')
    const withProject = await fwsBatch([
      path.join(input, 'interview.mp4'),
      ...['--out', out, '--models', models.dir, '--tasks', models.tasks.join(','), '--fps', '1', '--resume'],
      ...['--project', proj],
    ])
    expect(withProject.code).toBe(0)
    expect(summaryOf(out).work).toEqual({ processed: 0, reusedComplete: 1, reusedFailed: 0 })
    const store = ProjectStore.open(proj)
    try {
      const media = store.listMedia()
      expect(media.map((m) => m.name)).toEqual(['interview.mp4'])
      const rows = store.listUtterances(media[0]!.id)
      expect(rows).toHaveLength(cues.interview!)
      for (const [i, r] of rows.entries()) {
        expect(r.prediction?.modelVersion).toBe(`${models.emotionName}@${models.version}`)
        expect(r.prediction?.label).toBe((interview[i]!.emotion as { label: string }).label)
        if (models.tasks.includes('translation')) expect(r.translation).toBe(interview[i]!.translation)
      }
    } finally {
      store.close()
    }
  }, 240_000)
})
