import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { WorkerPool } from '../../../src-main/engine/core/pool'
import { isAbortError } from '../../../src-main/engine/core/abort'

const file = path.join(import.meta.dirname, 'fixtures', 'echo-worker.ts')
type Out = { threadId: number; value?: number; started?: number; ended?: number }
let pool: WorkerPool<unknown, Out, number> | null = null
afterEach(async () => {
  await pool?.close()
  pool = null
})

describe('WorkerPool', () => {
  it('runs tasks on at most `size` real threads, in parallel, with progress', async () => {
    pool = new WorkerPool({ worker: { file }, size: 2 })
    const progress: number[] = []
    // Two tasks that can only both finish with value 1 if they run at the same time (a barrier,
    // not a timing guess: a loaded machine slows them down but cannot make them pass serially).
    const counter = new SharedArrayBuffer(4)
    const meet = { op: 'meet', counter, parties: 2, timeoutMs: 30_000 }
    const outs = await Promise.all([
      pool.run(meet),
      pool.run(meet),
      pool.run({ op: 'echo', value: 21 }, { onProgress: (p) => progress.push(p) }),
    ])
    expect(outs[2]!.value).toBe(42)
    expect(progress).toEqual([0.5])
    const threads = new Set(outs.map((o) => o.threadId))
    expect(threads.size).toBe(2)
    expect(threads.has(0)).toBe(false) // never the main thread
    expect(outs[0]!.value).toBe(1)
    expect(outs[1]!.value).toBe(1)
    expect(outs[0]!.threadId).not.toBe(outs[1]!.threadId)
  })

  it('never runs more tasks at once than its size', async () => {
    pool = new WorkerPool({ worker: { file }, size: 1 })
    const counter = new SharedArrayBuffer(4)
    const meet = { op: 'meet', counter, parties: 2, timeoutMs: 300 }
    const outs = await Promise.all([pool.run(meet), pool.run(meet)])
    // The first waited for a partner that could not start, the second found the first's mark.
    expect(outs.map((o) => o.value)).toEqual([0, 1])
    expect(outs[0]!.threadId).toBe(outs[1]!.threadId)
  })

  it('carries the error name, message and code of a failed task, and keeps the worker', async () => {
    pool = new WorkerPool({ worker: { file }, size: 1 })
    const before = await pool.run({ op: 'echo', value: 1 })
    const err = (await pool.run({ op: 'fail' }).catch((e) => e)) as Error & { code?: string }
    expect(err.message).toBe('bad input: no audio stream')
    expect(err.code).toBe('NO_AUDIO')
    const after = await pool.run({ op: 'echo', value: 2 })
    expect(after.threadId).toBe(before.threadId)
  })

  it('replaces a crashed worker and fails only the task that crashed', async () => {
    pool = new WorkerPool({ worker: { file }, size: 1 })
    const crash = pool.run({ op: 'crash' }).catch((e: Error) => e)
    const next = pool.run({ op: 'echo', value: 5 })
    expect(((await crash) as Error).message).toMatch(/exited with code 3/)
    expect((await next).value).toBe(10)
  })

  it('cancels a queued task at once and a running one through its signal', async () => {
    // A grace period longer than the test: only the task's own signal can end it early.
    pool = new WorkerPool({ worker: { file }, size: 1, cancelGraceMs: 60_000 })
    const ac = new AbortController()
    const running = pool.run({ op: 'sleep', ms: 30_000 }, { signal: ac.signal })
    const queued = pool.run({ op: 'sleep', ms: 30_000 }, { signal: ac.signal })
    await new Promise((r) => setTimeout(r, 300))
    const t0 = Date.now()
    ac.abort()
    const [a, b] = await Promise.all([running.catch((e) => e), queued.catch((e) => e)])
    expect(isAbortError(a)).toBe(true)
    expect(isAbortError(b)).toBe(true)
    expect(Date.now() - t0).toBeLessThan(15_000) // the sleeps were 30 s
    expect((await pool.run({ op: 'echo', value: 3 })).value).toBe(6)
  })

  it('terminates a worker that ignores cancellation after the grace period', async () => {
    pool = new WorkerPool({ worker: { file }, size: 1, cancelGraceMs: 200 })
    const ac = new AbortController()
    const first = await pool.run({ op: 'echo', value: 0 })
    const stuck = pool.run({ op: 'stuck', ms: 20_000 }, { signal: ac.signal })
    await new Promise((r) => setTimeout(r, 200))
    const t0 = Date.now()
    ac.abort()
    expect(isAbortError(await stuck.catch((e) => e))).toBe(true)
    expect(Date.now() - t0).toBeLessThan(10_000) // the stuck task would run 20 s
    const next = await pool.run({ op: 'echo', value: 4 })
    expect(next.threadId).not.toBe(first.threadId)
  })
})
