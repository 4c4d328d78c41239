/**
 * A queued run as Redis holds it. Owns the keys and their content:
 *  - `fws:run:<name>`: the run record (JSON): output folder, files with their output names,
 *    models with their checksums, options, the generation (bumped each time the run is enqueued);
 *  - `fws:run:<name>:results`: one entry per finished file (its FileOutcome, the generation and
 *    the worker that did it) — what the watcher builds summary.json from;
 *  - `fws:run:<name>:cancelled`: set by `--cancel`; workers stop the run's files when they see it;
 *  - `fws:run:<name>:refusals`: why a worker refused the run (models it cannot match).
 * Job ids are `<name>.<generation>.<file index>`, so a job names its run and file.
 */
import type { Redis } from 'ioredis'
import type { SkippedEntry } from '../pipeline/discover'
import type { FileOutcome } from '../pipeline/batch'
import type { ModelSelection } from '../pipeline/types'
import { KEY_PREFIX } from './connection'
import type { ModelChecksums } from './model-checksum'

export const RUN_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/

export interface RunRecord {
  version: 1
  name: string
  /** Bumped at every enqueue of the same run name; results of an older generation are ignored. */
  gen: number
  /** Epoch ms of this generation's enqueue (the run's start in summary.json). */
  createdAt: number
  outDir: string
  files: { file: string; name: string; size: number }[]
  notMedia: SkippedEntry[]
  models: ModelSelection
  modelChecksums: ModelChecksums
  options: {
    fps: number
    detectEvery: number
    subsDir: string | null
    cache: boolean
    retryFailed: boolean
  }
  /** Tries per job for faults a retry can cure (a worker that cannot see the storage). */
  attempts: number
}

/** A file's result as the worker stores it. */
export interface RunResult {
  gen: number
  outcome: FileOutcome
  worker: WorkerIdentity
  /** Wall seconds the worker spent on the file. */
  seconds: number
}

export interface WorkerIdentity {
  host: string
  pid: number
  jobs: number
}

/** The job's data: which run and file. */
export interface RunJobData {
  run: string
  gen: number
  index: number
}

const key = (run: string, part?: string) => `${KEY_PREFIX}:run:${run}${part ? `:${part}` : ''}`

/** One generation of a run (each enqueue of the same name is the next): its jobs' id prefix. */
export const generationId = (run: string, gen: number) => `${run}.${gen}`

export const jobId = (run: string, gen: number, index: number) => `${generationId(run, gen)}.${index}`

export async function loadRun(redis: Redis, run: string): Promise<RunRecord | null> {
  const text = await redis.get(key(run))
  return text ? (JSON.parse(text) as RunRecord) : null
}

/** Stores a new generation of the run: its record, no results, not cancelled. */
export async function saveRun(redis: Redis, rec: RunRecord): Promise<void> {
  await redis
    .multi()
    .set(key(rec.name), JSON.stringify(rec))
    .del(key(rec.name, 'results'), key(rec.name, 'cancelled'), key(rec.name, 'refusals'))
    .exec()
}

/** Stores a file's result unless one of the same generation is there already; true when stored. */
export async function saveResult(redis: Redis, run: string, index: number, r: RunResult): Promise<boolean> {
  const prev = await redis.hget(key(run, 'results'), String(index))
  if (prev && (JSON.parse(prev) as RunResult).gen === r.gen) return false
  await redis.hset(key(run, 'results'), String(index), JSON.stringify(r))
  return true
}

/** Results of the run's generation `gen`, by file index. */
export async function loadResults(redis: Redis, run: string, gen: number): Promise<Map<number, RunResult>> {
  const all = await redis.hgetall(key(run, 'results'))
  const out = new Map<number, RunResult>()
  for (const [i, text] of Object.entries(all)) {
    const r = JSON.parse(text) as RunResult
    if (r.gen === gen) out.set(Number(i), r)
  }
  return out
}

export async function loadResult(
  redis: Redis,
  run: string,
  gen: number,
  index: number,
): Promise<RunResult | null> {
  const text = await redis.hget(key(run, 'results'), String(index))
  const r = text ? (JSON.parse(text) as RunResult) : null
  return r && r.gen === gen ? r : null
}

export async function markCancelled(redis: Redis, run: string, gen: number): Promise<void> {
  await redis.set(key(run, 'cancelled'), String(gen))
}

export async function isCancelled(redis: Redis, run: string, gen: number): Promise<boolean> {
  return (await redis.get(key(run, 'cancelled'))) === String(gen)
}

export async function saveRefusal(redis: Redis, run: string, who: string, why: string): Promise<void> {
  await redis.hset(key(run, 'refusals'), who, why)
}

export async function loadRefusals(redis: Redis, run: string): Promise<Record<string, string>> {
  return redis.hgetall(key(run, 'refusals'))
}
