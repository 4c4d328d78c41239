/**
 * The SQLite connection of a project file: its pragmas (WAL, synchronous=FULL, busy timeout), the
 * write transaction that takes the lock first and retries a still-busy database, the creation of
 * the project's folders, row ids and the default annotator.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type Database from 'better-sqlite3'
import { ProjectFileError } from './schema'

/** Busy timeout of each connection (ms): how long one attempt waits for another writer. */
export const BUSY_TIMEOUT_MS = 5000
/** Attempts of a write transaction that finds the database still locked after the busy timeout. */
export const WRITE_ATTEMPTS = 4

export function defaultAnnotator(): string {
  if (process.env.FWS_ANNOTATOR) return process.env.FWS_ANNOTATOR
  try {
    return os.userInfo().username || 'unknown'
  } catch {
    return 'unknown'
  }
}

/**
 * Creates the missing folders of `dir` one level at a time. Not `recursive: true`: Node's recursive
 * mkdir never returns on a place that refuses new folders with ENOENT (procfs), while this fails
 * at once with the OS error of the level that cannot be made.
 */
export function makeFolders(dir: string): void {
  const missing: string[] = []
  for (let cur = dir; !existsSync(cur); cur = path.dirname(cur)) {
    missing.unshift(cur)
    if (path.dirname(cur) === cur) break
  }
  for (const d of missing) {
    try {
      mkdirSync(d)
    } catch (err) {
      throw new ProjectFileError(`cannot create the folder ${d}: ${(err as Error).message}`, 'unwritable')
    }
  }
}

export const newId = (prefix: string, bytes: number) => `${prefix}${randomBytes(bytes).toString('hex')}`

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
}

/** Blocks the thread for `ms` (between write attempts; better-sqlite3 is synchronous anyway). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

export function configure(db: Database.Database): void {
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('foreign_keys = ON')
  // A batch job may write predictions through its own connection while the app edits.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
}

/**
 * Runs `fn` as one write transaction: BEGIN IMMEDIATE (the write lock first, waiting up to the
 * busy timeout for another connection's transaction), retried on a still-busy database.
 */
export function writeTransaction<T>(db: Database.Database, fn: () => T): T {
  const tx = db.transaction(fn)
  for (let attempt = 1; ; attempt++) {
    try {
      return tx.immediate()
    } catch (err) {
      if (!isBusy(err) || attempt >= WRITE_ATTEMPTS) throw err
      sleepSync(25 * attempt + Math.floor(Math.random() * 25))
    }
  }
}
