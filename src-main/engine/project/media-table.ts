/**
 * Reads and writes of the media table: where a media file is now (relative to the project when it
 * moved with it), lookups by id and by content + segmentation source, recording a new media item
 * with its initial utterances, and relinking a moved file.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import type Database from 'better-sqlite3'
import type { MediaInfo } from './types'
import { toMediaInfo, type MediaRecord } from './rows'
import { newId } from './connection'
import { insertUtt, normaliseSegments, segmentRow, type NewUtterance } from './utterance-table'
import { UnknownIdError } from '../core/unknown-id'

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

/** The media table of one project file; `dir` is the project's folder (relative paths start there). */
export class MediaTable {
  constructor(
    private readonly db: Database.Database,
    private readonly dir: string,
  ) {}

  /** Where a media file is now: relative to the project (if it moved with it) or its absolute path. */
  private resolvePath(m: MediaRecord): string {
    if (m.rel_path != null) {
      const rel = path.resolve(this.dir, m.rel_path)
      if (existsSync(rel)) return rel
    }
    return m.abs_path
  }

  /** The path relative to the project when it is one (same drive on Windows), else null. */
  private relativePath(absPath: string): string | null {
    const relRaw = path.relative(this.dir, absPath)
    // '..' segments are fine for a sibling folder.
    return path.isAbsolute(relRaw) ? null : relRaw.split(path.sep).join('/')
  }

  private record(id: string): MediaRecord | undefined {
    return this.db.prepare('SELECT * FROM media WHERE id = ?').get(id) as MediaRecord | undefined
  }

  private info(m: MediaRecord): MediaInfo {
    const n = (
      this.db.prepare('SELECT count(*) AS n FROM utterances WHERE media_id = ?').get(m.id) as { n: number }
    ).n
    return toMediaInfo(m, this.resolvePath(m), n)
  }

  /**
   * The entry for this content and segmentation source. An entry from a version-1 project (whose
   * source was not recorded: seg_key NULL) matches any source of the same content.
   */
  find(sha256: string, segKey = ''): MediaInfo | null {
    const m = this.db
      .prepare(
        'SELECT * FROM media WHERE sha256 = ? AND (seg_key = ? OR seg_key IS NULL) ORDER BY seg_key IS NULL',
      )
      .get(sha256, segKey) as MediaRecord | undefined
    return m ? this.info(m) : null
  }

  get(id: string): MediaInfo | null {
    const m = this.record(id)
    return m ? this.info(m) : null
  }

  list(): MediaInfo[] {
    const rows = this.db.prepare('SELECT * FROM media ORDER BY added_at, id').all() as MediaRecord[]
    return rows.map((m) => this.info(m))
  }

  /** Absolute path of a media file of this project, or null when the id is unknown. */
  file(mediaId: string): string | null {
    const m = this.record(mediaId)
    return m ? this.resolvePath(m) : null
  }

  /** The stored probe result and content hash of a media item (for feature caching by hash). */
  details(mediaId: string): { sha256: string; probe: unknown; path: string } | null {
    const m = this.record(mediaId)
    return m ? { sha256: m.sha256, probe: JSON.parse(m.probe_json), path: this.resolvePath(m) } : null
  }

  /** Inserts the media row and its initial utterances; the caller runs this inside a write transaction. */
  insert(media: NewMedia, utterances: NewUtterance[]): string {
    const id = newId('m_', 6)
    const now = Date.now()
    this.db
      .prepare(
        `INSERT INTO media(id, abs_path, rel_path, name, sha256, seg_key, size_bytes, duration_sec, has_audio, has_video, probe_json, added_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        media.absPath,
        this.relativePath(media.absPath),
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
    for (const u of normaliseSegments(utterances, media.durationSec))
      insertUtt(this.db, segmentRow(id, u, u.prov, now))
    return id
  }

  /** Records a new location of a media file, relative to the project when it can be. */
  relink(mediaId: string, absPath: string): MediaInfo {
    const r = this.db
      .prepare('UPDATE media SET abs_path = ?, rel_path = ? WHERE id = ?')
      .run(absPath, this.relativePath(absPath), mediaId)
    if (r.changes === 0) throw new UnknownIdError(`media "${mediaId}" is not in this project`)
    return this.get(mediaId)!
  }
}
