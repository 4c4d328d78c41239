/**
 * The undo/redo history and the correction log. Every edit stores the affected rows before and
 * after; undo restores the before rows, redo the after rows, one change at a time; a new edit
 * after undo discards the redo branch (kept in the file as 'discarded' for the audit trail).
 * Each change's corrections follow its state. Callers run these inside a write transaction.
 */
import type Database from 'better-sqlite3'
import type { Edit, EditResult, UtteranceRow } from './types'
import { EditError, planEdit, type CorrectionDraft, type EditContext, type EditPlan } from './edits'
import { toMs, type MediaRecord, type UttRecord } from './rows'
import { newId } from './connection'
import {
  getUtt,
  getUtterance,
  latestPredictions,
  normaliseSegments,
  orderedRecords,
  segmentRow,
  swapRows,
  type NewUtterance,
} from './utterance-table'

/** One entry of the live correction log. */
export interface CorrectionEntry {
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
}

export class History {
  constructor(
    private readonly db: Database.Database,
    private readonly annotator: string,
  ) {}

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
      get: (id) => getUtt(this.db, id),
      next: (r) =>
        this.db
          .prepare(
            `SELECT * FROM utterances WHERE media_id = ? AND id <> ? AND
               (start_ms > ? OR (start_ms = ? AND end_ms > ?) OR (start_ms = ? AND end_ms = ? AND id > ?))
             ORDER BY start_ms, end_ms, id LIMIT 1`,
          )
          .get(r.media_id, r.id, r.start_ms, r.start_ms, r.end_ms, r.start_ms, r.end_ms, r.id) as
          UttRecord | undefined,
      predictions: (id) => latestPredictions(this.db, [id]).get(id) ?? { emotion: null, translation: null },
      mediaDurationMs: (mediaId) => {
        const m = this.db.prepare('SELECT duration_sec FROM media WHERE id = ?').get(mediaId) as
          { duration_sec: number } | undefined
        return m ? toMs(m.duration_sec) : 0
      },
      newUtteranceId: () => newId('u_', 8),
      now: Date.now(),
    }
  }

  private commitPlan(kind: string, edit: unknown, plan: EditPlan): number {
    const now = Date.now()
    // A new change after undo ends the redo branch (kept in the file as 'discarded' for the audit trail).
    this.db.prepare("UPDATE history SET state = 'discarded' WHERE state = 'undone'").run()
    swapRows(this.db, plan.before, plan.after)
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
    const changed = changedIds
      .map((id) => getUtterance(this.db, id))
      .filter((r): r is UtteranceRow => r != null)
    return { changed, removed, canUndo: this.canUndo(), canRedo: this.canRedo(), historyId }
  }

  /** Applies one correction. An edit that would change nothing records nothing (current history id). */
  applyEdit(edit: Edit): EditResult {
    const plan = planEdit(edit, this.editContext())
    if (!plan) return this.result([edit.utteranceId], [], this.lastHistoryId())
    const hid = this.commitPlan(edit.kind, edit, plan)
    const afterIds = new Set(plan.after.map((r) => r.id))
    return this.result(
      plan.after.map((r) => r.id),
      plan.before.filter((r) => !afterIds.has(r.id)).map((r) => r.id),
      hid,
    )
  }

  /** Replaces the segmentation of one media item as ONE undoable change. */
  replaceSegmentation(mediaId: string, segments: NewUtterance[]): EditResult {
    const m = this.db.prepare('SELECT * FROM media WHERE id = ?').get(mediaId) as MediaRecord | undefined
    if (!m) throw new EditError(`no media with id "${mediaId}" in this project`)
    const norm = normaliseSegments(segments, m.duration_sec)
    if (!norm.length) throw new EditError('the imported segmentation has no utterance inside the media')
    const before = orderedRecords(this.db, mediaId)
    const now = Date.now()
    const after = norm.map((u) => segmentRow(mediaId, u, 'imported', now))
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
  }

  /**
   * Undo: the newest 'done' history entry's rows go back to their before-state. Redo: the oldest
   * 'undone' entry's rows go forward to their after-state. Its corrections follow its state.
   * Null when there is nothing to undo/redo.
   */
  replay(direction: 'undo' | 'redo'): EditResult | null {
    const undo = direction === 'undo'
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
    swapRows(this.db, from, to)
    this.db.prepare('UPDATE history SET state = ? WHERE id = ?').run(undo ? 'undone' : 'done', h.id)
    this.db.prepare('UPDATE corrections SET undone = ? WHERE history_id = ?').run(undo ? 1 : 0, h.id)
    const present = new Set(to.map((r) => r.id))
    return this.result(
      to.map((r) => r.id),
      from.filter((r) => !present.has(r.id)).map((r) => r.id),
      h.id,
    )
  }

  /** The live correction log (undone entries excluded), oldest first. */
  corrections(): CorrectionEntry[] {
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
}
