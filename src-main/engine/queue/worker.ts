/**
 * `fws worker`: takes batch jobs of any run from the Redis queue and processes them with the same
 * per-file code as a local batch (pipeline/batch.ts processFile: resume check, atomic outputs,
 * completion record last). Owns, per job: the run's model check (the model folders at the run's
 * paths must have the run's checksums, else the run is refused and its job goes back to the queue
 * for another worker), the storage check (output folder writable, media file visible, else the
 * job fails with the path named — retried, maybe elsewhere, up to the run's attempts), progress
 * through `job.updateProgress`, the file's result in the run's results, and a bad media file
 * failing once (UnrecoverableError, never retried). A worker killed mid-file holds a lock it no
 * longer renews: BullMQ gives the job to another worker after the stall interval, and since
 * nothing but the completion record makes outputs count, the redo starts clean.
 */
import { access, stat } from 'node:fs/promises'
import { constants } from 'node:fs'
import os from 'node:os'
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq'
import { cancelledSummary, createPipelinePool, processFile, type FileContext } from '../pipeline/batch'
import type { FileOutcome } from '../pipeline/batch'
import { KEY_PREFIX, parseQueueUrl, QUEUE_NAME } from './connection'
import { openQueue } from './client'
import { modelMismatch } from './model-checksum'
import {
  generationId,
  isCancelled,
  loadResult,
  loadRun,
  saveRefusal,
  saveResult,
  type RunJobData,
  type RunRecord,
  type WorkerIdentity,
} from './run-record'

export interface QueueWorkerOptions {
  url: string
  /** Files processed at once (and the worker threads a long file is split between). */
  jobs: number
  /** How long a job's lock lasts without renewal (ms); a dead worker's job is free after this. */
  lockDurationMs?: number
  /** How often stalled jobs (locks not renewed) are looked for and given back (ms). */
  stalledIntervalMs?: number
  /** How long a refused job waits before it is offered again (ms). */
  refuseDelayMs?: number
  log?: (line: string) => void
}

export interface QueueWorker {
  identity: WorkerIdentity
  /** Stops taking jobs and waits for the current ones to finish. */
  close(): Promise<void>
}

export class StorageError extends Error {
  override name = 'StorageError'
}

/** How a worker processes one file of a queued run: the run's options, always resuming. */
function fileContext(
  rec: RunRecord,
  inputs: Set<string>,
  pool: FileContext['pool'],
  signal: AbortSignal,
): FileContext {
  return {
    runId: generationId(rec.name, rec.gen),
    outDir: rec.outDir,
    fps: rec.options.fps,
    detectEvery: rec.options.detectEvery,
    subsDir: rec.options.subsDir,
    models: rec.models,
    cache: rec.options.cache,
    // A queued run always resumes: a job done again (after a stall) reuses what is complete.
    resume: true,
    retryFailed: rec.options.retryFailed,
    inputs,
    pool,
    signal,
  }
}

export async function startQueueWorker(o: QueueWorkerOptions): Promise<QueueWorker> {
  const log = o.log ?? (() => {})
  const identity: WorkerIdentity = { host: os.hostname(), pid: process.pid, jobs: o.jobs }
  const who = `${identity.host}:${identity.pid}`
  const q = await openQueue(o.url, log)
  const pool = createPipelinePool(o.jobs)
  // Models are checked once per run when they match; a refusal is checked again at the next job
  // (the folder may have been fixed meanwhile).
  const runs = new Map<string, { rec: RunRecord; inputs: Set<string>; modelsMatch: boolean }>()

  const runFor = async (run: string, gen: number) => {
    const k = generationId(run, gen)
    let r = runs.get(k)
    if (!r) {
      const rec = await loadRun(q.redis, run)
      if (!rec || rec.gen !== gen) return null
      r = {
        rec,
        inputs: new Set(rec.files.map((f) => f.file)),
        modelsMatch: false,
      }
      runs.set(k, r)
      if (runs.size > 50) runs.delete(runs.keys().next().value!) // a long-lived worker sees many runs
    }
    return r
  }

  const processor = async (job: Job<RunJobData>, token?: string) => {
    const { run, gen, index } = job.data
    const r = await runFor(run, gen)
    // Enqueued again since (a newer generation has its own jobs) or deleted: nothing to do.
    if (!r) return 'superseded'
    const { rec } = r
    const f = rec.files[index]
    if (!f) throw new UnrecoverableError(`run ${run} has no file #${index}`)
    const t0 = Date.now()
    const store = (outcome: FileOutcome) =>
      saveResult(q.redis, run, index, { gen, outcome, worker: identity, seconds: (Date.now() - t0) / 1000 })
    // A worker that died after storing the result: nothing left to do.
    if (await loadResult(q.redis, run, gen, index)) return 'already done'
    if (await isCancelled(q.redis, run, gen)) {
      await store({ summary: cancelledSummary(f.file, f.name), backend: null, work: null })
      return 'cancelled'
    }
    const refused = r.modelsMatch ? null : await modelMismatch(rec.models, rec.modelChecksums)
    r.modelsMatch = !refused
    if (refused) {
      const why = `worker ${who} refuses run ${run}: ${refused}. Every worker needs the run's model folders at the same paths with the same content.`
      log(why)
      await saveRefusal(q.redis, run, who, why)
      await job.moveToDelayed(Date.now() + (o.refuseDelayMs ?? 5000), token)
      throw new DelayedError()
    }
    await checkStorage(who, rec.outDir, f.file).catch(async (err: Error) => {
      log(err.message)
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1))
        await store({
          summary: {
            ...cancelledSummary(f.file, f.name),
            status: 'failed',
            error: err.message,
            errorCode: 'STORAGE',
          },
          backend: null,
          work: null,
        })
      throw err
    })

    const ac = new AbortController()
    const cancelPoll = setInterval(() => {
      isCancelled(q.redis, run, gen).then(
        (c) => c && ac.abort(),
        () => {},
      )
    }, 300)
    let lastProgress = 0
    const ctx = fileContext(rec, r.inputs, pool, ac.signal)
    let outcome: FileOutcome
    try {
      outcome = await processFile(ctx, f.file, f.name, (e) => {
        if (e.type !== 'file-progress' && e.type !== 'file-start') return
        const t = Date.now()
        if (e.type === 'file-progress' && t - lastProgress < 500) return
        lastProgress = t
        const p =
          e.type === 'file-start'
            ? { stage: 'hash', fileFraction: 0, worker: who }
            : { stage: e.stage, fileFraction: e.fileFraction, worker: who }
        job.updateProgress(p).catch(() => {})
      })
    } finally {
      clearInterval(cancelPoll)
    }
    const s = outcome.summary
    log(`${run} ${f.name}: ${s.status}${s.error ? ` (${s.error})` : ''}`)
    await store(outcome)
    // A bad media file fails once with its own error: another try would fail the same way.
    if (s.status === 'failed') throw new UnrecoverableError(s.error ?? 'failed')
    return s.status
  }

  const worker = new Worker<RunJobData>(QUEUE_NAME, processor, {
    connection: parseQueueUrl(o.url),
    prefix: KEY_PREFIX,
    concurrency: o.jobs,
    lockDuration: o.lockDurationMs ?? 30_000,
    stalledInterval: o.stalledIntervalMs ?? 30_000,
    maxStalledCount: 2,
  })
  let down = false
  worker.on('error', (err) => {
    if (!down) log(`queue connection: ${err.message}; retrying…`)
    down = true
  })
  worker.on('ready', () => (down = false))
  await worker.waitUntilReady()

  return {
    identity,
    async close() {
      await worker.close()
      await pool.close()
      await q.close()
    },
  }
}

/** The output folder must be writable and the media file visible from this machine. */
async function checkStorage(who: string, outDir: string, file: string): Promise<void> {
  const hint = 'the output folder and the media must be on storage every worker reaches, at the same path'
  try {
    await access(outDir, constants.W_OK)
  } catch (err) {
    throw new StorageError(
      `worker ${who} cannot write the output folder ${outDir} (${(err as NodeJS.ErrnoException).code}): ${hint}`,
    )
  }
  try {
    await stat(file)
  } catch (err) {
    throw new StorageError(
      `worker ${who} cannot see the media file ${file} (${(err as NodeJS.ErrnoException).code}): ${hint}`,
    )
  }
}
