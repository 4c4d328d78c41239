/**
 * A bounded pool of worker threads. Owns: spawning at most `size` workers lazily, one task per
 * worker at a time (so memory is bounded by `size` × one task's working set), a FIFO of waiting
 * tasks, cancellation (a queued task is dropped; a running one gets a `cancel` message and, if it
 * has not stopped within `cancelGraceMs`, its thread is terminated and replaced), and recovery
 * from a crashed worker (the task fails with the reason, the thread is replaced).
 *
 * Why threads and not one process per file: tfjs and the models load once per worker and are
 * reused for every file that worker processes; the wasm backend is single-threaded, so one worker
 * per core is what makes a multi-core machine pay off.
 */
import { Worker } from 'node:worker_threads'
import { abortError } from './abort'
import { TaskError, type FromWorker, type ToWorker } from './protocol'
import { locateWorker, type WorkerName } from './worker-entry'

export interface WorkerPoolOptions {
  /** A built-in worker entry, or `{ file }`: an absolute path to a worker module (tests). */
  worker: WorkerName | { file: string }
  size: number
  /** Passed to every worker as `workerData.init`. */
  init?: unknown
  /** Per-worker V8 heap limits (wasm memory comes on top). */
  resourceLimits?: { maxOldGenerationSizeMb?: number }
  /** How long a cancelled task may take to stop before its worker is terminated. */
  cancelGraceMs?: number
}

export interface RunOptions<P> {
  signal?: AbortSignal
  onProgress?: (data: P) => void
  /** Called when the task leaves the queue and starts on a worker. */
  onStart?: () => void
}

interface Task {
  id: number
  payload: unknown
  opts: RunOptions<unknown>
  resolve: (v: unknown) => void
  reject: (e: unknown) => void
  cleanup: () => void
}

interface Slot {
  worker: Worker
  task: Task | null
  exited: boolean
}

export class WorkerPool<I, O, P = unknown> {
  private readonly queue: Task[] = []
  private readonly slots = new Set<Slot>()
  private nextId = 1
  private closed = false

  constructor(private readonly opts: WorkerPoolOptions) {
    if (!(opts.size >= 1)) throw new Error(`worker pool size must be ≥ 1 (got ${opts.size})`)
  }

  get size(): number {
    return this.opts.size
  }

  /** Runs one task on a free worker (queued while all are busy). */
  run(payload: I, opts: RunOptions<P> = {}): Promise<O> {
    if (this.closed) return Promise.reject(new Error('worker pool is closed'))
    if (opts.signal?.aborted) return Promise.reject(abortError())
    return new Promise<O>((resolve, reject) => {
      const task: Task = {
        id: this.nextId++,
        payload,
        opts: opts as RunOptions<unknown>,
        resolve: resolve as (v: unknown) => void,
        reject,
        cleanup: () => {},
      }
      if (opts.signal) {
        const onAbort = () => this.cancelTask(task)
        opts.signal.addEventListener('abort', onAbort, { once: true })
        task.cleanup = () => opts.signal!.removeEventListener('abort', onAbort)
      }
      this.queue.push(task)
      this.dispatch()
    })
  }

  /** Terminates every worker; queued and running tasks are rejected. */
  async close(): Promise<void> {
    this.closed = true
    for (const t of this.queue.splice(0)) this.settle(t, abortError('worker pool closed'))
    await Promise.all(
      [...this.slots].map(async (s) => {
        if (s.task) this.settle(s.task, abortError('worker pool closed'))
        s.task = null
        s.exited = true
        await s.worker.terminate()
      }),
    )
    this.slots.clear()
  }

  private dispatch(): void {
    while (this.queue.length) {
      let slot = [...this.slots].find((s) => !s.task && !s.exited)
      if (!slot) {
        if (this.slots.size >= this.opts.size) return
        slot = this.spawn()
      }
      const task = this.queue.shift()!
      slot.task = task
      task.opts.onStart?.()
      slot.worker.postMessage({ type: 'task', id: task.id, payload: task.payload } satisfies ToWorker)
    }
  }

  private spawn(): Slot {
    const loc = locateWorker(this.opts.worker)
    const worker = new Worker(loc.url, {
      workerData: { ...loc.bootData, init: this.opts.init },
      resourceLimits: this.opts.resourceLimits,
      // Worker stdout/stderr go to the parent's streams, not through the parent's event loop buffer.
      stdout: false,
      stderr: false,
    })
    const slot: Slot = { worker, task: null, exited: false }
    this.slots.add(slot)
    worker.on('message', (m: FromWorker) => {
      const task = slot.task
      if (!task || m.id !== task.id) return
      if (m.type === 'progress') task.opts.onProgress?.(m.data)
      else {
        slot.task = null
        if (m.type === 'result') this.settle(task, null, m.value)
        else this.settle(task, new TaskError(m.error))
        this.dispatch()
      }
    })
    const die = (reason: Error) => {
      if (slot.exited) return
      slot.exited = true
      this.slots.delete(slot)
      const task = slot.task
      slot.task = null
      if (task) this.settle(task, reason)
      if (!this.closed) this.dispatch()
    }
    worker.on('error', (err) => die(new Error(`worker thread crashed: ${err.message}`, { cause: err })))
    worker.on('exit', (code) => die(new Error(`worker thread exited with code ${code}`)))
    return slot
  }

  private cancelTask(task: Task): void {
    const qi = this.queue.indexOf(task)
    if (qi >= 0) {
      this.queue.splice(qi, 1)
      this.settle(task, abortError())
      return
    }
    const slot = [...this.slots].find((s) => s.task === task)
    if (!slot) return
    slot.worker.postMessage({ type: 'cancel', id: task.id } satisfies ToWorker)
    // A task that ignores its signal (stuck in a native call) is stopped the hard way.
    const t = setTimeout(() => {
      if (slot.task !== task) return
      slot.task = null
      slot.exited = true
      this.slots.delete(slot)
      this.settle(task, abortError())
      void slot.worker.terminate()
      if (!this.closed) this.dispatch()
    }, this.opts.cancelGraceMs ?? 5000)
    t.unref()
  }

  private settle(task: Task, err: unknown, value?: unknown): void {
    task.cleanup()
    if (err) task.reject(err)
    else task.resolve(value)
  }
}
