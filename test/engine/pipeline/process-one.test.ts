/**
 * The resume decision of one file: a completion record written by this same run (a queued job
 * done again after its worker died) is this run's work — reported as done, a failure not retried
 * twice — while a record of an earlier run is reported as skipped or as a previous failure.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { FileContext, FileEvent, PipelinePool } from '../../../src-main/engine/pipeline/batch-types'
import { outputPaths, writeFileOutputs, type ResultKey } from '../../../src-main/engine/pipeline/outputs'
import { processFile } from '../../../src-main/engine/pipeline/process-one'
import type { FileResult } from '../../../src-main/engine/pipeline/types'

const dir = mkdtempSync(path.join(os.tmpdir(), 'fws-process-one-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const file = path.join(dir, 'talk.mp4')
writeFileSync(file, 'the bytes of a file; the records key it by their hash')

/** A pool that counts the files it is asked to process and fails each one. */
function failingPool() {
  const pool = {
    size: 1,
    calls: 0,
    run: async () => {
      pool.calls++
      throw Object.assign(new Error('no video stream'), { code: 'NO_VIDEO' })
    },
  }
  return pool
}

function context(runId: string, pool: ReturnType<typeof failingPool>, retryFailed = false): FileContext {
  return {
    runId,
    outDir: dir,
    fps: 2,
    detectEvery: 1,
    subsDir: null,
    models: { emotion: null, translation: null },
    cache: false,
    resume: true,
    retryFailed,
    inputs: new Set([file]),
    pool: pool as unknown as PipelinePool,
    signal: new AbortController().signal,
  }
}

async function run(ctx: FileContext) {
  const events: FileEvent[] = []
  const outcome = await processFile(ctx, file, 'talk', (e) => events.push(e))
  return { outcome, last: events.at(-1)! }
}

describe('processFile resume decision', () => {
  it('tells a failure of this run from one of an earlier run, and retries only the earlier one', async () => {
    const pool = failingPool()
    const first = await run(context('run-a', pool))
    expect(first.outcome.summary).toMatchObject({
      status: 'failed',
      error: 'no video stream',
      previous: false,
    })
    expect(pool.calls).toBe(1)

    // The same run meets its own failure record again (its job was retaken): not redone, not "previous".
    const again = await run(context('run-a', pool, true))
    expect(again.outcome.summary).toMatchObject({
      status: 'failed',
      error: 'no video stream',
      previous: false,
    })
    expect(again.outcome.work).toBe('processed')
    expect(again.last).toMatchObject({ type: 'file-failed', previous: false })
    expect(pool.calls).toBe(1)

    // A later run reports the recorded failure as previous, and retries it when asked to.
    const later = await run(context('run-b', pool))
    expect(later.outcome.summary).toMatchObject({ status: 'failed', previous: true })
    expect(later.outcome.work).toBe('reusedFailed')
    expect(pool.calls).toBe(1)
    await run(context('run-b', pool, true))
    expect(pool.calls).toBe(2)
  })

  it('reports a finished record of this run as done and one of an earlier run as skipped', async () => {
    // The failure record above holds the key this file is looked up by; a finished one replaces it.
    const failed = JSON.parse(readFileSync(outputPaths(dir, 'talk').record, 'utf8')) as ResultKey
    const key: ResultKey = { contentHash: failed.contentHash, models: failed.models, options: failed.options }
    const result: FileResult = {
      file,
      durationSec: 3,
      hasAudio: true,
      hasVideo: true,
      backend: 'wasm',
      droppedCues: {},
      probe: {},
      models: key.models,
      stageSec: { features: 1 },
      utterances: [],
    }
    await writeFileOutputs(dir, 'talk', file, key, result, 'run-c')
    const pool = failingPool()

    const same = await run(context('run-c', pool))
    expect(same.outcome.summary.status).toBe('done')
    expect(same.outcome.work).toBe('processed')
    expect(same.last).toMatchObject({ type: 'file-done', skipped: false })

    const other = await run(context('run-d', pool))
    expect(other.outcome.summary.status).toBe('skipped')
    expect(other.outcome.work).toBe('reusedComplete')
    expect(other.last).toMatchObject({ type: 'file-done', skipped: true })
    expect(pool.calls).toBe(0)
  })
})
