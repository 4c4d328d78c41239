/**
 * Reads and writes of the utterances table and the latest predictions per utterance: rows in
 * media order with their index, single rows, inserts and deletes, and the normalisation of
 * incoming segments (ms rounding, clamping to the media, sorting).
 */
import type Database from 'better-sqlite3'
import type { UtteranceRow } from './types'
import { EditError } from './edits'
import { newId } from './connection'
import {
  toMs,
  toUtteranceRow,
  UTT_COLUMNS,
  type LatestPredictions,
  type PredictionRecord,
  type UttRecord,
} from './rows'

/** An utterance from segmentation or an imported subtitle file. */
export interface NewUtterance {
  start: number
  end: number
  text: string
  /** Where the cut came from: 'subtitles:file.srt', 'vad', 'eaf:…' etc. */
  source: string
}

export function getUtt(db: Database.Database, id: string): UttRecord | undefined {
  return db.prepare('SELECT * FROM utterances WHERE id = ?').get(id) as UttRecord | undefined
}

export function insertUtt(db: Database.Database, r: UttRecord): void {
  db.prepare(
    `INSERT INTO utterances(${UTT_COLUMNS.join(', ')}) VALUES (${UTT_COLUMNS.map(() => '?').join(', ')})`,
  ).run(...UTT_COLUMNS.map((c) => r[c]))
}

export function deleteUtt(db: Database.Database, id: string): void {
  db.prepare('DELETE FROM utterances WHERE id = ?').run(id)
}

/** Replaces `remove` rows by `insert` rows (by id). */
export function swapRows(db: Database.Database, remove: UttRecord[], insert: UttRecord[]): void {
  for (const r of remove) deleteUtt(db, r.id)
  for (const r of insert) insertUtt(db, r)
}

/** The stored rows (of one media or all), in media order: by media, start, end, id. */
export function orderedRecords(db: Database.Database, mediaId?: string): UttRecord[] {
  const sql = 'SELECT * FROM utterances' + (mediaId ? ' WHERE media_id = ?' : '')
  const rows = (mediaId ? db.prepare(sql).all(mediaId) : db.prepare(sql).all()) as UttRecord[]
  return rows.sort(
    (a, b) =>
      a.media_id.localeCompare(b.media_id) ||
      a.start_ms - b.start_ms ||
      a.end_ms - b.end_ms ||
      a.id.localeCompare(b.id),
  )
}

/** The newest prediction per task of each utterance (of `ids`, or of all). */
export function latestPredictions(db: Database.Database, ids?: string[]): Map<string, LatestPredictions> {
  const map = new Map<string, LatestPredictions>()
  let rows: PredictionRecord[]
  if (ids && ids.length <= 500) {
    rows = ids.length
      ? (db
          .prepare(
            `SELECT * FROM predictions WHERE utterance_id IN (${ids.map(() => '?').join(',')}) ORDER BY created_at, id`,
          )
          .all(...ids) as PredictionRecord[])
      : []
  } else {
    rows = db.prepare('SELECT * FROM predictions ORDER BY created_at, id').all() as PredictionRecord[]
  }
  for (const p of rows) {
    const e = map.get(p.utterance_id) ?? { emotion: null, translation: null }
    e[p.task] = p // later rows (newer) overwrite earlier ones
    map.set(p.utterance_id, e)
  }
  return map
}

function indexOf(db: Database.Database, r: UttRecord): number {
  return (
    db
      .prepare(
        `SELECT count(*) AS n FROM utterances WHERE media_id = ? AND
           (start_ms < ? OR (start_ms = ? AND end_ms < ?) OR (start_ms = ? AND end_ms = ? AND id < ?))`,
      )
      .get(r.media_id, r.start_ms, r.start_ms, r.end_ms, r.start_ms, r.end_ms, r.id) as { n: number }
  ).n
}

/** Utterances in media order (by start), with their effective values and latest predictions. */
export function listUtterances(db: Database.Database, mediaId?: string): UtteranceRow[] {
  if (mediaId && !db.prepare('SELECT 1 FROM media WHERE id = ?').get(mediaId))
    throw new EditError(`no media with id "${mediaId}" in this project`)
  const recs = orderedRecords(db, mediaId)
  const preds = latestPredictions(db, mediaId ? recs.map((r) => r.id) : undefined)
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

export function getUtterance(db: Database.Database, id: string): UtteranceRow | null {
  const r = getUtt(db, id)
  if (!r) return null
  return toUtteranceRow(
    r,
    indexOf(db, r),
    latestPredictions(db, [id]).get(id) ?? { emotion: null, translation: null },
  )
}

/** A segment as normaliseSegments gives it: ms bounds inside the media, its text's provenance. */
export interface NormalisedSegment {
  start_ms: number
  end_ms: number
  text: string
  source: string
  prov: string
}

/** Sorts, rounds to ms, clamps to the media and drops empty segments. */
export function normaliseSegments(segs: NewUtterance[], durationSec: number): NormalisedSegment[] {
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

/**
 * The row of a new utterance for a normalised segment: a new id, bounds and transcript with
 * provenance `prov`, no emotion or translation yet.
 */
export function segmentRow(mediaId: string, seg: NormalisedSegment, prov: string, now: number): UttRecord {
  return {
    id: newId('u_', 8),
    media_id: mediaId,
    start_ms: seg.start_ms,
    end_ms: seg.end_ms,
    bounds_prov: prov,
    transcript: seg.text,
    transcript_prov: prov,
    emotion: null,
    emotion_prov: null,
    translation: null,
    translation_prov: null,
    source: seg.source,
    created_at: now,
  }
}
