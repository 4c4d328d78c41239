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
 * History: every edit stores the affected rows before and after. Undo restores the before rows,
 * redo the after rows, one change at a time; a new edit after undo discards the redo branch.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { Edit, EditResult, MediaInfo, ProjectInfo, UtteranceRow } from './types'
import { EditError, planEdit, type CorrectionDraft, type EditContext, type EditPlan } from './edits'
import {
  isHuman,
  toMediaInfo,
  toMs,
  toUtteranceRow,
  UTT_COLUMNS,
  type LatestPredictions,
  type MediaRecord,
  type PredictionRecord,
  type UttRecord,
} from './rows'
import { migrate, preflight, ProjectFileError, SCHEMA_VERSION } from './schema'

export { EditError } from './edits'
export { ProjectFileError, SCHEMA_VERSION } from './schema'

/** Conventional extension of project files. */
export const PROJECT_EXT = '.fwsproj'

export interface StoreOptions {
  /** Who makes the corrections (recorded with each). Default: FWS_ANNOTATOR or the OS user name. */
  annotator?: string
}

/** A media file as the store records it (probe + hash are done by the caller, see media-add.ts). */
export interface NewMedia {
  absPath: string
  sha256: string
  /**
   * Identity of the segmentation source (media-identity.ts): '' (default) = from the media bytes,
   * 'subs:<sha256>' = from that subtitle file. Same bytes with another key is another entry.
   */
  segKey?: string
  sizeBytes: number
  durationSec: number
  hasAudio: boolean
  hasVideo: boolean
  /** The full probe result, stored as JSON for later inspection. */
  probe: unknown
}

/** An utterance from segmentation or an imported subtitle file. */
export interface NewUtterance {
  start: number
  end: number
  text: string
  /** Where the cut came from: 'subtitles:file.srt', 'vad', 'eaf:…' etc. */
  source: string
}

/**
 * One model output to record (the batch inference job writes these). `task: 'emotion'` needs
 * `probabilities` (label → p; `label` defaults to the argmax); `task: 'translation'` needs `translation`.
 */
export interface PredictionWrite {
  utteranceId: string
  task: 'emotion' | 'translation'
  modelVersion: string
  probabilities?: Record<string, number>
  label?: string
  /** Emotion: the model ran but had no evidence; why (then no label and no probabilities). */
  noEvidence?: string
  translation?: string
}

/** Everything an export needs about one utterance: values, predictions, who corrected what, when. */
export interface ExportRecord {
  mediaId: string
  mediaPath: string
  mediaName: string
  utteranceId: string
  index: number
  start: number
  end: number
  source: string
  boundsProvenance: string
  transcript: string
  /** null: empty and never written by anyone. */
  transcriptProvenance: string | null
  emotion: string | null
  emotionProvenance: string | null
  emotionPrediction: {
    label: string
    probabilities: Record<string, number>
    modelVersion: string
    createdAt: string
  } | null
  translation: string | null
  translationProvenance: string | null
  translationPrediction: { text: string; modelVersion: string; createdAt: string } | null
  /** Latest live correction per field: annotator and ISO time. */
  corrections: Partial<
    Record<
      'emotion' | 'transcript' | 'translation' | 'bounds',
      { annotator: string; at: string; provenance: string }
    >
  >
  /** True when any value of the utterance was set by a human (corrected or accepted). */
  corrected: boolean
}

function defaultAnnotator(): string {
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
function makeFolders(dir: string): void {
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

const newId = (prefix: string, bytes: number) => `${prefix}${randomBytes(bytes).toString('hex')}`

/** Busy timeout of each connection (ms): how long one attempt waits for another writer. */
export const BUSY_TIMEOUT_MS = 5000
/** Attempts of a write transaction that finds the database still locked after the busy timeout. */
export const WRITE_ATTEMPTS = 4

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
}

/** Blocks the thread for `ms` (between write attempts; better-sqlite3 is synchronous anyway). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
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

  private constructor(file: string, db: Database.Database, opts: StoreOptions) {
    this.path = file
    this.db = db
    this.annotator = opts.annotator ?? defaultAnnotator()
  }

  /** Creates a new project file; refuses to overwrite an existing file. */
  static create(file: string, opts: StoreOptions = {}): ProjectStore {
    const abs = path.resolve(file)
    if (existsSync(abs)) throw new ProjectFileError(`a file already exists at ${abs}`, 'exists')
    makeFolders(path.dirname(abs))
    const db = new Database(abs)
    try {
      ProjectStore.configure(db)
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
      ProjectStore.configure(db)
      migrate(db)
    } catch (err) {
      db.close()
      throw err
    }
    return new ProjectStore(abs, db, opts)
  }

  private static configure(db: Database.Database): void {
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
  private write<T>(fn: () => T): T {
    const tx = this.db.transaction(fn)
    for (let attempt = 1; ; attempt++) {
      try {
        return tx.immediate()
      } catch (err) {
        if (!isBusy(err) || attempt >= WRITE_ATTEMPTS) throw err
        sleepSync(25 * attempt + Math.floor(Math.random() * 25))
      }
    }
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

  /** Where a media file is now: relative to the project (if it moved with it) or its absolute path. */
  private resolveMediaPath(m: MediaRecord): string {
    if (m.rel_path != null) {
      const rel = path.resolve(this.dir, m.rel_path)
      if (existsSync(rel)) return rel
    }
    return m.abs_path
  }

  /**
   * The entry for this content and segmentation source. An entry from a version-1 project (whose
   * source was not recorded: seg_key NULL) matches any source of the same content.
   */
  findMedia(sha256: string, segKey = ''): MediaInfo | null {
    const m = this.db
      .prepare(
        'SELECT * FROM media WHERE sha256 = ? AND (seg_key = ? OR seg_key IS NULL) ORDER BY seg_key IS NULL',
      )
      .get(sha256, segKey) as MediaRecord | undefined
    return m ? this.mediaInfo(m) : null
  }

  /**
   * Records a media file and its initial utterances in one transaction. A file whose content and
   * segmentation source are already in the project is not added twice: the existing entry is returned.
   */
  addMedia(media: NewMedia, utterances: NewUtterance[]): MediaInfo {
    const existing = this.findMedia(media.sha256, media.segKey ?? '')
    if (existing) return existing
    const id = newId('m_', 6)
    const now = Date.now()
    const relRaw = path.relative(this.dir, media.absPath)
    // Relative only when it is one (same drive on Windows); '..' segments are fine for a sibling folder.
    const rel = path.isAbsolute(relRaw) ? null : relRaw.split(path.sep).join('/')
    this.write(() => {
      this.db
        .prepare(
          `INSERT INTO media(id, abs_path, rel_path, name, sha256, seg_key, size_bytes, duration_sec, has_audio, has_video, probe_json, added_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          media.absPath,
          rel,
          path.basename(media.absPath),
          media.sha256,
          media.segKey ?? '',
          media.sizeBytes,
          media.durationSec,
          media.hasAudio ? 1 : 0,
          media.hasVideo ? 1 : 0,
          JSON.stringify(media.probe ?? null),
          now,
        )
      for (const u of this.normaliseSegments(utterances, media.durationSec))
        this.insertUtt({
          id: newId('u_', 8),
          media_id: id,
          start_ms: u.start_ms,
          end_ms: u.end_ms,
          bounds_prov: u.prov,
          transcript: u.text,
          transcript_prov: u.prov,
          emotion: null,
          emotion_prov: null,
          translation: null,
          translation_prov: null,
          source: u.source,
          created_at: now,
        })
    })
    return this.getMedia(id)!
  }

  /** Sorts, rounds to ms, clamps to the media and drops empty segments. */
  private normaliseSegments(
    segs: NewUtterance[],
    durationSec: number,
  ): { start_ms: number; end_ms: number; text: string; source: string; prov: string }[] {
    const durMs = durationSec > 0 ? toMs(durationSec) : Infinity
    return segs
      .map((s) => {
        if (!Number.isFinite(s.start) || !Number.isFinite(s.end))
          throw new EditError(`segment with non-finite bounds (${s.start}, ${s.end})`)
        const start_ms = Math.max(0, toMs(s.start))
        const end_ms = Math.min(durMs, toMs(s.end))
        // Text from a subtitle/transcript file is 'imported'; cuts with no text came from the VAD model.
        return { start_ms, end_ms, text: s.text ?? '', source: s.source, prov: s.text ? 'imported' : 'model' }
      })
      .filter((s) => s.end_ms > s.start_ms)
      .sort((a, b) => a.start_ms - b.start_ms || a.end_ms - b.end_ms)
  }

  getMedia(id: string): MediaInfo | null {
    const m = this.db.prepare('SELECT * FROM media WHERE id = ?').get(id) as MediaRecord | undefined
    return m ? this.mediaInfo(m) : null
  }

  private mediaInfo(m: MediaRecord): MediaInfo {
    const n = (
      this.db.prepare('SELECT count(*) AS n FROM utterances WHERE media_id = ?').get(m.id) as { n: number }
    ).n
    return toMediaInfo(m, this.resolveMediaPath(m), n)
  }

  listMedia(): MediaInfo[] {
    const rows = this.db.prepare('SELECT * FROM media ORDER BY added_at, id').all() as MediaRecord[]
    return rows.map((m) => this.mediaInfo(m))
  }

  /** Absolute path of a media file of this project, or null when the id is unknown. */
  mediaFile(mediaId: string): string | null {
    const m = this.db.prepare('SELECT * FROM media WHERE id = ?').get(mediaId) as MediaRecord | undefined
    return m ? this.resolveMediaPath(m) : null
  }

  /** The stored probe result and content hash of a media item (for feature caching by hash). */
  mediaDetails(mediaId: string): { sha256: string; probe: unknown; path: string } | null {
    const m = this.db.prepare('SELECT * FROM media WHERE id = ?').get(mediaId) as MediaRecord | undefined
    return m ? { sha256: m.sha256, probe: JSON.parse(m.probe_json), path: this.resolveMediaPath(m) } : null
  }

  /**
   * Records a new location of a media file (the caller has checked that its content hash is the
   * stored one). Relative to the project when it can be, like addMedia.
   */
  relinkMedia(mediaId: string, absPath: string): MediaInfo {
    const relRaw = path.relative(this.dir, absPath)
    const rel = path.isAbsolute(relRaw) ? null : relRaw.split(path.sep).join('/')
    const r = this.db
      .prepare('UPDATE media SET abs_path = ?, rel_path = ? WHERE id = ?')
      .run(absPath, rel, mediaId)
    if (r.changes === 0) throw new Error(`media "${mediaId}" is not in this project`)
    return this.getMedia(mediaId)!
  }

  // ------------------------------------------------------------------ utterances

  private getUtt(id: string): UttRecord | undefined {
    return this.db.prepare('SELECT * FROM utterances WHERE id = ?').get(id) as UttRecord | undefined
  }

  private insertUtt(r: UttRecord): void {
    this.db
      .prepare(
        `INSERT INTO utterances(${UTT_COLUMNS.join(', ')}) VALUES (${UTT_COLUMNS.map(() => '?').join(', ')})`,
      )
      .run(...UTT_COLUMNS.map((c) => r[c]))
  }

  private deleteUtt(id: string): void {
    this.db.prepare('DELETE FROM utterances WHERE id = ?').run(id)
  }

  private orderedRecords(mediaId?: string): UttRecord[] {
    const sql = 'SELECT * FROM utterances' + (mediaId ? ' WHERE media_id = ?' : '')
    const rows = (mediaId ? this.db.prepare(sql).all(mediaId) : this.db.prepare(sql).all()) as UttRecord[]
    return rows.sort(
      (a, b) =>
        a.media_id.localeCompare(b.media_id) ||
        a.start_ms - b.start_ms ||
        a.end_ms - b.end_ms ||
        a.id.localeCompare(b.id),
    )
  }

  private latestPredictions(ids?: string[]): Map<string, LatestPredictions> {
    const map = new Map<string, LatestPredictions>()
    let rows: PredictionRecord[]
    if (ids && ids.length <= 500) {
      rows = ids.length
        ? (this.db
            .prepare(
              `SELECT * FROM predictions WHERE utterance_id IN (${ids.map(() => '?').join(',')}) ORDER BY created_at, id`,
            )
            .all(...ids) as PredictionRecord[])
        : []
    } else {
      rows = this.db.prepare('SELECT * FROM predictions ORDER BY created_at, id').all() as PredictionRecord[]
    }
    for (const p of rows) {
      const e = map.get(p.utterance_id) ?? { emotion: null, translation: null }
      e[p.task] = p // later rows (newer) overwrite earlier ones
      map.set(p.utterance_id, e)
    }
    return map
  }

  private indexOf(r: UttRecord): number {
    return (
      this.db
        .prepare(
          `SELECT count(*) AS n FROM utterances WHERE media_id = ? AND
             (start_ms < ? OR (start_ms = ? AND end_ms < ?) OR (start_ms = ? AND end_ms = ? AND id < ?))`,
        )
        .get(r.media_id, r.start_ms, r.start_ms, r.end_ms, r.start_ms, r.end_ms, r.id) as { n: number }
    ).n
  }

  /** Utterances in media order (by start), with their effective values and latest predictions. */
  listUtterances(mediaId?: string): UtteranceRow[] {
    if (mediaId && !this.getMedia(mediaId))
      throw new EditError(`no media with id "${mediaId}" in this project`)
    const recs = this.orderedRecords(mediaId)
    const preds = this.latestPredictions(mediaId ? recs.map((r) => r.id) : undefined)
    const empty: LatestPredictions = { emotion: null, translation: null }
    let lastMedia = ''
    let i = 0
    return recs.map((r) => {
      if (r.media_id !== lastMedia) {
        lastMedia = r.media_id
        i = 0
      }
      return toUtteranceRow(r, i++, preds.get(r.id) ?? empty)
    })
  }

  getUtterance(id: string): UtteranceRow | null {
    const r = this.getUtt(id)
    if (!r) return null
    return toUtteranceRow(
      r,
      this.indexOf(r),
      this.latestPredictions([id]).get(id) ?? { emotion: null, translation: null },
    )
  }

  // ------------------------------------------------------------------ predictions

  /**
   * Records model outputs in one transaction (re-running the same model version on an utterance
   * replaces its earlier output). Predictions are not corrections: they are not in the undo history.
   * Returns the number of rows written.
   */
  writePredictions(rows: PredictionWrite[]): number {
    const now = Date.now()
    const stmt = this.db.prepare(
      `INSERT INTO predictions(utterance_id, task, model_version, label, probabilities, translation, no_evidence, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(utterance_id, task, model_version) DO UPDATE SET
         label = excluded.label, probabilities = excluded.probabilities,
         translation = excluded.translation, no_evidence = excluded.no_evidence, created_at = excluded.created_at`,
    )
    const exists = this.db.prepare('SELECT 1 FROM utterances WHERE id = ?')
    this.write(() => {
      for (const p of rows) {
        if (!p.modelVersion) throw new EditError('prediction without a model version')
        if (!exists.get(p.utteranceId))
          throw new EditError(`prediction for unknown utterance "${p.utteranceId}"`)
        if (p.task === 'emotion' && p.noEvidence) {
          stmt.run(p.utteranceId, 'emotion', p.modelVersion, null, null, null, p.noEvidence, now)
        } else if (p.task === 'emotion') {
          const probs = p.probabilities
          if (!probs || !Object.keys(probs).length)
            throw new EditError(`emotion prediction for ${p.utteranceId} has no probabilities`)
          for (const [k, v] of Object.entries(probs))
            if (!Number.isFinite(v) || v < 0 || v > 1)
              throw new EditError(`probability of "${k}" for ${p.utteranceId} is not in [0, 1]: ${v}`)
          const label = p.label ?? Object.entries(probs).sort((a, b) => b[1] - a[1])[0][0]
          stmt.run(p.utteranceId, 'emotion', p.modelVersion, label, JSON.stringify(probs), null, null, now)
        } else {
          if (typeof p.translation !== 'string')
            throw new EditError(`translation prediction for ${p.utteranceId} has no text`)
          stmt.run(p.utteranceId, 'translation', p.modelVersion, null, null, p.translation, null, now)
        }
      }
    })
    return rows.length
  }

  // ------------------------------------------------------------------ edits and history

  canUndo(): boolean {
    return !!this.db.prepare("SELECT 1 FROM history WHERE state = 'done' LIMIT 1").get()
  }

  canRedo(): boolean {
    return !!this.db.prepare("SELECT 1 FROM history WHERE state = 'undone' LIMIT 1").get()
  }

  private lastHistoryId(): number {
    return (this.db.prepare('SELECT coalesce(max(id), 0) AS n FROM history').get() as { n: number }).n
  }

  private editContext(): EditContext {
    return {
      get: (id) => this.getUtt(id),
      next: (r) =>
        this.db
          .prepare(
            `SELECT * FROM utterances WHERE media_id = ? AND id <> ? AND
               (start_ms > ? OR (start_ms = ? AND end_ms > ?) OR (start_ms = ? AND end_ms = ? AND id > ?))
             ORDER BY start_ms, end_ms, id LIMIT 1`,
          )
          .get(r.media_id, r.id, r.start_ms, r.start_ms, r.end_ms, r.start_ms, r.end_ms, r.id) as
          UttRecord | undefined,
      predictions: (id) => this.latestPredictions([id]).get(id) ?? { emotion: null, translation: null },
      mediaDurationMs: (mediaId) => {
        const m = this.db.prepare('SELECT duration_sec FROM media WHERE id = ?').get(mediaId) as
          { duration_sec: number } | undefined
        return m ? toMs(m.duration_sec) : 0
      },
      newUtteranceId: () => newId('u_', 8),
      now: Date.now(),
    }
  }

  /** Replaces `before` rows by `after` rows (by id). */
  private swapRows(remove: UttRecord[], insert: UttRecord[]): void {
    for (const r of remove) this.deleteUtt(r.id)
    for (const r of insert) this.insertUtt(r)
  }

  private commitPlan(kind: string, edit: unknown, plan: EditPlan): number {
    const now = Date.now()
    // A new change after undo ends the redo branch (kept in the file as 'discarded' for the audit trail).
    this.db.prepare("UPDATE history SET state = 'discarded' WHERE state = 'undone'").run()
    this.swapRows(plan.before, plan.after)
    const h = this.db
      .prepare(
        `INSERT INTO history(kind, edit, before_rows, after_rows, state, annotator, created_at)
         VALUES (?, ?, ?, ?, 'done', ?, ?)`,
      )
      .run(
        kind,
        JSON.stringify(edit),
        JSON.stringify(plan.before),
        JSON.stringify(plan.after),
        this.annotator,
        now,
      )
    const hid = Number(h.lastInsertRowid)
    this.insertCorrections(hid, plan.corrections, now)
    return hid
  }

  private insertCorrections(historyId: number, cs: CorrectionDraft[], now: number): void {
    const stmt = this.db.prepare(
      `INSERT INTO corrections(history_id, utterance_id, field, previous, value, previous_provenance, provenance, annotator, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    for (const c of cs)
      stmt.run(
        historyId,
        c.utteranceId,
        c.field,
        JSON.stringify(c.previous ?? null),
        JSON.stringify(c.value ?? null),
        c.previousProvenance,
        c.provenance,
        this.annotator,
        now,
      )
  }

  private result(changedIds: string[], removed: string[], historyId: number): EditResult {
    const changed = changedIds.map((id) => this.getUtterance(id)).filter((r): r is UtteranceRow => r != null)
    return { changed, removed, canUndo: this.canUndo(), canRedo: this.canRedo(), historyId }
  }

  /**
   * Applies one correction in one durable transaction. When it returns, the change is on disk.
   * An edit that would change nothing records nothing and returns the current history id.
   */
  applyEdit(edit: Edit): EditResult {
    return this.write(() => {
      const plan = planEdit(edit, this.editContext())
      if (!plan) return this.result([edit.utteranceId], [], this.lastHistoryId())
      const hid = this.commitPlan(edit.kind, edit, plan)
      const afterIds = new Set(plan.after.map((r) => r.id))
      return this.result(
        plan.after.map((r) => r.id),
        plan.before.filter((r) => !afterIds.has(r.id)).map((r) => r.id),
        hid,
      )
    })
  }

  /**
   * Replaces the segmentation of one media item (an imported SRT/VTT/EAF/CSV) as ONE undoable
   * change. Predictions of the old utterances stay in the file and come back with an undo.
   */
  replaceSegmentation(mediaId: string, segments: NewUtterance[]): EditResult {
    return this.write(() => {
      const m = this.db.prepare('SELECT * FROM media WHERE id = ?').get(mediaId) as MediaRecord | undefined
      if (!m) throw new EditError(`no media with id "${mediaId}" in this project`)
      const norm = this.normaliseSegments(segments, m.duration_sec)
      if (!norm.length) throw new EditError('the imported segmentation has no utterance inside the media')
      const before = this.orderedRecords(mediaId)
      const now = Date.now()
      const after: UttRecord[] = norm.map((u) => ({
        id: newId('u_', 8),
        media_id: mediaId,
        start_ms: u.start_ms,
        end_ms: u.end_ms,
        bounds_prov: 'imported',
        transcript: u.text,
        transcript_prov: 'imported',
        emotion: null,
        emotion_prov: null,
        translation: null,
        translation_prov: null,
        source: u.source,
        created_at: now,
      }))
      const hid = this.commitPlan(
        'segmentation',
        { kind: 'segmentation', mediaId, count: after.length, source: norm[0].source },
        {
          before,
          after,
          corrections: [
            {
              utteranceId: mediaId,
              field: 'segmentation',
              previous: { count: before.length },
              value: { count: after.length, source: norm[0].source },
              previousProvenance: null,
              provenance: 'imported',
            },
          ],
        },
      )
      return this.result(
        after.map((r) => r.id),
        before.map((r) => r.id),
        hid,
      )
    })
  }

  /** Undoes the most recent change still in effect; null when there is nothing to undo. */
  undo(): EditResult | null {
    return this.replay('undo')
  }

  /** Redoes the most recently undone change; null when there is nothing to redo. */
  redo(): EditResult | null {
    return this.replay('redo')
  }

  /**
   * Undo: the newest 'done' history entry's rows go back to their before-state. Redo: the oldest
   * 'undone' entry's rows go forward to their after-state. Its corrections follow its state.
   */
  private replay(direction: 'undo' | 'redo'): EditResult | null {
    const undo = direction === 'undo'
    return this.write(() => {
      const h = this.db
        .prepare(
          undo
            ? "SELECT id, before_rows, after_rows FROM history WHERE state = 'done' ORDER BY id DESC LIMIT 1"
            : "SELECT id, before_rows, after_rows FROM history WHERE state = 'undone' ORDER BY id ASC LIMIT 1",
        )
        .get() as { id: number; before_rows: string; after_rows: string } | undefined
      if (!h) return null
      const before = JSON.parse(h.before_rows) as UttRecord[]
      const after = JSON.parse(h.after_rows) as UttRecord[]
      const [from, to] = undo ? [after, before] : [before, after]
      this.swapRows(from, to)
      this.db.prepare('UPDATE history SET state = ? WHERE id = ?').run(undo ? 'undone' : 'done', h.id)
      this.db.prepare('UPDATE corrections SET undone = ? WHERE history_id = ?').run(undo ? 1 : 0, h.id)
      const present = new Set(to.map((r) => r.id))
      return this.result(
        to.map((r) => r.id),
        from.filter((r) => !present.has(r.id)).map((r) => r.id),
        h.id,
      )
    })
  }

  /** The live correction log (undone entries excluded), oldest first. */
  corrections(): {
    id: number
    historyId: number
    utteranceId: string
    field: string
    previous: unknown
    value: unknown
    previousProvenance: string | null
    provenance: string
    annotator: string
    at: string
  }[] {
    const rows = this.db.prepare('SELECT * FROM corrections WHERE undone = 0 ORDER BY id').all() as {
      id: number
      history_id: number
      utterance_id: string
      field: string
      previous: string | null
      value: string | null
      previous_provenance: string | null
      provenance: string
      annotator: string
      created_at: number
    }[]
    return rows.map((r) => ({
      id: r.id,
      historyId: r.history_id,
      utteranceId: r.utterance_id,
      field: r.field,
      previous: r.previous == null ? null : JSON.parse(r.previous),
      value: r.value == null ? null : JSON.parse(r.value),
      previousProvenance: r.previous_provenance,
      provenance: r.provenance,
      annotator: r.annotator,
      at: new Date(r.created_at).toISOString(),
    }))
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
    const rows = this.listUtterances(opts.mediaId)
    const medias = new Map(this.listMedia().map((m) => [m.id, m]))
    const ids = rows.map((r) => r.id)
    const preds = this.latestPredictions(opts.mediaId ? ids : undefined)
    const recs = new Map(this.orderedRecords(opts.mediaId).map((r) => [r.id, r]))
    // Latest live correction per (utterance, field); split/merge count as bounds edits.
    const meta = new Map<string, ExportRecord['corrections']>()
    for (const c of this.db
      .prepare(
        'SELECT utterance_id, field, annotator, created_at, provenance FROM corrections WHERE undone = 0 ORDER BY id',
      )
      .all() as {
      utterance_id: string
      field: string
      annotator: string
      created_at: number
      provenance: string
    }[]) {
      const field = c.field === 'split' || c.field === 'merge' ? 'bounds' : c.field
      if (field !== 'emotion' && field !== 'transcript' && field !== 'translation' && field !== 'bounds')
        continue
      const m = meta.get(c.utterance_id) ?? {}
      m[field] = {
        annotator: c.annotator,
        at: new Date(c.created_at).toISOString(),
        provenance: c.provenance,
      }
      meta.set(c.utterance_id, m)
    }
    const out: ExportRecord[] = []
    for (const r of rows) {
      const rec = recs.get(r.id)!
      const p = preds.get(r.id)
      const media = medias.get(r.mediaId)!
      const corrected =
        isHuman(rec.emotion_prov) ||
        isHuman(rec.translation_prov) ||
        isHuman(rec.transcript_prov) ||
        isHuman(rec.bounds_prov)
      if (opts.onlyCorrected && !corrected) continue
      const pe = p?.emotion
      const pt = p?.translation
      const gold = <T>(value: T, prov: string | null): [T | null, string | null] =>
        !opts.onlyCorrected || isHuman(prov) ? [value, prov] : [null, null]
      const [emotion, emotionProvenance] = gold(r.emotion, r.emotionProvenance)
      const [translation, translationProvenance] = gold(r.translation, r.translationProvenance)
      out.push({
        mediaId: r.mediaId,
        mediaPath: media.path,
        mediaName: media.name,
        utteranceId: r.id,
        index: r.index,
        start: r.start,
        end: r.end,
        source: r.source,
        boundsProvenance: rec.bounds_prov,
        transcript: r.transcript,
        transcriptProvenance: r.transcriptProvenance,
        emotion,
        emotionProvenance,
        emotionPrediction:
          pe && pe.label != null
            ? {
                label: pe.label,
                probabilities: pe.probabilities
                  ? (JSON.parse(pe.probabilities) as Record<string, number>)
                  : {},
                modelVersion: pe.model_version,
                createdAt: new Date(pe.created_at).toISOString(),
              }
            : null,
        translation,
        translationProvenance,
        translationPrediction:
          pt && pt.translation != null
            ? {
                text: pt.translation,
                modelVersion: pt.model_version,
                createdAt: new Date(pt.created_at).toISOString(),
              }
            : null,
        corrections: meta.get(r.id) ?? {},
        corrected,
      })
    }
    return out
  }
}
