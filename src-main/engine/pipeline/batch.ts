/**
 * One batch inference run over files and folders, as a job. Owns the orchestration: discovery
 * (`discoverRun`), the worker pool (`jobs` workers; a long file is split between them), dispatch
 * of the files in order, progress (overall by file size, per file by stage), cancellation, and
 * writing `summary.json`. The work on one file (hash, resume decision, inference, atomic outputs,
 * failure isolation) is process-one.ts; the summaries are summary.ts; the shapes batch-types.ts.
 *
 * The CLI (`fws batch`) and the app's `jobs.startInference` both run this; the app passes
 * `onFileResult` to store predictions in the open project. The per-file work (`processFile`),
 * discovery (`discoverRun`) and `buildSummary` are also what the Redis queue (engine/queue) runs,
 * so a queued run produces what a local one does. This module re-exports them for its importers.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { JobControl } from '../core/job-control'
import { WorkerPool } from '../core/pool'
import type { WorkerName } from '../core/worker-entry'
import { DEFAULT_DETECT_EVERY, DEFAULT_FPS } from '../features/types'
import { probe } from '../media/probe'
import { discoverMedia, outputNames, type SkippedEntry } from './discover'
import { outputPaths, removeStaleTemps, writeAtomic } from './outputs'
import type { FileProgress, PartOutcome, SegmentOutcome, WorkerTask } from './types'
import type {
  BatchEvent,
  BatchOptions,
  BatchSummary,
  FileContext,
  FileOutcome,
  PipelinePool,
} from './batch-types'
import { processFile } from './process-one'
import { buildSummary, cancelledSummary } from './summary'

export type {
  BatchEvent,
  BatchOptions,
  BatchSummary,
  FileContext,
  FileEvent,
  FileOutcome,
  FileStatus,
  FileSummary,
  PipelinePool,
} from './batch-types'
export { MIN_PART_SEC, processFile, splitParts } from './process-one'
export { buildSummary, cancelledSummary } from './summary'

/** Media files of a run, found and named once (by the local batch and by `fws batch --queue`). */
export interface DiscoveredRun {
  files: string[]
  /** Output base name per file (unique per input path). */
  names: string[]
  /** Bytes per file (at least 1), the weight of each file in the overall progress. */
  sizes: number[]
  skipped: SkippedEntry[]
}

export async function discoverRun(
  inputs: string[],
  outDir: string,
  signal?: AbortSignal,
): Promise<DiscoveredRun> {
  const found = await discoverMedia(inputs, { signal, isMedia: probesAsMedia, exclude: [outDir] })
  const files = found.files.map((f) => f.file)
  const sizes = await Promise.all(
    files.map((f) =>
      stat(f).then(
        (s) => Math.max(s.size, 1),
        () => 1,
      ),
    ),
  )
  return { files, names: outputNames(files), sizes, skipped: found.skipped }
}

/** The worker-thread pool one process runs files on (`size` threads; a long file is split between them). */
export function createPipelinePool(size: number, worker?: WorkerName | { file: string }): PipelinePool {
  return new WorkerPool<WorkerTask, SegmentOutcome | PartOutcome, FileProgress>({
    worker: worker ?? 'pipeline-worker',
    size,
  })
}

/** Runs the batch under `job` (its signal cancels everything) and writes `summary.json`. */
export async function runBatch(opts: BatchOptions, job: JobControl): Promise<BatchSummary> {
  const t0 = Date.now()
  const outDir = path.resolve(opts.outDir)
  const fps = opts.fps ?? DEFAULT_FPS
  const detectEvery = opts.detectEvery ?? DEFAULT_DETECT_EVERY
  const subsDir = opts.subsDir ? path.resolve(opts.subsDir) : null
  const jobs = Math.max(1, Math.floor(opts.jobs ?? os.availableParallelism()))
  const signal = job.signal
  const emit = (e: BatchEvent) => opts.onEvent?.(e)

  await mkdir(outDir, { recursive: true })
  await removeStaleTemps(outDir)
  job.progress(0, 'discovering files')
  const found = await discoverRun(opts.inputs, outDir, signal)
  const { files, names, sizes } = found
  job.setItems(names)
  emit({
    type: 'discovered',
    files: files.map((file, i) => ({ file, name: names[i]! })),
    skipped: found.skipped,
  })

  const totalWeight = sizes.reduce((a, b) => a + b, 0) || 1
  const fileFraction = new Array<number>(files.length).fill(0)
  const updateTotal = (stage?: string) =>
    job.progress(fileFraction.reduce((acc, f, i) => acc + f * sizes[i]!, 0) / totalWeight, stage)

  // Not capped by the number of files: a long file is split between the workers (splitParts),
  // and workers are spawned only when there is work for them.
  const pool = createPipelinePool(jobs, opts.worker)
  const ctx: FileContext = {
    runId: `local.${randomUUID()}`,
    outDir,
    fps,
    detectEvery,
    subsDir,
    models: opts.models,
    cache: opts.cache !== false,
    resume: !!opts.resume,
    retryFailed: !!opts.retryFailed,
    inputs: new Set(files),
    pool,
    signal,
    onFileResult: opts.onFileResult,
    segmentsFor: opts.segmentsFor,
  }
  const outcomes: FileOutcome[] = new Array<FileOutcome>(files.length)

  const handle = async (i: number): Promise<void> => {
    const file = files[i]!
    const name = names[i]!
    outcomes[i] = await processFile(ctx, file, name, (e) => {
      if (e.type === 'file-start') {
        job.item(i, { status: 'running' })
        emit({ ...e, index: i, name, file })
        return
      }
      if (e.type === 'file-progress') {
        fileFraction[i] = e.fileFraction
        job.item(i, { progress: e.fileFraction })
        emit({ ...e, index: i, name })
        updateTotal(`${e.stage} · ${name}`)
        return
      }
      if (e.type === 'file-done' || e.type === 'file-failed') {
        fileFraction[i] = 1
        updateTotal()
        job.item(
          i,
          e.type === 'file-done'
            ? { status: 'done', progress: 1 }
            : { status: 'failed', progress: 1, error: e.error },
        )
      } else job.item(i, { status: 'cancelled' })
      emit({ ...e, index: i, name })
    })
  }

  try {
    // Files are started in order; one more than the pool size is in flight so the next file's
    // hashing overlaps the current inference instead of leaving a worker idle.
    await runLimited(files.length, pool.size + 1, handle)
  } finally {
    await pool.close()
  }

  const summary = buildSummary({
    t0,
    endedAt: Date.now(),
    outDir,
    cancelled: signal.aborted,
    options: { fps, detectEvery, subsDir, jobs, resume: !!opts.resume },
    models: opts.models,
    outcomes: files.map(
      (file, i) =>
        outcomes[i] ?? {
          summary: cancelledSummary(file, names[i]!),
          backend: null,
          work: null,
        },
    ),
    notMedia: found.skipped,
  })
  await writeAtomic(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n')
  job.progress(1, signal.aborted ? 'cancelled' : 'done')
  return summary
}

/** A file in a folder with an unknown extension is media when ffprobe finds an audio or video stream in it. */
async function probesAsMedia(file: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const p = await probe(file, { signal })
    return !!(p.audio || p.video)
  } catch {
    return false
  }
}

/** Runs `fn(0..n-1)` with at most `limit` running at once, in index order. */
async function runLimited(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  const lane = async () => {
    while (next < n) await fn(next++)
  }
  await Promise.all(Array.from({ length: Math.min(limit, n) }, lane))
}

export { outputPaths }
