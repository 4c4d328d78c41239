/**
 * The project store: one SQLite file (better-sqlite3, WAL, synchronous=FULL) holding media,
 * utterances, model predictions, the correction log and the undo/redo history. Owns every read
 * and write of a project file; callers never see SQL.
 *
 * Durability: each edit is one transaction; with WAL + synchronous=FULL the commit has been
 * fsynced when `applyEdit` returns, so an acknowledged correction survives kill -9 and power loss.
 * (NORMAL would survive kill -9 but not power loss; the fsync costs ~1 ms per edit, which a
 * human-paced review loop never notices.)
 *
 * Concurrency: every write is a BEGIN IMMEDIATE transaction (`write`): it takes the write lock
 * before reading anything, so SQLite's busy timeout applies (a deferred transaction that reads and
 * then writes next to another writer fails at once with SQLITE_BUSY, the wait bypassed). A batch
 * writing predictions through its own connection and the app committing edits both wait their
 * turn; a still-busy database is retried a bounded number of times before the error is reported.
 *
 * The store owns the connection and the write transactions and delegates to one module per
 * thing: connection.ts (pragmas, retried writes), media-table.ts, utterance-table.ts,
 * predictions.ts, history.ts (undo/redo and the correction log), export-queries.ts.
 */
import { lstatSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { Edit, EditResult, MediaInfo, ProjectInfo, UtteranceRow } from './types'
import { migrate, preflight, ProjectFileError, SCHEMA_VERSION } from './schema'
import { configure, defaultAnnotator, makeFolders, writeTransaction } from './connection'
import { MediaTable, type NewMedia } from './media-table'
import { getUtterance, listUtterances, type NewUtterance } from './utterance-table'
import { writePredictions, type PredictionWrite } from './predictions'
import { History, type CorrectionEntry } from './history'
import { exportRecords, type ExportRecord } from './export-queries'

export { EditError } from './edits'
export { ProjectFileError, SCHEMA_VERSION } from './schema'
export { BUSY_TIMEOUT_MS, WRITE_ATTEMPTS } from './connection'
export type { NewMedia } from './media-table'
export type { NewUtterance } from './utterance-table'
export type { PredictionWrite } from './predictions'
export type { ExportRecord } from './export-queries'

/** Conventional extension of project files. */
export const PROJECT_EXT = '.fwsproj'

export interface StoreOptions {
  /** Who makes the corrections (recorded with each). Default: FWS_ANNOTATOR or the OS user name. */
  annotator?: string
}

/** A request that needs an open project came while none is open. */
export class NoProjectError extends Error {
  override name = 'NoProjectError'
  constructor() {
    super('no project is open: create or open a project first')
  }
}

export class ProjectStore {
  readonly path: string
  readonly annotator: string
  private db: Database.Database
  private closed = false
  private readonly media: MediaTable
  private readonly history: History

  private constructor(file: string, db: Database.Database, opts: StoreOptions) {
    this.path = file
    this.db = db
    this.annotator = opts.annotator ?? defaultAnnotator()
    this.media = new MediaTable(db, this.dir)
    this.history = new History(db, this.annotator)
  }

  /** Creates a new project file; refuses to overwrite an existing file. */
  static create(file: string, opts: StoreOptions = {}): ProjectStore {
    const abs = path.resolve(file)
    // lstat: a dangling symbolic link exists too (SQLite would create the file it points to).
    if (lstatSync(abs, { throwIfNoEntry: false }))
      throw new ProjectFileError(`a file already exists at ${abs}`, 'exists')
    makeFolders(path.dirname(abs))
    const db = new Database(abs)
    try {
      configure(db)
      migrate(db)
      db.prepare('INSERT INTO meta(key, value) VALUES (?, ?), (?, ?)').run(
        'created_at',
        new Date().toISOString(),
        'name',
        path.basename(abs).replace(/\.[^.]+$/, ''),
      )
    } catch (err) {
      db.close()
      throw err
    }
    return new ProjectStore(abs, db, opts)
  }

  /**
   * Opens an existing project. A newer-schema, damaged or non-project file is refused with a
   * ProjectFileError before anything is written; an older schema is migrated.
   */
  static open(file: string, opts: StoreOptions = {}): ProjectStore {
    const abs = path.resolve(file)
    preflight(abs)
    const db = new Database(abs, { fileMustExist: true })
    try {
      configure(db)
      migrate(db)
    } catch (err) {
      db.close()
      throw err
    }
    return new ProjectStore(abs, db, opts)
  }

  /** Runs `fn` as one write transaction (BEGIN IMMEDIATE, retried on a still-busy database). */
  private write<T>(fn: () => T): T {
    return writeTransaction(this.db, fn)
  }

  /** Closes the database (checkpointing the WAL into the main file). Idempotent. */
  close(): void {
    if (this.closed) return
    this.closed = true
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)')
    } catch {
      /* another connection may hold the WAL; closing is still safe */
    }
    this.db.close()
  }

  get isOpen(): boolean {
    return !this.closed
  }

  /** Folder of the project file: relative media paths and default export folders are relative to it. */
  get dir(): string {
    return path.dirname(this.path)
  }

  info(): ProjectInfo {
    const count = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n
    const name = (
      this.db.prepare("SELECT value FROM meta WHERE key = 'name'").get() as { value: string } | undefined
    )?.value
    return {
      path: this.path,
      name: name ?? path.basename(this.path),
      schemaVersion: SCHEMA_VERSION,
      mediaCount: count('SELECT count(*) AS n FROM media'),
      utteranceCount: count('SELECT count(*) AS n FROM utterances'),
      canUndo: this.canUndo(),
      canRedo: this.canRedo(),
    }
  }

  /** PRAGMA integrity_check: 'ok' or the problems found. */
  integrityCheck(): string {
    const rows = this.db.pragma('integrity_check') as { integrity_check: string }[]
    return rows.map((r) => r.integrity_check).join('; ')
  }

  // ------------------------------------------------------------------ media

  /**
   * The entry for this content and segmentation source. An entry from a version-1 project (whose
   * source was not recorded: seg_key NULL) matches any source of the same content.
   */
  findMedia(sha256: string, segKey = ''): MediaInfo | null {
    return this.media.find(sha256, segKey)
  }

  /**
   * Records a media file and its initial utterances in one transaction. A file whose content and
   * segmentation source are already in the project is not added twice: the existing entry is returned.
   */
  addMedia(media: NewMedia, utterances: NewUtterance[]): MediaInfo {
    const existing = this.findMedia(media.sha256, media.segKey ?? '')
    if (existing) return existing
    const id = this.write(() => this.media.insert(media, utterances))
    return this.getMedia(id)!
  }

  getMedia(id: string): MediaInfo | null {
    return this.media.get(id)
  }

  listMedia(): MediaInfo[] {
    return this.media.list()
  }

  /** Absolute path of a media file of this project, or null when the id is unknown. */
  mediaFile(mediaId: string): string | null {
    return this.media.file(mediaId)
  }

  /** The stored probe result and content hash of a media item (for feature caching by hash). */
  mediaDetails(mediaId: string): { sha256: string; probe: unknown; path: string } | null {
    return this.media.details(mediaId)
  }

  /**
   * Records a new location of a media file (the caller has checked that its content hash is the
   * stored one). Relative to the project when it can be, like addMedia.
   */
  relinkMedia(mediaId: string, absPath: string): MediaInfo {
    return this.media.relink(mediaId, absPath)
  }

  // ------------------------------------------------------------------ utterances and predictions

  /** Utterances in media order (by start), with their effective values and latest predictions. */
  listUtterances(mediaId?: string): UtteranceRow[] {
    return listUtterances(this.db, mediaId)
  }

  getUtterance(id: string): UtteranceRow | null {
    return getUtterance(this.db, id)
  }

  /**
   * Records model outputs in one transaction (re-running the same model version on an utterance
   * replaces its earlier output). Predictions are not corrections: they are not in the undo history.
   * Returns the number of rows written.
   */
  writePredictions(rows: PredictionWrite[]): number {
    return writePredictions(this.db, rows)
  }

  // ------------------------------------------------------------------ edits and history

  canUndo(): boolean {
    return this.history.canUndo()
  }

  canRedo(): boolean {
    return this.history.canRedo()
  }

  /**
   * Applies one correction in one durable transaction. When it returns, the change is on disk.
   * An edit that would change nothing records nothing and returns the current history id.
   */
  applyEdit(edit: Edit): EditResult {
    return this.write(() => this.history.applyEdit(edit))
  }

  /**
   * Replaces the segmentation of one media item (an imported SRT/VTT/EAF/CSV) as ONE undoable
   * change. Predictions of the old utterances stay in the file and come back with an undo.
   */
  replaceSegmentation(mediaId: string, segments: NewUtterance[]): EditResult {
    return this.write(() => this.history.replaceSegmentation(mediaId, segments))
  }

  /** Undoes the most recent change still in effect; null when there is nothing to undo. */
  undo(): EditResult | null {
    return this.write(() => this.history.replay('undo'))
  }

  /** Redoes the most recently undone change; null when there is nothing to redo. */
  redo(): EditResult | null {
    return this.write(() => this.history.replay('redo'))
  }

  /** The live correction log (undone entries excluded), oldest first. */
  corrections(): CorrectionEntry[] {
    return this.history.corrections()
  }

  // ------------------------------------------------------------------ exports

  /**
   * Every utterance (or one media's) with values, predictions and correction metadata.
   * `onlyCorrected`: only utterances with at least one human-set value, and in them only the
   * human-set emotion and translation (an unreviewed one is left out: value and provenance null;
   * the model's output stays under its prediction, labelled as such), so a correction export
   * never passes a machine value off as gold. Transcripts keep their (stated) provenance.
   */
  exportRecords(opts: { mediaId?: string; onlyCorrected?: boolean } = {}): ExportRecord[] {
    return exportRecords(this.db, this.media, opts)
  }
}
