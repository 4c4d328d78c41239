/** Turns a project file of the current schema back into a version-1 file, for the migration tests. */
import type Database from 'better-sqlite3'

export function makeSchemaV1(db: Database.Database): void {
  db.exec(`
    ALTER TABLE predictions DROP COLUMN no_evidence;
    DROP INDEX media_identity; DROP INDEX media_sha;
    ALTER TABLE media DROP COLUMN seg_key;
    CREATE UNIQUE INDEX media_sha ON media(sha256);
  `)
  db.pragma('user_version = 1')
}
