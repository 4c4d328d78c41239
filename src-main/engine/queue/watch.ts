/**
 * Following a queued run from any machine, and cancelling it. Owns the watcher: it polls the
 * run's results and active jobs in Redis (polling, not a stream subscription, so a Redis restart
 * only pauses it) and turns them into the same job snapshot and BatchEvents as a local batch —
 * the same progress display — then writes the same summary.json, built by the same code
 * (pipeline/batch.ts buildSummary) from the files' outcomes, plus a `queue` block (run,
 * generation, workers). Also owns `cancelRun`: jobs still waiting are removed and recorded as
 * cancelled; running ones are stopped by their workers.
 */
import path from 'node:path'
import type { JobControl } from '../core/job-control'
import {
  buildSummary,
  cancelledSummary,
  type BatchEvent,
  type BatchSummary,
  type FileOutcome,
} from '../pipeline/batch'
import { writeAtomic } from '../pipeline/outputs'
import type { QueueClients } from './client'
import { describeQueueUrl } from './connection'
import {
  generationId,
  isCancelled,
  jobId,
  loadRefusals,
  loadResults,
  loadRun,
  markCancelled,
  saveResult,
  type RunRecord,
  type RunResult,
} from './run-record'

export interface QueueSummary extends BatchSummary {
  queue: { url: string; run: string; generation: number; workers: string[] }
}

export class UnknownRunError extends Error {
  override name = 'UnknownRunError'
}

export interface WatchOptions {
  onEvent?: (e: BatchEvent) => void
  /** Warnings worth a line (a worker refused the run). */
  onWarning?: (msg: string) => void
  pollMs?: number
}

/** Follows `run` until every file has a result; writes and returns summary.json. Its job's signal cancels the run. */
export async function watchRun(
  q: QueueClients,
  run: string,
  job: JobControl,
  o: WatchOptions = {},
): Promise<QueueSummary> {
  const rec = await loadRun(q.redis, run)
  if (!rec) throw new UnknownRunError(`no run "${run}" on ${describeQueueUrl(q.url)}`)
  const emit = (e: BatchEvent) => o.onEvent?.(e)
  const names = rec.files.map((f) => f.name)
  job.setItems(names)
  emit({
    type: 'discovered',
    files: rec.files.map((f) => ({ file: f.file, name: f.name })),
    skipped: rec.notMedia,
  })
  const totalWeight = rec.files.reduce((a, f) => a + f.size, 0) || 1
  const fraction = rec.files.map(() => 0)
  const started = new Set<number>()
  const seen = new Map<number, RunResult>()
  const warned = new Set<string>()
  const prefix = `${generationId(run, rec.gen)}.`
  let cancelling = false
  let tick = 0
  const onAbort = () => {
    cancelling = true
  }
  job.signal.addEventListener('abort', onAbort, { once: true })
  const updateTotal = (stage?: string) =>
    job.progress(fraction.reduce((a, f, i) => a + f * rec.files[i]!.size, 0) / totalWeight, stage)

  try {
    for (;;) {
      if (cancelling) {
        cancelling = false
        await cancelRun(q, run)
      }
      const results = await loadResults(q.redis, run, rec.gen)
      if (tick++ % 5 === 0) await recordFailedJobs(q, rec, results)
      for (const [i, r] of results) {
        if (seen.has(i)) continue
        seen.set(i, r)
        fraction[i] = 1
        reportResult(i, r, job, emit, started)
      }
      for (const j of await q.queue.getJobs(['active'])) {
        if (!j.id?.startsWith(prefix)) continue
        const i = Number(j.id.slice(prefix.length))
        if (seen.has(i) || !rec.files[i]) continue
        const name = rec.files[i].name
        if (!started.has(i)) {
          started.add(i)
          job.item(i, { status: 'running' })
          emit({ type: 'file-start', index: i, name, file: rec.files[i].file })
        }
        const p = j.progress as { stage?: string; fileFraction?: number } | number
        if (typeof p === 'object' && typeof p.fileFraction === 'number' && p.fileFraction > fraction[i]!) {
          fraction[i] = p.fileFraction
          job.item(i, { progress: p.fileFraction })
          const stage = (p.stage ?? 'features') as 'features'
          emit({ type: 'file-progress', index: i, name, stage, fraction: 0, fileFraction: p.fileFraction })
          updateTotal(`${stage} · ${name}`)
        }
      }
      updateTotal()
      if (tick % 5 === 1) {
        const now = await loadRun(q.redis, run)
        if (!now)
          throw new Error(
            `run ${run} is gone from Redis at ${describeQueueUrl(q.url)} (restarted without persistence, or flushed): enqueue it again — completed files are kept`,
          )
        if (now.gen !== rec.gen)
          throw new Error(
            `run ${run} was enqueued again (generation ${now.gen}): follow that one with --watch`,
          )
      }
      if (tick % 5 === 1)
        for (const [who, why] of Object.entries(await loadRefusals(q.redis, run)))
          if (!warned.has(who)) {
            warned.add(who)
            o.onWarning?.(why)
          }
      if (seen.size >= rec.files.length) break
      await new Promise((r) => setTimeout(r, o.pollMs ?? 400))
    }
  } finally {
    job.signal.removeEventListener('abort', onAbort)
  }

  const summary = await writeQueueSummary(q, run, rec, seen)
  job.progress(1, summary.status)
  return summary
}

/** The run's summary.json, from every file's result (written atomically into the run's output folder). */
async function writeQueueSummary(
  q: QueueClients,
  run: string,
  rec: RunRecord,
  seen: ReadonlyMap<number, RunResult>,
): Promise<QueueSummary> {
  const outcomes = rec.files.map((_, i) => seen.get(i)!.outcome)
  const workers = new Map<string, number>()
  for (const r of seen.values())
    if (r.outcome.work) workers.set(`${r.worker.host}:${r.worker.pid}`, r.worker.jobs)
  const summary: QueueSummary = {
    ...buildSummary({
      t0: rec.createdAt,
      endedAt: Date.now(),
      outDir: rec.outDir,
      cancelled: await isCancelled(q.redis, run, rec.gen),
      options: {
        fps: rec.options.fps,
        detectEvery: rec.options.detectEvery,
        subsDir: rec.options.subsDir,
        jobs: [...workers.values()].reduce((a, b) => a + b, 0),
        resume: true,
      },
      models: rec.models,
      outcomes,
      notMedia: rec.notMedia,
    }),
    queue: { url: describeQueueUrl(q.url), run, generation: rec.gen, workers: [...workers.keys()].sort() },
  }
  const summaryPath = path.join(rec.outDir, 'summary.json')
  try {
    await writeAtomic(summaryPath, JSON.stringify(summary, null, 2) + '\n')
  } catch (err) {
    throw new Error(`the run ended but ${summaryPath} could not be written: ${(err as Error).message}`, {
      cause: err,
    })
  }
  return summary
}

function reportResult(
  i: number,
  r: RunResult,
  job: JobControl,
  emit: (e: BatchEvent) => void,
  started: Set<number>,
): void {
  const s = r.outcome.summary
  if (!started.has(i) && s.status !== 'cancelled') {
    started.add(i)
    emit({ type: 'file-start', index: i, name: s.name, file: s.file })
  }
  if (s.status === 'done' || s.status === 'skipped') {
    job.item(i, { status: 'done', progress: 1 })
    emit({
      type: 'file-done',
      index: i,
      name: s.name,
      utterances: s.utterances,
      noEvidence: s.noEvidence?.utterances ?? 0,
      skipped: s.status === 'skipped',
      seconds: s.status === 'done' ? r.seconds : 0,
    })
  } else if (s.status === 'failed') {
    job.item(i, { status: 'failed', progress: 1, error: s.error })
    emit({
      type: 'file-failed',
      index: i,
      name: s.name,
      error: s.error ?? '',
      code: s.errorCode,
      previous: s.previous,
    })
  } else {
    job.item(i, { status: 'cancelled' })
    emit({ type: 'file-cancelled', index: i, name: s.name })
  }
}

/**
 * A job BullMQ failed for good without a result from a worker (it stalled too often, or its run
 * record was gone): the file is recorded as failed with BullMQ's reason.
 */
async function recordFailedJobs(
  q: QueueClients,
  rec: RunRecord,
  results: Map<number, RunResult>,
): Promise<void> {
  if (results.size >= rec.files.length) return
  const prefix = `${generationId(rec.name, rec.gen)}.`
  for (const j of await q.queue.getJobs(['failed'], 0, 499)) {
    if (!j.id?.startsWith(prefix)) continue
    const i = Number(j.id.slice(prefix.length))
    const f = rec.files[i]
    if (!f || results.has(i)) continue
    const outcome: FileOutcome = {
      summary: {
        ...cancelledSummary(f.file, f.name),
        status: 'failed',
        error: j.failedReason,
        errorCode: 'QUEUE',
      },
      backend: null,
      work: null,
    }
    const r = { gen: rec.gen, outcome, worker: { host: 'queue', pid: 0, jobs: 0 }, seconds: 0 }
    if (await saveResult(q.redis, rec.name, i, r)) results.set(i, r)
  }
}

/** Cancels a run: waiting jobs are removed (recorded as cancelled), workers stop running ones. */
export async function cancelRun(q: QueueClients, run: string): Promise<RunRecord> {
  const rec = await loadRun(q.redis, run)
  if (!rec) throw new UnknownRunError(`no run "${run}" on ${describeQueueUrl(q.url)}`)
  await markCancelled(q.redis, run, rec.gen)
  const results = await loadResults(q.redis, run, rec.gen)
  for (const [i, f] of rec.files.entries()) {
    if (results.has(i)) continue
    const j = await q.queue.getJob(jobId(run, rec.gen, i))
    const state = j ? await j.getState() : 'unknown'
    if (state === 'active') continue // its worker sees the flag within a second
    if (j && state !== 'completed' && state !== 'failed') await j.remove().catch(() => {})
    await saveResult(q.redis, run, i, {
      gen: rec.gen,
      outcome: { summary: cancelledSummary(f.file, f.name), backend: null, work: null },
      worker: { host: 'cancel', pid: process.pid, jobs: 0 },
      seconds: 0,
    })
  }
  return rec
}
