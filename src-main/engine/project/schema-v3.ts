/**
 * The data half of migration 2 → 3 (review state per field): version 1 stored translations as
 * human data that no human had reviewed as translations. Owns finding them, in the live rows and
 * in the undo history's row snapshots (so an undo/redo cannot bring them back), and returning them
 * to "no human value" (the model's prediction, if any, shows again as 'model'):
 *   - 'accepted' translations: v1's accept (Enter) confirmed the emotion and the machine
 *     translation at once; its log entries for the translation are removed;
 *   - a 'corrected' translation a v1 merge joined from a part that was not typed by a human;
 *   - a 'corrected' translation a v1 split left whole on the first half.
 * Translations a human typed are untouched. A value is recognised by utterance id and exact text
 * in the rows that descend from the tainting change (a user who retyped the identical text after
 * it is indistinguishable and is treated the same).
 */
import type Database from 'better-sqlite3'

interface Snap {
  id: string
  translation: string | null
  translation_prov: string | null
}
interface HistoryRow {
  id: number
  kind: string
  state: string
  before_rows: string
  after_rows: string
}

export function repairV1Translations(db: Database.Database): void {
  const history = db
    .prepare('SELECT id, kind, state, before_rows, after_rows FROM history ORDER BY id')
    .all() as HistoryRow[]
  // Tainting merges/splits still in effect or redoable ('discarded' ones never come back), by utterance id.
  const tainted = new Map<string, { text: string; from: number; live: boolean }>()
  for (const h of history) {
    if (h.state === 'discarded') continue
    const before = JSON.parse(h.before_rows) as Snap[]
    const after = JSON.parse(h.after_rows) as Snap[]
    let row: Snap | undefined
    if (h.kind === 'merge' && after.length === 1 && after[0].translation_prov === 'corrected')
      row = before.some((b) => b.translation_prov !== 'corrected') ? after[0] : undefined
    if (h.kind === 'split' && after.length === 2) {
      const kept = after.find((a) => before.some((b) => b.id === a.id))
      row = kept?.translation_prov === 'corrected' ? kept : undefined
    }
    if (row?.translation != null)
      tainted.set(row.id, { text: row.translation, from: h.id, live: h.state === 'done' })
  }
  /** Not a reviewed translation: clear it. `at` = history id of the snapshot (Infinity = live row). */
  const notGold = (r: Snap, at: number, side: 'before' | 'after'): boolean => {
    if (r.translation_prov === 'accepted') return true
    const t = tainted.get(r.id)
    if (!t || r.translation_prov !== 'corrected' || r.translation !== t.text) return false
    if (at === Infinity) return t.live
    return at > t.from || (at === t.from && side === 'after')
  }
  const clean = (json: string, at: number, side: 'before' | 'after') => {
    const rows = JSON.parse(json) as Snap[]
    let changed = false
    for (const r of rows)
      if (notGold(r, at, side)) {
        r.translation = null
        r.translation_prov = null
        changed = true
      }
    return changed ? JSON.stringify(rows) : null
  }
  const updateHistory = db.prepare('UPDATE history SET before_rows = ?, after_rows = ? WHERE id = ?')
  for (const h of history) {
    const b = clean(h.before_rows, h.id, 'before')
    const a = clean(h.after_rows, h.id, 'after')
    if (b != null || a != null) updateHistory.run(b ?? h.before_rows, a ?? h.after_rows, h.id)
  }
  const clear = db.prepare('UPDATE utterances SET translation = NULL, translation_prov = NULL WHERE id = ?')
  for (const r of db
    .prepare(
      "SELECT id, translation, translation_prov FROM utterances WHERE translation_prov IN ('accepted', 'corrected')",
    )
    .all() as Snap[])
    if (notGold(r, Infinity, 'after')) clear.run(r.id)
  db.exec("DELETE FROM corrections WHERE field = 'translation' AND provenance = 'accepted'")
}
