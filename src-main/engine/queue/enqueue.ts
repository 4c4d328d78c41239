/**
 * Puts a batch run on the Redis queue: discovers the media as the local batch does (same output
 * names), records the run (models with checksums, options) and adds one BullMQ job per media
 * file. A long file is one job: it is split between the threads of the worker that takes it
 * (`fws worker --jobs N`), not between machines.
 */
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { discoverRun } from '../pipeline/batch'
import { removeStaleTemps } from '../pipeline/outputs'
import type { ModelSelection } from '../pipeline/types'
import type { QueueClients } from './client'
import { selectionChecksums } from './model-checksum'
import { jobId, loadRun, RUN_NAME, saveRun, type RunRecord } from './run-record'

export interface EnqueueOptions {
  run?: string
  inputs: string[]
  outDir: string
  models: ModelSelection
  fps: number
  detectEvery: number
  subsDir: string | null
  cache: boolean
  retryFailed: boolean
  /** Tries per job for faults another try can cure (default 3). */
  attempts?: number
}

/** A temp file is written in one go; one this old was left by a killed worker. */
const STALE_TEMP_MS = 15 * 60_000

export class RunNameError extends Error {
  override name = 'RunNameError'
}

/** A readable unique run name: batch-<UTC date-time>-<4 hex>. */
export function newRunName(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')
  return `batch-${t}-${randomBytes(2).toString('hex')}`
}

export async function enqueueRun(q: QueueClients, o: EnqueueOptions): Promise<RunRecord> {
  const name = o.run ?? newRunName()
  if (!RUN_NAME.test(name))
    throw new RunNameError(`--run must be letters, digits, "-" or "_" (at most 100; got "${name}")`)
  const outDir = path.resolve(o.outDir)
  await mkdir(outDir, { recursive: true })
  // Temps of workers killed mid-write (on any machine: their process ids mean nothing here, so by age).
  await removeStaleTemps(outDir, { olderThanMs: STALE_TEMP_MS })
  const found = await discoverRun(o.inputs, outDir)
  const prev = await loadRun(q.redis, name)
  const rec: RunRecord = {
    version: 1,
    name,
    gen: (prev?.gen ?? 0) + 1,
    createdAt: Date.now(),
    outDir,
    files: found.files.map((file, i) => ({ file, name: found.names[i]!, size: found.sizes[i]! })),
    notMedia: found.skipped,
    models: o.models,
    modelChecksums: await selectionChecksums(o.models),
    options: {
      fps: o.fps,
      detectEvery: o.detectEvery,
      subsDir: o.subsDir ? path.resolve(o.subsDir) : null,
      cache: o.cache,
      retryFailed: o.retryFailed,
    },
    attempts: Math.max(1, o.attempts ?? 3),
  }
  await saveRun(q.redis, rec)
  await q.queue.addBulk(
    rec.files.map((f, index) => ({
      name: f.name,
      data: { run: name, gen: rec.gen, index },
      opts: {
        jobId: jobId(name, rec.gen, index),
        attempts: rec.attempts,
        backoff: { type: 'fixed', delay: 1000 },
        removeOnComplete: { age: 7 * 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    })),
  )
  return rec
}
