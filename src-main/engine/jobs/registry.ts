/**
 * The job registry. Owns every long-running job of one engine instance (inference batches,
 * fine-tuning): the queue (at most `concurrency` jobs run at once, the rest wait as `queued`),
 * one AbortController per job, the status machine queued → running → done | failed | cancelled,
 * ETA from the progress rate, and the JSON snapshots (contract `JobSnapshot`) broadcast to every
 * listener — the CLI's progress display and the app's `jobs.update` event mirror the same thing.
 *
 * Why snapshots instead of incremental events: a late subscriber (a renderer that reloads) gets the
 * full state from one message, and a snapshot is plain JSON that crosses IPC/WebSocket unchanged.
 */
import { randomUUID } from 'node:crypto'
import type { JobControl } from '../core/job-control'
import type { JobKind, JobSnapshot, JobStatus } from './types'
import { abortError, isAbortError } from '../core/abort'
import { UnknownIdError } from '../core/unknown-id'

/** What a running job can do to its own snapshot. */
export interface JobSpec {
  kind: JobKind
  label: string
  items?: string[]
}

export type JobRunner<T> = (job: JobControl) => Promise<T>

export interface JobRegistryOptions {
  /** Jobs running at the same time; more wait as `queued`. Default 1 (heavy jobs share the cores). */
  concurrency?: number
  /** Minimum milliseconds between two progress snapshots of one job (status changes are immediate). */
  throttleMs?: number
  /** Finished jobs kept for `list()`. */
  keepFinished?: number
  now?: () => number
}

export type JobListener = (snapshot: JobSnapshot) => void

interface Entry {
  snap: JobSnapshot
  controller: AbortController
  run: JobRunner<unknown>
  done: Promise<JobSnapshot>
  resolveDone: (s: JobSnapshot) => void
  timer: NodeJS.Timeout | null
  lastEmit: number
}

const FINISHED: ReadonlySet<JobStatus> = new Set(['done', 'failed', 'cancelled'])

export function isFinished(status: JobStatus): boolean {
  return FINISHED.has(status)
}

export class JobRegistry {
  private readonly jobs = new Map<string, Entry>()
  private readonly listeners = new Set<JobListener>()
  private readonly concurrency: number
  private readonly throttleMs: number
  private readonly keepFinished: number
  private readonly now: () => number

  constructor(opts: JobRegistryOptions = {}) {
    this.concurrency = Math.max(1, opts.concurrency ?? 1)
    this.throttleMs = opts.throttleMs ?? 100
    this.keepFinished = opts.keepFinished ?? 50
    this.now = opts.now ?? Date.now
  }

  /** Subscribes to every snapshot change; returns the unsubscribe function. */
  on(listener: JobListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * Enqueues a job and returns its first snapshot at once (status `queued` or `running`).
   * The runner's resolved value becomes `result`; a throw becomes `failed` with the message,
   * or `cancelled` when the job's signal was aborted.
   */
  start<T>(spec: JobSpec, run: JobRunner<T>): JobSnapshot {
    const id = randomUUID()
    let resolveDone!: (s: JobSnapshot) => void
    const done = new Promise<JobSnapshot>((r) => (resolveDone = r))
    const entry: Entry = {
      snap: {
        id,
        kind: spec.kind,
        label: spec.label,
        status: 'queued',
        progress: 0,
        stage: 'queued',
        items: (spec.items ?? []).map((name) => ({ name, status: 'queued', progress: 0, error: null })),
        startedAt: null,
        endedAt: null,
        etaSec: null,
        error: null,
        result: null,
      },
      controller: new AbortController(),
      run: run as JobRunner<unknown>,
      done,
      resolveDone,
      timer: null,
      lastEmit: 0,
    }
    this.jobs.set(id, entry)
    this.emit(entry, true)
    this.pump()
    return this.snapshot(id)!
  }

  /** A copy of one job's current snapshot, or null for an unknown id. */
  snapshot(id: string): JobSnapshot | null {
    const e = this.jobs.get(id)
    return e ? clone(e.snap) : null
  }

  list(): JobSnapshot[] {
    return [...this.jobs.values()].map((e) => clone(e.snap))
  }

  /** Resolves with the final snapshot once the job has finished (whatever the outcome). */
  wait(id: string): Promise<JobSnapshot> {
    const e = this.jobs.get(id)
    if (!e) return Promise.reject(new UnknownIdError(`no job with id ${id}`))
    return e.done
  }

  /**
   * Cancels a job: a queued job ends `cancelled` at once; a running one has its signal aborted
   * and ends `cancelled` when its runner returns. Unknown ids are an error; finished jobs are left as they are.
   */
  cancel(id: string): void {
    const e = this.jobs.get(id)
    if (!e) throw new UnknownIdError(`no job with id ${id}`)
    if (isFinished(e.snap.status)) return
    e.controller.abort(abortError('cancelled by user'))
    if (e.snap.status === 'queued') this.finish(e, 'cancelled', null, null)
    else {
      e.snap.stage = 'cancelling'
      this.emit(e, true)
    }
  }

  /** Cancels everything and waits for running jobs to wind down. */
  async dispose(): Promise<void> {
    const pending = [...this.jobs.values()].filter((e) => !isFinished(e.snap.status))
    for (const e of pending) this.cancel(e.snap.id)
    await Promise.all(pending.map((e) => e.done))
  }

  private pump(): void {
    let running = [...this.jobs.values()].filter((e) => e.snap.status === 'running').length
    for (const e of this.jobs.values()) {
      if (running >= this.concurrency) break
      if (e.snap.status !== 'queued') continue
      running++
      void this.execute(e)
    }
  }

  private async execute(e: Entry): Promise<void> {
    e.snap.status = 'running'
    e.snap.stage = 'starting'
    e.snap.startedAt = this.now()
    this.emit(e, true)
    const control = this.control(e)
    try {
      const result = await e.run(control)
      if (e.controller.signal.aborted) this.finish(e, 'cancelled', null, result)
      else this.finish(e, 'done', null, result)
    } catch (err) {
      if (e.controller.signal.aborted || isAbortError(err)) this.finish(e, 'cancelled', null, null)
      else this.finish(e, 'failed', (err as Error)?.message ?? String(err), null)
    }
  }

  private control(e: Entry): JobControl {
    return {
      id: e.snap.id,
      signal: e.controller.signal,
      progress: (fraction, stage) => {
        if (isFinished(e.snap.status)) return
        const p = Math.min(1, Math.max(e.snap.progress, Number.isFinite(fraction) ? fraction : 0))
        e.snap.progress = p
        if (stage !== undefined) e.snap.stage = stage
        e.snap.etaSec = this.eta(e)
        this.emit(e, false)
      },
      stage: (stage) => {
        if (isFinished(e.snap.status)) return
        e.snap.stage = stage
        this.emit(e, false)
      },
      item: (index, patch) => {
        const it = e.snap.items[index]
        if (!it || isFinished(e.snap.status)) return
        const statusChanged = patch.status !== undefined && patch.status !== it.status
        Object.assign(it, patch)
        this.emit(e, statusChanged)
      },
      setItems: (names) => {
        if (isFinished(e.snap.status)) return
        e.snap.items = names.map((name) => ({ name, status: 'queued', progress: 0, error: null }))
        this.emit(e, true)
      },
    }
  }

  /** Remaining seconds from the average rate so far; null until there is enough to go on. */
  private eta(e: Entry): number | null {
    const started = e.snap.startedAt
    const p = e.snap.progress
    if (started === null || p <= 0.005) return null
    const elapsed = (this.now() - started) / 1000
    if (elapsed < 0.5) return null
    return Math.max(0, (elapsed * (1 - p)) / p)
  }

  private finish(e: Entry, status: JobStatus, error: string | null, result: unknown): void {
    e.snap.status = status
    e.snap.error = error
    e.snap.result = result ?? null
    e.snap.endedAt = this.now()
    e.snap.etaSec = status === 'done' ? 0 : null
    e.snap.stage = status
    if (status === 'done') e.snap.progress = 1
    for (const it of e.snap.items)
      if (!isFinished(it.status)) it.status = status === 'done' ? 'done' : 'cancelled'
    this.emit(e, true)
    e.resolveDone(clone(e.snap))
    this.prune()
    this.pump()
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((e) => isFinished(e.snap.status))
    for (const e of finished.slice(0, Math.max(0, finished.length - this.keepFinished)))
      this.jobs.delete(e.snap.id)
  }

  /** Sends a snapshot now (`force`) or at most once per throttle interval, always ending with the latest state. */
  private emit(e: Entry, force: boolean): void {
    const t = this.now()
    if (!force && t - e.lastEmit < this.throttleMs) {
      e.timer ??= setTimeout(
        () => {
          e.timer = null
          this.emit(e, true)
        },
        this.throttleMs - (t - e.lastEmit),
      )
      e.timer.unref?.()
      return
    }
    if (e.timer) {
      clearTimeout(e.timer)
      e.timer = null
    }
    e.lastEmit = t
    const snap = clone(e.snap)
    for (const l of this.listeners) {
      try {
        l(snap)
      } catch {
        // A broken listener (closed window) must not break the job or the other listeners.
      }
    }
  }
}

function clone(s: JobSnapshot): JobSnapshot {
  return { ...s, items: s.items.map((i) => ({ ...i })) }
}
