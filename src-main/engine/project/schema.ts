/**
 * The project file's schema and its migrations. Owns: the ordered list of migrations, the schema
 * version stamp (PRAGMA user_version), the application id that marks a SQLite file as a Fusion
 * Workstation project, and the pre-flight check that refuses newer or damaged files WITHOUT
 * modifying them (it opens them read-only).
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs'
import Database from 'better-sqlite3'
import { repairV1Translations } from './schema-v3'

/** 'FWS1' as a big-endian int: PRAGMA application_id of every project file. */
export const APPLICATION_ID = 0x46575331
/** The schema version this build writes. Bump by appending to MIGRATIONS. */
export const SCHEMA_VERSION = 3

/** Errors about the project file itself (not found, newer, damaged, not a project). */
export class ProjectFileError extends Error {
  override name = 'ProjectFileError'
  constructor(
    message: string,
    readonly code: 'not-found' | 'exists' | 'newer' | 'damaged' | 'not-a-project' | 'locked' | 'unwritable',
  ) {
    super(message)
  }
}

/**
 * Migration i brings the schema from version i to i+1. Times are integer milliseconds (exact to
 * the ms, no float drift through edits and exports); wall-clock stamps are epoch milliseconds.
 */
const MIGRATIONS: (string | ((db: Database.Database) => void))[] = [
  /* 0 → 1 */ `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE media (
    id          TEXT PRIMARY KEY,
    abs_path    TEXT NOT NULL,
    rel_path    TEXT,                -- relative to the project file's folder when it can be expressed so
    name        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    size_bytes  INTEGER NOT NULL,
    duration_sec REAL NOT NULL,
    has_audio   INTEGER NOT NULL,
    has_video   INTEGER NOT NULL,
    probe_json  TEXT NOT NULL,
    added_at    INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX media_sha ON media(sha256);
  CREATE TABLE utterances (
    id               TEXT PRIMARY KEY,
    media_id         TEXT NOT NULL REFERENCES media(id),
    start_ms         INTEGER NOT NULL,
    end_ms           INTEGER NOT NULL CHECK (end_ms > start_ms),
    bounds_prov      TEXT NOT NULL,
    transcript       TEXT NOT NULL,
    transcript_prov  TEXT NOT NULL,
    emotion          TEXT,            -- the human-confirmed label (corrected or accepted); NULL = use the prediction
    emotion_prov     TEXT,
    translation      TEXT,            -- the human-confirmed translation; NULL = use the prediction
    translation_prov TEXT,
    source           TEXT NOT NULL,
    created_at       INTEGER NOT NULL
  );
  CREATE INDEX utterances_media ON utterances(media_id, start_ms);
  CREATE TABLE predictions (
    id            INTEGER PRIMARY KEY,
    utterance_id  TEXT NOT NULL,      -- no FK: predictions survive an undone merge/split and come back with it
    task          TEXT NOT NULL CHECK (task IN ('emotion', 'translation')),
    model_version TEXT NOT NULL,
    label         TEXT,
    probabilities TEXT,               -- JSON object label → probability (emotion)
    translation   TEXT,
    created_at    INTEGER NOT NULL,
    UNIQUE (utterance_id, task, model_version)
  );
  CREATE TABLE history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    edit        TEXT NOT NULL,        -- JSON of the request that made the change
    before_rows TEXT NOT NULL,        -- JSON: the affected utterance rows before (absent = created)
    after_rows  TEXT NOT NULL,        -- JSON: the affected utterance rows after (absent = removed)
    state       TEXT NOT NULL CHECK (state IN ('done', 'undone', 'discarded')),
    annotator   TEXT NOT NULL,
    created_at  INTEGER NOT NULL
  );
  CREATE INDEX history_state ON history(state, id);
  CREATE TABLE corrections (
    id            INTEGER PRIMARY KEY,
    history_id    INTEGER NOT NULL REFERENCES history(id),
    utterance_id  TEXT NOT NULL,
    field         TEXT NOT NULL CHECK (field IN ('emotion', 'transcript', 'translation', 'bounds', 'split', 'merge', 'segmentation')),
    previous      TEXT,               -- JSON of the value before
    value         TEXT,               -- JSON of the value after
    previous_provenance TEXT,
    provenance    TEXT NOT NULL,      -- corrected | accepted | imported
    annotator     TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    undone        INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX corrections_utt ON corrections(utterance_id, id);
  `,
  // 1 → 2: an emotion model that ran but had no evidence (none of its trained modalities present)
  // records why, with no label and no probabilities.
  `
  ALTER TABLE predictions ADD COLUMN no_evidence TEXT;
  `,
  /* 2 → 3: review state per field (older files' unreviewed "human" translations go back to the
     model, see schema-v3.ts), and media identity = content hash + segmentation source (seg_key, see
     media-identity.ts), so two files with the same bytes but different sidecar subtitles are two
     entries. Entries of an older file have seg_key NULL (source not recorded) and keep matching their
     content. */
  (db) => {
    db.exec(`
      ALTER TABLE media ADD COLUMN seg_key TEXT;
      DROP INDEX media_sha;
      CREATE UNIQUE INDEX media_identity ON media(sha256, seg_key);
      CREATE INDEX media_sha ON media(sha256);
    `)
    repairV1Translations(db)
  },
]

/** Refuses a file whose first 16 bytes (`head`) are not an SQLite database header. */
export function checkProjectHeader(file: string, head: Uint8Array): void {
  if (head.length < 16 || Buffer.from(head).toString('latin1', 0, 16) !== 'SQLite format 3\0')
    throw new ProjectFileError(
      `${file} is not a Fusion Workstation project (not an SQLite database, or its header is damaged)`,
      'damaged',
    )
}

/** Checks a file is a readable, intact project of a version this build can open. Never writes. */
export function preflight(file: string): { version: number } {
  if (!existsSync(file)) throw new ProjectFileError(`project file not found: ${file}`, 'not-found')
  if (!statSync(file).isFile()) throw new ProjectFileError(`not a file: ${file}`, 'not-a-project')
  const head = Buffer.alloc(16)
  const fd = openSync(file, 'r')
  let n: number
  try {
    n = readSync(fd, head, 0, 16, 0)
  } finally {
    closeSync(fd)
  }
  checkProjectHeader(file, head.subarray(0, n))
  let db: Database.Database | null = null
  try {
    db = new Database(file, { readonly: true, fileMustExist: true })
    const appId = db.pragma('application_id', { simple: true }) as number
    const version = db.pragma('user_version', { simple: true }) as number
    if (appId !== APPLICATION_ID)
      throw new ProjectFileError(
        `${file} is an SQLite database but not a Fusion Workstation project (application_id ${appId})`,
        'not-a-project',
      )
    if (version > SCHEMA_VERSION)
      throw new ProjectFileError(
        `${file} was written by a newer Fusion Workstation (project schema ${version}; this build reads up to ${SCHEMA_VERSION}). Nothing was changed; open it with a newer version.`,
        'newer',
      )
    const check = db.pragma('quick_check', { simple: true }) as string
    if (check !== 'ok')
      throw new ProjectFileError(
        `${file} is damaged (SQLite quick_check: ${check}). Nothing was changed.`,
        'damaged',
      )
    return { version }
  } catch (err) {
    if (err instanceof ProjectFileError) throw err
    const msg = (err as Error).message
    if (/locked|busy/i.test(msg))
      throw new ProjectFileError(`${file} is locked by another process: ${msg}`, 'locked')
    throw new ProjectFileError(`${file} is damaged or unreadable: ${msg}. Nothing was changed.`, 'damaged')
  } finally {
    db?.close()
  }
}

/** Applies every migration above the file's version, each in its own transaction. */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number
  for (let v = current; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      const m = MIGRATIONS[v]
      if (typeof m === 'string') db.exec(m)
      else m(db)
      // PRAGMAs inside a transaction are part of it: the version moves only with the schema.
      db.pragma(`user_version = ${v + 1}`)
      if (v === 0) db.pragma(`application_id = ${APPLICATION_ID}`)
    })()
  }
}
