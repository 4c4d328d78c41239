/**
 * One file of a batch, start to finish (`processFile`): content hash, the resume decision,
 * segmentation and inference on the worker pool (a long file split between the workers), outputs
 * with the completion record last (or a failure record), delivery to the run's sink. Run by the
 * local batch and by the Redis queue's workers alike.
 */
import { readFile } from 'node:fs/promises'
import { abortError, isAbortError } from '../core/abort'
import { EXTRACTOR_VERSION } from '../features/types'
import { probe } from '../media/probe'
import { assembleResult } from './assemble'
import { contentHash } from './hash'
import {
  findReusableRecord,
  outputPaths,
  writeFailureRecord,
  writeFileOutputs,
  type ResultKey,
} from './outputs'
import {
  STAGE_WEIGHTS,
  STAGES,
  type FileResult,
  type FileTask,
  type ModelSelection,
  type PartOutcome,
  type SegmentOutcome,
  type Stage,
  type UtteranceResult,
} from './types'
import type { FileContext, FileEvent, FileOutcome } from './batch-types'
import { cancelledSummary, noEvidenceOf } from './summary'

/** Options that change the numbers, as the completion records key them. */
function resultOptions(o: {
  fps: number
  detectEvery: number
  subsDir: string | null
}): ResultKey['options'] {
  return { fps: o.fps, detectEvery: o.detectEvery, subsDir: o.subsDir, extractorVersion: EXTRACTOR_VERSION }
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
    await writeFailureRecord(outDir, name, file, key, { message: s.error, code: s.errorCode }, {}, ctx.runId)
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
    if (
      ctx.resume &&
      (await reuseRecord(ctx, file, name, key, out, emit, () =>
        deliver(() => reloadResult(outDir, name, file, ctx.models, signal), hash),
      ))
    )
      return out
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
      result = await inferOnPool(ctx, task, progress)
    } catch (err) {
      if (isAbortError(err) || signal.aborted) throw err
      await fail(err as Error & { code?: string }, key)
      return out
    }
    if (signal.aborted) throw abortError()
    out.backend = result.backend
    progress('write', 0, 0.99)
    const rec = await writeFileOutputs(outDir, name, file, key, result, ctx.runId)
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

/**
 * The resume decision: a completion record of the same content, models and options is reused
 * (a failure record too, unless `ctx.retryFailed` and an earlier run wrote it). True when the
 * file is settled that way.
 */
async function reuseRecord(
  ctx: FileContext,
  file: string,
  name: string,
  key: ResultKey,
  out: FileOutcome,
  emit: (e: FileEvent) => void,
  deliver: () => Promise<void>,
): Promise<boolean> {
  const s = out.summary
  const rec = await findReusableRecord(ctx.outDir, name, key, { file, inputs: ctx.inputs })
  if (!rec) return false
  // Written by this run (its job done again after a worker died): this run's work, reported as
  // such, and a failure this run already retried is not retried again.
  const thisRun = rec.run === ctx.runId
  if (rec.status !== 'done' && ctx.retryFailed && !thisRun) return false
  s.durationSec = rec.durationSec
  s.utterances = rec.utterances
  s.noEvidence = noEvidenceOf(rec.noEvidence)
  s.droppedCues = rec.droppedCues ?? {}
  s.stageSec = rec.stageSec
  s.outputs = rec.outputs.map((o) => o.file)
  if (rec.status === 'done') {
    // The results still go where this run sends them (e.g. a project given this time).
    await deliver()
    s.status = thisRun ? 'done' : 'skipped'
    out.work = thisRun ? 'processed' : 'reusedComplete'
    emit({
      type: 'file-done',
      utterances: rec.utterances,
      noEvidence: rec.noEvidence,
      skipped: !thisRun,
      seconds: 0,
    })
  } else {
    s.status = 'failed'
    s.previous = !thisRun
    s.error = rec.error?.message ?? 'failed in an earlier run'
    s.errorCode = rec.error?.code ?? null
    out.work = thisRun ? 'processed' : 'reusedFailed'
    emit({ type: 'file-failed', error: s.error, code: s.errorCode, previous: !thisRun })
  }
  return true
}

/** Segmentation, then inference on `ctx.pool`: a long file's utterances shared between the workers. */
async function inferOnPool(
  ctx: FileContext,
  task: FileTask,
  progress: (stage: Stage, fraction: number, fileFraction: number) => void,
): Promise<FileResult> {
  const pool = ctx.pool
  const seg = (await pool.run(
    { kind: 'segment', task },
    {
      signal: ctx.signal,
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
            signal: ctx.signal,
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
  return assembleResult(task, seg, outcomes)
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
