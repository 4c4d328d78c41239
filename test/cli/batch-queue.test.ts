// `fws batch --queue` + `fws worker` end to end (issue 19): a real redis-server on a free loopback
// port, two `fws worker` processes (bin/fws.mjs from source, --jobs 1 each), six media files with
// one truncated MP4, and a tiny real emotion model trained in setup.
//  - the queued run gives what a local `fws batch` of the same files gives (files, statuses,
//    utterance counts, the same .utterances.jsonl bytes), and the bad file fails once;
//  - one worker is SIGKILLed in the middle of a file: the other worker redoes it after the stall
//    interval, and no partial or duplicate output is left;
//  - the same command again skips everything (as --resume); Redis restarted mid-run: the worker
//    and the watcher reconnect and the run completes; a worker that cannot see the output folder
//    fails the job naming the path; a worker whose model differs refuses the run; SIGTERM lets a
//    worker finish its file.
import { spawn, type ChildProcess } from 'node:child_process'
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, runFws, type FwsOptions } from '../helpers/fws-cli'
import { makeBadFiles, makeSpeechVideo } from '../helpers/media-fixtures'
import { startRedis, type TestRedis } from '../helpers/redis-server'
import { trainTinyEmotionModel } from '../engine/pipeline/helpers/tiny-models'
import type { BatchSummary } from '../../src-main/engine/pipeline/batch'
import type { QueueSummary } from '../../src-main/engine/queue/watch'

let tmp: string
let model: string
let files: string[]
let longFile: string
let redis: TestRedis
let queue: Queue
const children = new Set<ChildProcess>()

/** Each process has its own feature cache, as separate machines would: nothing computed is shared. */
let caches = 0
const env = () => ({ FWS_CACHE_DIR: path.join(tmp, `cache-${++caches}`), HOME: tmp })

const fws = (args: string[], onLine?: FwsOptions['onLine']) =>
  runFws(args, {
    env: env(),
    json: true,
    onLine,
    timeoutMs: 120_000,
    onSpawn: (child) => {
      children.add(child)
      child.on('close', () => children.delete(child))
    },
  })

const batchArgs = ['--tasks', 'emotion', '--fps', '1', '--json']
const batch = (args: string[], onLine?: FwsOptions['onLine']) =>
  fws(['batch', ...args, '--emotion-model', model, ...batchArgs], onLine)

interface WorkerProc {
  child: ChildProcess
  id: string
  stderr: () => string
  exited: Promise<number | null>
}

/** Starts `fws worker` with a short lock so a killed worker's job is taken again within seconds. */
function startWorker(url: string): Promise<WorkerProc> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        path.join(ROOT, 'bin/fws.mjs'),
        'worker',
        '--queue',
        url,
        '--jobs',
        '1',
        '--lock-duration',
        '4000',
        '--stalled-interval',
        '2000',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, ...env(), FWS_FROM_SOURCE: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    children.add(child)
    let out = ''
    let err = ''
    const exited = new Promise<number | null>((r) =>
      child.on('close', (code) => {
        children.delete(child)
        r(code)
      }),
    )
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /fws worker (\S+): ready/.exec(out)
      if (m) resolve({ child, id: m[1]!, stderr: () => err, exited })
    })
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    void exited.then((code) => reject(new Error(`fws worker exited (${code}) before it was ready:\n${err}`)))
  })
}

const summaryOf = <T = BatchSummary>(out: string) =>
  JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as T
/** Output files with their final names (temp files of a killed writer start with a dot). */
const finalFiles = (out: string) =>
  readdirSync(out)
    .filter((f) => !f.startsWith('.') && f !== 'summary.json')
    .sort()

beforeAll(async () => {
  redis = await startRedis({ persist: true })
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-queue-'))
  const input = path.join(tmp, 'footage')
  mkdirSync(input, { recursive: true })
  const made = await Promise.all([
    // Long enough (≈ 70 s) to be caught in the middle; one part for a local --jobs 2 run too.
    makeSpeechVideo(input, { name: 'interview.mp4', sidecar: 'srt', durationSec: 70 }),
    makeSpeechVideo(input, {
      name: 'street.mp4',
      sidecar: 'vtt',
      phrases: ['Where is the station?', 'I am so happy to see you again!', 'That is terrible news.'],
    }),
    makeSpeechVideo(input, {
      name: 'memo one.m4a',
      video: false,
      sidecar: 'srt',
      phrases: ['Call me back when you can.', 'It is raining again.'],
    }),
    makeSpeechVideo(input, {
      name: 'memo two.m4a',
      video: false,
      sidecar: 'srt',
      phrases: ['Get out of my room right now!', 'Turn left at the bakery.'],
    }),
    makeSpeechVideo(input, {
      name: 'no subtitles.m4a',
      video: false,
      phrases: ['Nobody expected the results to be this clear.', 'Hello there, how are you today?'],
    }),
  ])
  const bad = await makeBadFiles(path.join(tmp, 'bad'))
  const broken = path.join(input, 'broken.mp4')
  copyFileSync(bad.truncatedMp4, broken)
  // The long file third: a lone worker finishes two files before it.
  const [long, ...short] = made.map((m) => m.file)
  files = [short[0]!, short[1]!, long!, ...short.slice(2), broken]
  longFile = long!
  model = path.join(tmp, 'models', 'emotion-tiny')
  await trainTinyEmotionModel(model)
  queue = new Queue('fws-batch', { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'fws' })
  queue.on('error', () => {}) // down while Redis restarts; it reconnects
}, 180_000)

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL')
  await queue?.close()
  await redis?.stop()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

describe('fws batch --queue with fws worker', () => {
  let workerB: WorkerProc

  it("two workers give what a local batch gives; a SIGKILLed worker's file is redone; the bad file fails once", async () => {
    const local = path.join(tmp, 'out-local')
    const queued = path.join(tmp, 'out-queue')
    const localRun = await batch([...files, '--out', local, '--jobs', '2'])
    expect(localRun.code).toBe(1)

    // Worker A alone takes the first files; in the middle of the long one it is killed with
    // SIGKILL and worker B starts: B takes the rest, and the long file again once A's lock expires.
    const a = await startWorker(redis.url)
    let killed: string | null = null
    let startB: Promise<WorkerProc> | null = null
    const watchKill = setInterval(() => {
      void queue.getJobs(['active']).then((jobs) => {
        for (const j of jobs) {
          const p = j.progress as { worker?: string; fileFraction?: number }
          if (!killed && j.name === 'interview' && p.worker === a.id && (p.fileFraction ?? 0) > 0.05) {
            killed = j.id!
            a.child.kill('SIGKILL')
            startB = startWorker(redis.url)
          }
        }
      })
    }, 100)
    const run = await batch([...files, '--out', queued, '--queue', redis.url, '--run', 'r1'])
    clearInterval(watchKill)
    expect(run.stderr).toBe('')
    expect(run.code).toBe(1) // the broken file failed, as locally
    expect(run.lines[0]).toMatchObject({ type: 'queued', run: 'r1', files: 6 })
    expect(killed).not.toBeNull()
    expect(await a.exited).toBeNull() // killed by the signal
    const b = await startB!
    workerB = b

    // Same files, statuses, counts and predictions as the local run.
    const ls = summaryOf(local)
    const qs = summaryOf<QueueSummary>(queued)
    const pick = (s: BatchSummary) =>
      s.files.map((f) => ({
        file: f.file,
        name: f.name,
        status: f.status,
        utterances: f.utterances,
        errorCode: f.errorCode,
        error: f.error,
        outputs: f.outputs,
      }))
    expect(pick(qs)).toEqual(pick(ls))
    const { realTimeFactor: _r, ...localTotals } = ls.totals
    expect(qs.totals).toMatchObject(localTotals)
    expect(qs.work).toEqual(ls.work)
    expect(qs.status).toBe('done')
    expect(qs.notMedia).toEqual(ls.notMedia)
    expect(qs.models).toEqual(ls.models)
    expect(qs.queue).toMatchObject({ run: 'r1', generation: 1 })
    expect(qs.queue.workers).toEqual([a.id, b.id].sort()) // both did files
    expect(finalFiles(queued)).toEqual(finalFiles(local))
    for (const f of finalFiles(local).filter((n) => n.endsWith('.utterances.jsonl')))
      expect(readFileSync(path.join(queued, f), 'utf8')).toBe(readFileSync(path.join(local, f), 'utf8'))
    const byName = Object.fromEntries(qs.files.map((f) => [f.name, f]))
    expect(byName.broken).toMatchObject({ status: 'failed', errorCode: 'TRUNCATED' })
    expect(qs.totals).toMatchObject({ files: 6, done: 5, failed: 1 })

    // The killed worker's file was done again by the other worker (after the stall) and completed.
    const killedJob = await queue.getJob(killed!)
    expect(await killedJob!.getState()).toBe('completed')
    const killedIndex = Number(killed!.split('.').at(-1))
    const results = await queueResults('r1')
    expect(results[killedIndex]!.worker).toBe(Number(b.id.split(':').at(-1)))

    // The bad file failed once: one attempt, one log line.
    const badIndex = qs.files.findIndex((f) => f.name === 'broken')
    const badJob = await queue.getJob(`r1.1.${badIndex}`)
    expect(await badJob!.getState()).toBe('failed')
    expect(badJob!.attemptsMade).toBe(1)
    expect(badJob!.failedReason).toMatch(/truncated/)
    const logs = a.stderr() + b.stderr()
    expect(logs.match(/r1 broken: failed/g)).toHaveLength(1)
  }, 150_000)

  it('the same command again skips every file, as --resume does', async () => {
    const queued = path.join(tmp, 'out-queue')
    const stamp = readFileSync(path.join(queued, 'interview.utterances.jsonl'))
    const run = await batch([...files, '--out', queued, '--queue', redis.url, '--run', 'r1'])
    expect(run.code).toBe(1)
    const s = summaryOf<QueueSummary>(queued)
    expect(s.work).toEqual({ processed: 0, reusedComplete: 5, reusedFailed: 1 })
    expect(s.queue.generation).toBe(2)
    expect(readFileSync(path.join(queued, 'interview.utterances.jsonl'))).toEqual(stamp)
  }, 60_000)

  it('survives a Redis restart mid-run: the worker and the watcher reconnect and the run completes', async () => {
    const out = path.join(tmp, 'out-restart')
    let restarted: Promise<void> | null = null
    let doneBefore = 0
    let doneAfter = 0
    const run = await batch(
      [...files.slice(0, 3), '--out', out, '--queue', redis.url, '--run', 'r2'],
      (l) => {
        if (l.type !== 'file-done') return
        if (restarted) doneAfter++
        else {
          doneBefore++
          restarted = redis.restart({ downMs: 1500 })
        }
      },
    )
    expect(restarted).not.toBeNull()
    await restarted
    expect(doneBefore).toBe(1)
    expect(doneAfter).toBe(2) // finished after Redis came back
    expect(run.code).toBe(0)
    expect(summaryOf(out).totals).toMatchObject({ files: 3, done: 3, failed: 0 })
    expect(workerB.child.exitCode).toBeNull() // still running
  }, 90_000)

  it('a worker that cannot see the output folder fails the job naming the path', async () => {
    const out = path.join(tmp, 'out-unreachable')
    const url = `${redis.url}/1` // a queue no worker watches yet
    const enq = await batch([files[2]!, '--out', out, '--queue', url, '--run', 'r3', '--no-watch'])
    expect(enq.code).toBe(0)
    rmSync(out, { recursive: true, force: true }) // as if the shared mount were missing on the workers
    const w = await startWorker(url)
    const watch = await fws(['batch', '--queue', url, '--run', 'r3', '--watch', '--json'])
    w.child.kill('SIGTERM')
    expect(watch.code).toBe(1)
    const failed = watch.lines.find((l) => l.type === 'file-failed') as { error: string }
    expect(failed.error).toContain(`cannot write the output folder ${out}`)
    expect(failed.error).toMatch(/storage every worker reaches/)
    expect(existsSync(path.join(out, 'summary.json'))).toBe(false) // nowhere to write it: the watcher says so
    expect(watch.stderr).toMatch(new RegExp(`summary.json`))
    expect(await w.exited).toBe(143)
  }, 60_000)

  it('a worker refuses a run whose model differs on its machine, and takes it once the model matches', async () => {
    const url = `${redis.url}/2`
    const copy = path.join(tmp, 'models', 'emotion-copy')
    cpSync(model, copy, { recursive: true })
    const out = path.join(tmp, 'out-refuse')
    const enq = await fws([
      ...['batch', files[2]!, '--out', out, '--queue', url, '--run', 'r4', '--no-watch'],
      ...['--emotion-model', copy, ...batchArgs],
    ])
    expect(enq.code).toBe(0)
    // The worker's machine has other bytes at the model's path.
    const manifest = path.join(copy, 'manifest.json')
    const original = readFileSync(manifest)
    writeFileSync(manifest, Buffer.concat([original, Buffer.from('\n')]))
    const w = await startWorker(url)
    const restore = setInterval(() => {
      if (/refuses run r4/.test(w.stderr())) {
        writeFileSync(manifest, original)
        clearInterval(restore)
      }
    }, 100)
    const watch = await fws(['batch', '--queue', url, '--run', 'r4', '--watch', '--json'])
    clearInterval(restore)
    w.child.kill('SIGTERM')
    expect(watch.stderr).toContain(`refuses run r4: its emotion model ${copy} differs here`)
    expect(watch.code).toBe(0)
    expect(summaryOf(out).totals).toMatchObject({ files: 1, done: 1 })
    expect(await w.exited).toBe(143)
  }, 60_000)

  it('SIGTERM on a worker in the middle of a file: it finishes the file, then exits 143', async () => {
    const url = `${redis.url}/3`
    const w = await startWorker(url)
    const out = path.join(tmp, 'out-sigterm')
    let signalled = false
    const run = await batch([longFile, '--out', out, '--queue', url, '--run', 'r5'], (l) => {
      if (!signalled && l.type === 'file-progress' && (l.fileFraction as number) > 0.05) {
        signalled = true
        w.child.kill('SIGTERM')
      }
    })
    expect(signalled).toBe(true)
    expect(run.code).toBe(0)
    expect(summaryOf<QueueSummary>(out)).toMatchObject({
      totals: { files: 1, done: 1 },
      queue: { workers: [w.id] },
    })
    expect(await w.exited).toBe(143)
    const log = w.stderr()
    expect(log.indexOf('SIGTERM: finishing the current files')).toBeGreaterThanOrEqual(0)
    expect(log.indexOf('r5 interview: done')).toBeGreaterThan(log.indexOf('SIGTERM'))
  }, 60_000)

  it('Ctrl-C on the watching fws batch cancels the run on its workers (exit 130); --cancel cancels a run nobody watches', async () => {
    const url = `${redis.url}/4`
    const w = await startWorker(url)
    const out = path.join(tmp, 'out-cancel')
    let sent = false
    const run = await batch([longFile, files[0]!, '--out', out, '--queue', url, '--run', 'r6'], (l, kill) => {
      if (!sent && l.type === 'file-progress' && (l.fileFraction as number) > 0.05) {
        sent = true
        kill('SIGINT')
      }
    })
    expect(sent).toBe(true)
    expect(run.code).toBe(130)
    expect(run.stderr).toContain('SIGINT: cancelling run r6')
    const s = summaryOf(out)
    expect(s).toMatchObject({ status: 'cancelled', totals: { files: 2, cancelled: 2, done: 0 } })
    expect(finalFiles(out)).toEqual([]) // nothing half-done passes for an output
    expect(w.stderr()).toContain('r6 interview: cancelled')
    expect(w.child.exitCode).toBeNull() // the worker goes on with other runs

    const url2 = `${redis.url}/5` // no worker here: the run waits
    const out2 = path.join(tmp, 'out-cancel-2')
    expect((await batch([files[0]!, '--out', out2, '--queue', url2, '--run', 'r7', '--no-watch'])).code).toBe(
      0,
    )
    const cancel = await fws(['batch', '--queue', url2, '--run', 'r7', '--cancel', '--json'])
    expect(cancel.code).toBe(0)
    expect(cancel.lines).toEqual([{ type: 'cancelled', run: 'r7' }])
    const attach = await fws(['batch', '--queue', url2, '--run', 'r7', '--watch', '--json'])
    expect(attach.code).toBe(130)
    expect(summaryOf(out2)).toMatchObject({ status: 'cancelled', totals: { files: 1, cancelled: 1 } })
    const unknown = await fws(['batch', '--queue', url2, '--run', 'nope', '--watch'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain(`no run "nope" on ${url2}`)
    w.child.kill('SIGTERM')
    expect(await w.exited).toBe(143)
  }, 60_000)
})

async function queueResults(run: string): Promise<Record<number, { worker: number }>> {
  const client = new Redis({ host: '127.0.0.1', port: redis.port })
  const all = await client.hgetall(`fws:run:${run}:results`).finally(() => client.disconnect())
  return Object.fromEntries(
    Object.entries(all).map(([i, t]) => {
      const r = JSON.parse(t) as { worker: { pid: number } }
      return [Number(i), { worker: r.worker.pid }]
    }),
  )
}
