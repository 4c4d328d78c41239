import { describe, expect, it } from 'vitest'
import type { JobSnapshot } from '../../../src-main/contract/contract'
import { abortError } from '../../../src-main/engine/core/abort'
import { JobRegistry } from '../../../src-main/engine/jobs/registry'

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms))

describe('JobRegistry', () => {
  it('runs a job queued → running → done, with items, stage, progress and result in JSON snapshots', async () => {
    const reg = new JobRegistry({ throttleMs: 0 })
    const seen: JobSnapshot[] = []
    reg.on((s) => seen.push(s))
    const first = reg.start(
      { kind: 'inference', label: 'two files', items: ['a.mp4', 'b.mp4'] },
      async (job) => {
        job.item(0, { status: 'running' })
        job.progress(0.25, 'features')
        job.item(0, { status: 'done', progress: 1 })
        job.item(1, { status: 'failed', error: 'corrupt' })
        job.progress(0.1) // never goes backwards
        return { files: 2 }
      },
    )
    expect(['queued', 'running']).toContain(first.status)
    const end = await reg.wait(first.id)
    expect(end.status).toBe('done')
    expect(end.progress).toBe(1)
    expect(end.result).toEqual({ files: 2 })
    expect(end.items.map((i) => i.status)).toEqual(['done', 'failed'])
    expect(end.items[1]!.error).toBe('corrupt')
    expect(seen[0]!.status).toBe('queued')
    expect(seen.some((s) => s.status === 'running' && s.stage === 'features' && s.progress === 0.25)).toBe(
      true,
    )
    expect(seen.map((s) => s.progress)).toEqual([...seen.map((s) => s.progress)].sort((a, b) => a - b))
    // Snapshots are plain JSON: they survive IPC unchanged.
    expect(JSON.parse(JSON.stringify(end))).toEqual(end)
    expect(reg.list().map((s) => s.id)).toEqual([first.id])
  })

  it('reports a failing job with its error message', async () => {
    const reg = new JobRegistry()
    const s = reg.start({ kind: 'finetune', label: 'x' }, async () => {
      throw new Error('no corrected utterances to train on')
    })
    const end = await reg.wait(s.id)
    expect(end.status).toBe('failed')
    expect(end.error).toBe('no corrected utterances to train on')
    expect(end.endedAt).not.toBeNull()
  })

  it('queues beyond the concurrency limit and cancels queued and running jobs', async () => {
    const reg = new JobRegistry({ concurrency: 1 })
    let sawAbort = false
    const a = reg.start({ kind: 'inference', label: 'a', items: ['f'] }, (job) => {
      job.item(0, { status: 'running' })
      return new Promise((_, reject) =>
        job.signal.addEventListener('abort', () => {
          sawAbort = true
          reject(abortError())
        }),
      )
    })
    let bRan = false
    const b = reg.start({ kind: 'inference', label: 'b' }, async () => {
      bRan = true
    })
    await tick(10)
    expect(reg.snapshot(a.id)!.status).toBe('running')
    expect(reg.snapshot(b.id)!.status).toBe('queued')
    reg.cancel(b.id)
    expect(reg.snapshot(b.id)!.status).toBe('cancelled')
    reg.cancel(a.id)
    const endA = await reg.wait(a.id)
    expect(sawAbort).toBe(true)
    expect(endA.status).toBe('cancelled')
    expect(endA.items[0]!.status).toBe('cancelled')
    expect(bRan).toBe(false)
    expect(() => reg.cancel('nope')).toThrow(/no job/)
  })

  it('starts the next queued job when one finishes, and computes an ETA from the rate', async () => {
    let now = 1_000_000
    const reg = new JobRegistry({ concurrency: 1, throttleMs: 0, now: () => now })
    let release!: () => void
    const a = reg.start({ kind: 'inference', label: 'a' }, async (job) => {
      now += 10_000
      job.progress(0.25)
      await new Promise<void>((r) => (release = r))
    })
    const b = reg.start({ kind: 'inference', label: 'b' }, async () => 'b done')
    await tick(5)
    expect(reg.snapshot(a.id)!.etaSec).toBeCloseTo(30, 5) // 10 s for 25 % → 30 s left
    release()
    expect((await reg.wait(b.id)).result).toBe('b done')
  })

  it('throttles progress snapshots but always delivers the latest one', async () => {
    const reg = new JobRegistry({ throttleMs: 50 })
    const seen: number[] = []
    reg.on((s) => s.status === 'running' && seen.push(s.progress))
    const s = reg.start({ kind: 'inference', label: 't' }, async (job) => {
      for (let i = 1; i <= 100; i++) job.progress(i / 200)
      await tick(120)
    })
    await reg.wait(s.id)
    expect(seen.length).toBeLessThan(10)
    expect(seen.at(-1)).toBe(0.5)
  })
})
