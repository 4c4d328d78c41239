// `fws batch` on the inputs that used to lose or mix up results, or hang (issue 20), through the
// real CLI entry with a tiny real emotion model (trained in setup):
//  - names that collide (clip.mp4 / clip.mkv, a'b.mp4 / a_b.mp4 with the same bytes): one output
//    set per input, and --resume takes each file's own record only;
//  - a FIFO (named explicitly and inside the folder), a symbolic link to media elsewhere
//    (followed), a broken link, a link loop, and a file the batch may not read (chmod 000; when the
//    tests run as root, fws runs without the capabilities that let root read it anyway):
//    reported in summary.json with their reasons, and the batch does not hang;
//  - SIGTERM / SIGHUP: summary.json written, exit 143 / 129.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeSpeechVideo } from '../helpers/media-fixtures'
import { runFws, type FwsOptions } from '../helpers/fws-cli'
import { trainTinyEmotionModel } from '../engine/pipeline/helpers/tiny-models'
import type { BatchSummary } from '../../src-main/engine/pipeline/batch'
import type { CompletionRecord } from '../../src-main/engine/pipeline/outputs'

let tmp: string
let model: string
let clipA: string
let clipB: string

/** Runs `fws batch … --json` (as root: without passing over file permissions); `onLine` may act on the child. */
const fwsBatch = (args: string[], opts: Pick<FwsOptions, 'onLine'> = {}) =>
  runFws(
    ['batch', ...args, '--tasks', 'emotion', '--emotion-model', model, '--fps', '1', '--jobs', '1', '--json'],
    {
      ...opts,
      json: true,
      env: { FWS_CACHE_DIR: path.join(tmp, 'cache'), HOME: tmp },
      // Root reads a chmod 000 file anyway: run without the capabilities that allow it.
      withoutRootOverride: true,
    },
  )

const summaryOf = (out: string) =>
  JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as BatchSummary
const recordOf = (out: string, name: string) =>
  JSON.parse(readFileSync(path.join(out, `${name}.batch.json`), 'utf8')) as CompletionRecord
const sha = (file: string) => `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-batch-faults-'))
  const [a, b] = await Promise.all([
    makeSpeechVideo(null, { video: false, phrases: ['Call me back when you can.'] }),
    makeSpeechVideo(null, { video: false, phrases: ['It is raining again.', 'Where is the station?'] }),
  ])
  clipA = a.file
  clipB = b.file
  model = path.join(tmp, 'models', 'emotion-tiny')
  await trainTinyEmotionModel(model)
}, 240_000)

afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('fws batch: nothing lost, nothing mixed up, nothing hangs', () => {
  it(
    'gives colliding names their own outputs, and --resume takes each file its own results',
    { timeout: 300_000 },
    async () => {
      const input = path.join(tmp, 'collide')
      mkdirSync(input)
      copyFileSync(clipA, path.join(input, 'clip.mp4'))
      copyFileSync(clipB, path.join(input, 'clip.mkv'))
      copyFileSync(clipA, path.join(input, "a'b.mp4")) // same bytes as a_b.mp4
      copyFileSync(clipA, path.join(input, 'a_b.mp4'))
      const out = path.join(tmp, 'collide-out')
      const first = await fwsBatch([input, '--out', out])
      expect(first.code, first.stderr).toBe(0)
      const s1 = summaryOf(out)
      expect(s1.totals).toMatchObject({ files: 4, done: 4, failed: 0 })
      const names = s1.files.map((f) => f.name)
      expect(new Set(names).size).toBe(4)
      // 4 output sets on disk, each record naming its own source and that source's content.
      expect(readdirSync(out).filter((f) => f.endsWith('.utterances.jsonl'))).toHaveLength(4)
      for (const f of s1.files) {
        const rec = recordOf(out, f.name)
        expect(rec.source).toBe(f.file)
        expect(rec.contentHash).toBe(sha(f.file))
        expect(rec.outputs.map((o) => o.file)).toEqual([`${f.name}.utterances.jsonl`])
      }
      const utterances = Object.fromEntries(s1.files.map((f) => [path.basename(f.file), f.utterances]))

      // Resumed twice: nothing redone, nothing taken from another file.
      for (let run = 0; run < 2; run++) {
        const again = await fwsBatch([input, '--out', out, '--resume'])
        expect(again.code, again.stderr).toBe(0)
        const s = summaryOf(out)
        expect(s.work).toEqual({ processed: 0, reusedComplete: 4, reusedFailed: 0 })
        expect(s.files.map((f) => f.name)).toEqual(names)
        for (const f of s.files) {
          expect(f.status).toBe('skipped')
          expect(f.utterances).toBe(utterances[path.basename(f.file)])
          expect(recordOf(out, f.name).source).toBe(f.file)
        }
      }
    },
  )

  it(
    'reports FIFOs, broken links, loops, unreadable files and folders with their reasons, follows links, never hangs',
    { timeout: 300_000 },
    async () => {
      const input = path.join(tmp, 'odd')
      const elsewhere = path.join(tmp, 'elsewhere')
      mkdirSync(input)
      mkdirSync(elsewhere)
      copyFileSync(clipA, path.join(elsewhere, 'real.m4a'))
      symlinkSync(path.join(elsewhere, 'real.m4a'), path.join(input, 'linked.m4a'))
      symlinkSync(path.join(elsewhere, 'gone.m4a'), path.join(input, 'broken.m4a'))
      symlinkSync(path.join(input, 'loop2.mp4'), path.join(input, 'loop1.mp4'))
      symlinkSync(path.join(input, 'loop1.mp4'), path.join(input, 'loop2.mp4'))
      execFileSync('mkfifo', [path.join(input, 'pipe.mp4')])
      const fifo = path.join(tmp, 'explicit.fifo.mp4')
      execFileSync('mkfifo', [fifo])
      copyFileSync(clipB, path.join(input, 'locked.m4a'))
      chmodSync(path.join(input, 'locked.m4a'), 0o000)
      mkdirSync(path.join(input, 'private'))
      copyFileSync(clipA, path.join(input, 'private', 'hidden-away.m4a'))
      chmodSync(path.join(input, 'private'), 0o000)
      const out = path.join(tmp, 'odd-out')
      const t0 = Date.now()
      const r = await fwsBatch([input, fifo, '--out', out])
      expect(r.signal, 'the batch hung and was killed').toBeNull()
      expect(r.code, r.stderr).toBe(1) // the unreadable file failed
      expect(Date.now() - t0).toBeLessThan(120_000)
      const s = summaryOf(out)
      const byBase = Object.fromEntries(s.files.map((f) => [path.basename(f.file), f]))
      expect(Object.keys(byBase).sort()).toEqual(['linked.m4a', 'locked.m4a'])
      expect(byBase['linked.m4a']).toMatchObject({ status: 'done' })
      expect(byBase['linked.m4a']!.utterances).toBeGreaterThan(0)
      expect(byBase['locked.m4a']).toMatchObject({ status: 'failed', errorCode: 'EACCES' })
      expect(byBase['locked.m4a']!.error).toMatch(/cannot read .*locked\.m4a: permission denied/)
      // Its failure record is there, so the failure is on file (and a resume reports it again).
      expect(recordOf(out, byBase['locked.m4a']!.name)).toMatchObject({
        status: 'failed',
        source: byBase['locked.m4a']!.file,
      })
      const skipped = Object.fromEntries(s.notMedia.map((n) => [path.basename(n.file), n]))
      expect(skipped['pipe.mp4']).toMatchObject({ code: 'not-regular' })
      expect(skipped['pipe.mp4']!.reason).toMatch(/named pipe \(FIFO\)/)
      expect(skipped['explicit.fifo.mp4']).toMatchObject({ code: 'not-regular' })
      expect(skipped['broken.m4a']).toMatchObject({ code: 'broken-link' })
      expect(skipped['loop1.mp4']).toMatchObject({ code: 'link-loop' })
      expect(skipped['loop2.mp4']).toMatchObject({ code: 'link-loop' })
      expect(skipped['private']).toMatchObject({ code: 'permission' })
      expect(skipped['private']!.reason).toMatch(/folder cannot be listed: permission denied/)
    },
  )

  it.each([
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)(
    '%s cancels cleanly: summary.json written, exit %i',
    { timeout: 300_000 },
    async (sig, code) => {
      const input = path.join(tmp, `term-${sig}`)
      mkdirSync(input)
      for (let i = 0; i < 4; i++) copyFileSync(i % 2 ? clipA : clipB, path.join(input, `take${i}.m4a`))
      const out = path.join(tmp, `term-${sig}-out`)
      let sent = false
      const r = await fwsBatch([input, '--out', out, '--no-cache'], {
        onLine: (l, kill) => {
          if (!sent && l.type === 'file-start') {
            sent = true
            kill(sig)
          }
        },
      })
      expect(sent).toBe(true)
      expect(r.signal).toBeNull()
      expect(r.code, r.stderr).toBe(code)
      expect(existsSync(path.join(out, 'summary.json'))).toBe(true)
      const s = summaryOf(out)
      expect(s.status).toBe('cancelled')
      expect(s.totals.files).toBe(4)
      expect(s.totals.cancelled).toBeGreaterThanOrEqual(1)
      expect(r.stderr).toContain(`${sig}: cancelling`)
    },
  )
})
