/**
 * One batch inference run over files and folders, as a job. Owns the orchestration: discovery,
 * output names, content hashing and the resume decision, dispatch of each file to the worker
 * pool (one file per worker, `jobs` workers), atomic outputs per file, failure isolation (a bad
 * file is recorded with its error and the batch goes on), progress (overall by file size, per
 * file by stage), cancellation, and `summary.json`.
 *
 * The CLI (`fws batch`) and the app's `jobs.startInference` both run this; the app passes
 * `onFileResult` to store predictions in the open project. The per-file work (`processFile`),
 * discovery (`discoverRun`) and `buildSummary` are also what the Redis queue (engine/queue) runs,
 * so a queued run produces what a local one does.
 */
import { mkdir, readFile, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { JobControl } from '../core/job-control'
import { abortError, isAbortError } from '../core/abort'
import { WorkerPool } from '../core/pool'
import type { WorkerName } from '../core/worker-entry'
import { DEFAULT_DETECT_EVERY, DEFAULT_FPS, EXTRACTOR_VERSION } from '../features/types'
import { probe } from '../media/probe'
import { discoverMedia, outputNames, type SkippedEntry } from './discover'
import { assembleResult } from './assemble'
import { contentHash } from './hash'
import {
  findReusableRecord,
  outputPaths,
  removeStaleTemps,
  writeAtomic,
  writeFailureRecord,
  writeFileOutputs,
  type ResultKey,
} from './outputs'
import {
  STAGE_WEIGHTS,
  STAGES,
  NO_EVIDENCE_HINT,
  type FileProgress,
  type FileResult,
  type FileTask,
  type ModelSelection,
  type PartOutcome,
  type Segment,
  type SegmentOutcome,
  type Stage,
  type UtteranceResult,
  type WorkerTask,
} from './types'
import { droppedTotal, type DroppedCues } from '../media/subtitles/cue'

export interface BatchOptions {
  inputs: string[]
  outDir: string
  subsDir?: string | null
  /** Frames per second sampled for visual features. */
  fps?: number
  /** Run the face detector on every Nth sampled frame and track in between (1 = every frame). */
  detectEvery?: number
  models: ModelSelection
  /** Worker threads (files processed at once). Default: number of cores. */
  jobs?: number
  /** Skip files whose outputs are complete for the same content and models. */
  resume?: boolean
  /** With `resume`: redo files that failed last time (by default their failure is reported again). */
  retryFailed?: boolean
  /** Use the feature cache (default true). */
  cache?: boolean
  /** Called after a file's outputs are written (e.g. to store the predictions in a project). */
  onFileResult?: (file: string, result: FileResult, contentHash: string) => Promise<void>
  /** Utterances to use for a file instead of segmenting it (e.g. the cuts already in a project), or null. */
  segmentsFor?: (file: string, contentHash: string) => Promise<Segment[] | null>
  /** Fine-grained events for progress displays (per-file stage); the job snapshot carries the rest. */
  onEvent?: (e: BatchEvent) => void
  /** Worker entry override (tests and benches). */
  worker?: WorkerName | { file: string }
}

export type BatchEvent =
  | {
      type: 'discovered'
      files: { file: string; name: string }[]
      skipped: SkippedEntry[]
    }
  | { type: 'file-start'; index: number; name: string; file: string }
  | {
      type: 'file-progress'
      index: number
      name: string
      stage: Stage | 'hash' | 'write'
      fraction: number
      fileFraction: number
    }
  | {
      type: 'file-done'
      index: number
      name: string
      utterances: number
      /** Utterances left without an emotion label for lack of evidence. */
      noEvidence: number
      skipped: boolean
      seconds: number
    }
  | {
      type: 'file-failed'
      index: number
      name: string
      error: string
      code: string | null
      previous: boolean
    }
  | { type: 'file-cancelled'; index: number; name: string }

export type FileStatus = 'done' | 'skipped' | 'failed' | 'cancelled'

export interface FileSummary {
  file: string
  name: string
  status: FileStatus
  /** For `failed`: the specific error; `previous` when it is the recorded failure of an earlier run. */
  error: string | null
  errorCode: string | null
  previous: boolean
  utterances: number
  /**
   * Utterances the emotion model gave no label for lack of evidence (none of its trained
   * modalities present, e.g. no transcript for a text-only model), with the way out.
   */
  noEvidence: { utterances: number; hint: string } | null
  /** Subtitle cues left out, by reason (reversed, zero-length, after the media's end, …); {} when none. */
  droppedCues: DroppedCues
  durationSec: number
  stageSec: Record<string, number>
  outputs: string[]
  /**
   * Set when the outputs were written but the results could not be stored where the run also sends
   * them (the project of `--project` / the app): the file stays `done`; `--resume` stores them again.
   */
  projectError: string | null
}

export interface BatchSummary {
  version: 1
  startedAt: string
  endedAt: string
  wallSec: number
  outDir: string
  status: 'done' | 'cancelled'
  options: {
    fps: number
    detectEvery: number
    subsDir: string | null
    jobs: number
    resume: boolean
    extractorVersion: string
  }
  models: ModelSelection
  backend: string[]
  totals: {
    files: number
    done: number
    skipped: number
    failed: number
    cancelled: number
    utterances: number
    /** Utterances without an emotion label for lack of evidence, over all files. */
    noEvidence: number
    /** Subtitle cues left out over all files (per file and reason in files[].droppedCues). */
    droppedCues: number
    /** Media seconds processed in this run (skipped files excluded). */
    mediaSec: number
    /** Media seconds per wall second for the processed files. */
    realTimeFactor: number | null
  }
  /** Work done vs avoided: `processed` files went through the pipeline; the others were reused. */
  work: { processed: number; reusedComplete: number; reusedFailed: number }
  /** Sum of wall seconds per stage over processed files (worker time; overlaps across workers). */
  stageSec: Record<string, number>
  files: FileSummary[]
  /**
   * Entries not taken as media, with why: `code` is not-media, not-regular (FIFO, socket, device:
   * never opened), broken-link, link-loop, permission, duplicate (a file or folder already taken,
   * e.g. through a link) or unreadable.
   */
  notMedia: SkippedEntry[]
}

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

/** Options that change the numbers, as the completion records key them. */
function resultOptions(o: {
  fps: number
  detectEvery: number
  subsDir: string | null
}): ResultKey['options'] {
  return { fps: o.fps, detectEvery: o.detectEvery, subsDir: o.subsDir, extractorVersion: EXTRACTOR_VERSION }
}

/** The worker-thread pool one process runs files on (`size` threads; a long file is split between them). */
export function createPipelinePool(size: number, worker?: WorkerName | { file: string }): PipelinePool {
  return new WorkerPool<WorkerTask, SegmentOutcome | PartOutcome, FileProgress>({
    worker: worker ?? 'pipeline-worker',
    size,
  })
}
export type PipelinePool = WorkerPool<WorkerTask, SegmentOutcome | PartOutcome, FileProgress>

/** What one file's processing needs besides the file itself. */
export interface FileContext {
  outDir: string
  fps: number
  detectEvery: number
  subsDir: string | null
  models: ModelSelection
  cache: boolean
  resume: boolean
  retryFailed: boolean
  /** Every input of the run: a completion record of another input is never taken for this one. */
  inputs: ReadonlySet<string>
  pool: PipelinePool
  signal: AbortSignal
  onFileResult?: BatchOptions['onFileResult']
  segmentsFor?: BatchOptions['segmentsFor']
}

/** One file's events, as `processFile` reports them (the batch adds the file's index and name). */
export type FileEvent =
  | { type: 'file-start' }
  | { type: 'file-progress'; stage: Stage | 'hash' | 'write'; fraction: number; fileFraction: number }
  | { type: 'file-done'; utterances: number; noEvidence: number; skipped: boolean; seconds: number }
  | { type: 'file-failed'; error: string; code: string | null; previous: boolean }
  | { type: 'file-cancelled' }

export interface FileOutcome {
  summary: FileSummary
  /** The tfjs backend the file ran on (null when it was not processed). */
  backend: string | null
  /** How the file counts in `summary.work` (null when cancelled or failed before any work). */
  work: keyof BatchSummary['work'] | null
}

/**
 * One file, start to finish: content hash, the resume decision, segmentation and inference on
 * `ctx.pool`, outputs with the completion record last (or a failure record), delivery to
 * `ctx.onFileResult`. Never throws: a bad file ends as `failed` with its specific error, a
 * cancelled one as `cancelled`.
 */
export async function processFile(
  ctx: FileContext,
  file: string,
  name: string,
  emit: (e: FileEvent) => void,
): Promise<FileOutcome> {
  const { outDir, signal } = ctx
  const options = resultOptions(ctx)
  const s = cancelledSummary(file, name)
  const out: FileOutcome = { summary: s, backend: null, work: null }
  const tFile = Date.now()
  let fileFrac = 0
  const progress = (stage: Stage | 'hash' | 'write', fraction: number, f: number) => {
    fileFrac = Math.max(fileFrac, f)
    emit({ type: 'file-progress', stage, fraction, fileFraction: fileFrac })
  }
  /** Records the file as failed (with a failure record, so --resume reports it) and goes on. */
  const fail = async (err: Error & { code?: string }, key: ResultKey) => {
    s.status = 'failed'
    s.error = err.message
    s.errorCode = err.code ?? null
    await writeFailureRecord(outDir, name, file, key, { message: s.error, code: s.errorCode }, {})
    emit({ type: 'file-failed', error: s.error, code: s.errorCode, previous: false })
  }
  /** Stores the results where this run also sends them; a failure there never un-does the outputs. */
  const deliver = async (result: () => Promise<FileResult>, hash: string) => {
    if (!ctx.onFileResult) return
    try {
      await ctx.onFileResult(file, await result(), hash)
    } catch (err) {
      if (isAbortError(err) || signal.aborted) throw err
      s.projectError = (err as Error).message
    }
  }
  try {
    if (signal.aborted) throw abortError()
    emit({ type: 'file-start' })
    let hash: string
    try {
      hash = await contentHash(file, { signal })
    } catch (err) {
      if (isAbortError(err) || signal.aborted) throw err
      // Unreadable (permission), replaced by a pipe, vanished: the file failed, with its reason.
      await fail(readError(file, err as NodeJS.ErrnoException), {
        contentHash: '',
        models: ctx.models,
        options,
      })
      return out
    }
    const key: ResultKey = { contentHash: hash, models: ctx.models, options }
    if (ctx.resume) {
      const rec = await findReusableRecord(outDir, name, key, { file, inputs: ctx.inputs })
      if (rec && (rec.status === 'done' || !ctx.retryFailed)) {
        s.durationSec = rec.durationSec
        s.utterances = rec.utterances
        s.noEvidence = noEvidenceOf(rec.noEvidence)
        s.droppedCues = rec.droppedCues ?? {}
        s.stageSec = rec.stageSec
        s.outputs = rec.outputs.map((o) => o.file)
        if (rec.status === 'done') {
          // The results still go where this run sends them (e.g. a project given this time).
          await deliver(() => reloadResult(outDir, name, file, ctx.models, signal), hash)
          s.status = 'skipped'
          out.work = 'reusedComplete'
          emit({
            type: 'file-done',
            utterances: rec.utterances,
            noEvidence: rec.noEvidence,
            skipped: true,
            seconds: 0,
          })
        } else {
          s.status = 'failed'
          s.previous = true
          s.error = rec.error?.message ?? 'failed in an earlier run'
          s.errorCode = rec.error?.code ?? null
          out.work = 'reusedFailed'
          emit({ type: 'file-failed', error: s.error, code: s.errorCode, previous: true })
        }
        return out
      }
    }
    out.work = 'processed'
    const segments = ctx.segmentsFor ? await ctx.segmentsFor(file, hash) : null
    let result: FileResult
    try {
      const task: FileTask = {
        file,
        fps: ctx.fps,
        detectEvery: ctx.detectEvery,
        subsDir: ctx.subsDir,
        models: ctx.models,
        cache: ctx.cache,
        contentHash: hash,
        segments,
      }
      const pool = ctx.pool
      const seg = (await pool.run(
        { kind: 'segment', task },
        {
          signal,
          onProgress: (p) =>
            progress(p.stage, p.fraction, stageOffset(p.stage) + STAGE_WEIGHTS[p.stage] * p.fraction),
        },
      )) as SegmentOutcome
      // A long file is shared between the workers: contiguous runs of utterances, one per worker.
      const parts = splitParts(seg.utterances, pool.size)
      const segEnd = stageOffset('features')
      const partFrac = parts.map(() => 0)
      const shares = partShares(parts)
      const outcomes = await Promise.all(
        parts.map(
          (p, k) =>
            pool.run(
              {
                kind: 'infer',
                task,
                part: {
                  probe: seg.probe,
                  utterances: p.utterances,
                  textSource: seg.textSource,
                  context: seg.utterances.slice(Math.max(0, p.offset - 8), p.offset).map((u) => u.text),
                  offset: p.offset,
                },
              },
              {
                signal,
                onProgress: (pr) => {
                  partFrac[k] = Math.max(
                    partFrac[k]!,
                    (stageOffset(pr.stage) - segEnd + STAGE_WEIGHTS[pr.stage] * pr.fraction) / (1 - segEnd),
                  )
                  const f = partFrac.reduce((a, x, j) => a + x * shares[j]!, 0)
                  progress(pr.stage, pr.fraction, segEnd + (1 - segEnd) * f)
                },
              },
            ) as Promise<PartOutcome>,
        ),
      )
      result = assembleResult(task, seg, outcomes)
    } catch (err) {
      if (isAbortError(err) || signal.aborted) throw err
      await fail(err as Error & { code?: string }, key)
      return out
    }
    if (signal.aborted) throw abortError()
    out.backend = result.backend
    progress('write', 0, 0.99)
    const rec = await writeFileOutputs(outDir, name, file, key, result)
    s.status = 'done'
    s.utterances = result.utterances.length
    s.noEvidence = noEvidenceOf(rec.noEvidence)
    s.droppedCues = result.droppedCues
    s.durationSec = result.durationSec
    s.stageSec = result.stageSec
    s.outputs = rec.outputs.map((o) => o.file)
    await deliver(async () => result, hash)
    emit({
      type: 'file-done',
      utterances: s.utterances,
      noEvidence: rec.noEvidence,
      skipped: false,
      seconds: (Date.now() - tFile) / 1000,
    })
  } catch (err) {
    if (s.status === 'done' || s.status === 'skipped') return out // outputs saved: stays done
    if (isAbortError(err) || signal.aborted) {
      s.status = 'cancelled'
      emit({ type: 'file-cancelled' })
      return out
    }
    // Anything else here is our own failure to write outputs: the file failed, the batch goes on.
    const msg = (err as Error).message
    if (s.status === 'failed') s.error = `${s.error} (its failure record could not be written: ${msg})`
    else {
      s.status = 'failed'
      s.error = `could not write outputs: ${msg}`
      s.errorCode = (err as NodeJS.ErrnoException).code ?? null
    }
    emit({ type: 'file-failed', error: s.error, code: s.errorCode, previous: false })
  }
  return out
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

/** A file that never started (the run was cancelled first). */
export function cancelledSummary(file: string, name: string): FileSummary {
  return {
    file,
    name,
    status: 'cancelled',
    error: null,
    errorCode: null,
    previous: false,
    utterances: 0,
    noEvidence: null,
    droppedCues: {},
    durationSec: 0,
    stageSec: {},
    outputs: [],
    projectError: null,
  }
}

/** `summary.json` of a run from its files' outcomes (in input order). */
export function buildSummary(a: {
  t0: number
  endedAt: number
  outDir: string
  cancelled: boolean
  options: { fps: number; detectEvery: number; subsDir: string | null; jobs: number; resume: boolean }
  models: ModelSelection
  outcomes: FileOutcome[]
  notMedia: SkippedEntry[]
}): BatchSummary {
  const summaries = a.outcomes.map((o) => o.summary)
  const work = { processed: 0, reusedComplete: 0, reusedFailed: 0 }
  for (const o of a.outcomes) if (o.work) work[o.work]++
  const backends = new Set(a.outcomes.flatMap((o) => (o.backend ? [o.backend] : [])))
  const count = (st: FileStatus) => summaries.filter((s) => s.status === st).length
  const processed = summaries.filter((s) => s.status === 'done')
  const mediaSec = processed.reduce((acc, s) => acc + s.durationSec, 0)
  const wallSec = (a.endedAt - a.t0) / 1000
  const stageSec: Record<string, number> = {}
  for (const s of processed)
    for (const [k, v] of Object.entries(s.stageSec)) stageSec[k] = round3((stageSec[k] ?? 0) + v)
  return {
    version: 1,
    startedAt: new Date(a.t0).toISOString(),
    endedAt: new Date(a.endedAt).toISOString(),
    wallSec: round3(wallSec),
    outDir: a.outDir,
    status: a.cancelled ? 'cancelled' : 'done',
    options: { ...a.options, extractorVersion: EXTRACTOR_VERSION },
    models: a.models,
    backend: [...backends],
    totals: {
      files: summaries.length,
      done: count('done'),
      skipped: count('skipped'),
      failed: count('failed'),
      cancelled: count('cancelled'),
      noEvidence: summaries.reduce((acc, s) => acc + (s.noEvidence?.utterances ?? 0), 0),
      droppedCues: summaries.reduce((acc, s) => acc + droppedTotal(s.droppedCues), 0),
      utterances: summaries.reduce(
        (acc, s) => acc + (s.status === 'done' || s.status === 'skipped' ? s.utterances : 0),
        0,
      ),
      mediaSec: round3(mediaSec),
      realTimeFactor: processed.length && wallSec > 0 ? round3(mediaSec / wallSec) : null,
    },
    work,
    stageSec,
    files: summaries,
    notMedia: a.notMedia,
  }
}

function noEvidenceOf(n: number): FileSummary['noEvidence'] {
  return n > 0 ? { utterances: n, hint: NO_EVIDENCE_HINT } : null
}

/** A finished file's result rebuilt from its outputs (for --resume with a sink such as a project). */
async function reloadResult(
  outDir: string,
  name: string,
  file: string,
  models: ModelSelection,
  signal: AbortSignal,
): Promise<FileResult> {
  const info = await probe(file, { signal })
  const text = await readFile(outputPaths(outDir, name).jsonl, 'utf8')
  const utterances = text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => ({ emotionReason: null, ...(JSON.parse(l) as Partial<UtteranceResult>) }) as UtteranceResult)
  return {
    file,
    durationSec: info.durationSec,
    hasAudio: !!info.audio,
    hasVideo: !!info.video,
    utterances,
    stageSec: {},
    backend: 'none (reused)',
    probe: info,
    models,
    droppedCues: {},
  }
}

/** A read failure of an input as the summary shows it: what happened to which file, and its code. */
function readError(file: string, err: NodeJS.ErrnoException): Error & { code?: string } {
  const why =
    err.code === 'EACCES' || err.code === 'EPERM'
      ? 'permission denied'
      : err.code === 'ENOENT'
        ? 'the file is gone'
        : err.message
  return Object.assign(new Error(`cannot read ${file}: ${why}`), { code: err.code ?? 'UNREADABLE' })
}

/** Parts shorter than this are not worth a second worker (its model loading, a second ffmpeg). */
export const MIN_PART_SEC = 45

/**
 * Splits a file's utterances (in time order) into at most `k` contiguous runs of about equal
 * media time, none shorter than MIN_PART_SEC: one run per worker for a long file, one run otherwise.
 */
export function splitParts<U extends { start: number; end: number }>(
  utterances: U[],
  k: number,
): { offset: number; utterances: U[] }[] {
  if (!utterances.length) return [{ offset: 0, utterances: [] }]
  const span = utterances.at(-1)!.end - utterances[0]!.start
  const n = Math.max(1, Math.min(k, Math.floor(span / MIN_PART_SEC), utterances.length))
  if (n === 1) return [{ offset: 0, utterances }]
  const parts: { offset: number; utterances: U[] }[] = []
  let from = 0
  for (let p = 1; p <= n; p++) {
    const boundary = utterances[0]!.start + (span * p) / n
    let to = from
    while (to < utterances.length && (p === n || utterances[to]!.end <= boundary || to === from)) to++
    if (to > from) parts.push({ offset: from, utterances: utterances.slice(from, to) })
    from = to
  }
  return parts
}

/** Each part's share of the file's utterance time (for one progress figure). */
function partShares(parts: { utterances: { start: number; end: number }[] }[]): number[] {
  const len = parts.map((p) => p.utterances.reduce((a, u) => a + (u.end - u.start), 0))
  const total = len.reduce((a, b) => a + b, 0)
  return total > 0 ? len.map((l) => l / total) : parts.map(() => 1 / parts.length)
}

/** Where a stage starts within a file's 0..1 progress. */
function stageOffset(stage: Stage): number {
  let acc = 0
  for (const s of STAGES) {
    if (s === stage) return acc
    acc += STAGE_WEIGHTS[s]
  }
  return acc
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

function round3(x: number) {
  return Math.round(x * 1000) / 1000
}

export { outputPaths }
