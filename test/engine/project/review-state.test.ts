/**
 * Review state per field: a model value becomes human data only by an explicit action on that
 * field; split and merge make new utterances without the stale predictions of the old ones; a
 * correction export carries only human-set fields as gold; a version-1 project's translations
 * that the old combined accept marked 'accepted' go back to 'model' on opening.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { exportProject } from '../../../src-main/engine/exchange/export'
import { ProjectStore } from '../../../src-main/engine/project/store'
import { SCHEMA_VERSION } from '../../../src-main/engine/project/schema'
import { makeSchemaV1 } from './schema-v1'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-review-state-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
let n = 0

/** Three utterances with emotion and translation predictions on all of them. */
function seeded() {
  const file = path.join(tmp, `p${++n}.fwsproj`)
  const store = ProjectStore.create(file, { annotator: 'ann' })
  const media = store.addMedia(
    {
      absPath: path.join(tmp, 'clip.mp4'),
      sha256: `sha-${n}`,
      sizeBytes: 1,
      durationSec: 20,
      hasAudio: true,
      hasVideo: true,
      probe: {},
    },
    [
      { start: 0, end: 2, text: 'one two three four', source: 'srt:clip.srt' },
      { start: 3, end: 5, text: 'five six', source: 'srt:clip.srt' },
      { start: 6, end: 8, text: 'seven', source: 'srt:clip.srt' },
    ],
  )
  const utts = store.listUtterances(media.id)
  store.writePredictions(
    utts.flatMap((u, i) => [
      {
        utteranceId: u.id,
        task: 'emotion' as const,
        modelVersion: 'emo-1',
        probabilities: { joy: 0.7 - i * 0.1, neutral: 0.3 + i * 0.1 },
      },
      { utteranceId: u.id, task: 'translation' as const, modelVersion: 'tr-1', translation: `MT ${i}` },
    ]),
  )
  return { store, media, file, utts: store.listUtterances(media.id) }
}

describe('review state per field', () => {
  it('accepting the emotion leaves the translation model; the translation has its own accept', () => {
    const { store, utts } = seeded()
    store.applyEdit({ kind: 'accept', utteranceId: utts[0].id })
    expect(store.getUtterance(utts[0].id)).toMatchObject({
      emotion: 'joy',
      emotionProvenance: 'accepted',
      translation: 'MT 0',
      translationProvenance: 'model',
      transcriptProvenance: 'imported',
    })
    store.applyEdit({ kind: 'accept', utteranceId: utts[1].id, field: 'translation' })
    expect(store.getUtterance(utts[1].id)).toMatchObject({
      emotionProvenance: 'model',
      translationProvenance: 'accepted',
    })
    store.close()
  })

  it('--only-corrected exports carry only human-set emotion and translation values', async () => {
    const { store, utts } = seeded()
    store.applyEdit({ kind: 'accept', utteranceId: utts[0].id }) // emotion accepted, translation not
    store.applyEdit({ kind: 'translation', utteranceId: utts[1].id, text: 'human words' })
    const jsonl = path.join(tmp, `gold${n}.jsonl`)
    await exportProject(store, { format: 'jsonl', out: jsonl, onlyCorrected: true })
    const recs = readFileSync(jsonl, 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) => JSON.parse(l) as Record<string, { value: unknown; provenance: unknown; prediction?: unknown }>,
      )
    expect(recs).toHaveLength(2) // the untouched third utterance is not in a correction export
    expect(recs[0].emotion).toMatchObject({ value: 'joy', provenance: 'accepted' })
    // The unreviewed MT is not gold: no value, no provenance, only the labelled prediction.
    expect(recs[0].translation).toMatchObject({ value: null, provenance: null, prediction: { text: 'MT 0' } })
    expect(recs[1].emotion).toMatchObject({ value: null, provenance: null })
    expect(recs[1].translation).toMatchObject({ value: 'human words', provenance: 'corrected' })
    for (const r of recs)
      for (const f of ['emotion', 'translation'])
        if (r[f].value != null) expect(['accepted', 'corrected']).toContain(r[f].provenance)

    // Corpus (training data): labels only from human-set fields.
    const corpus = path.join(tmp, `corpus${n}`)
    await exportProject(store, { format: 'corpus', out: corpus, onlyCorrected: true })
    const lines = readFileSync(path.join(corpus, 'utterances.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { labels: Record<string, string>; provenance: Record<string, string> })
    expect(lines.map((l) => l.labels)).toEqual([{ emotion: 'joy' }, { translation: 'human words' }])
    // SRT of translations: only the human one.
    const srt = path.join(tmp, `gold${n}.srt`)
    await exportProject(store, { format: 'srt', out: srt, onlyCorrected: true, text: 'translation' })
    expect(readFileSync(srt, 'utf8')).toBe('1\n00:00:03,000 --> 00:00:05,000\nhuman words\n')
    // Without the filter, the model values are there, marked model.
    const all = path.join(tmp, `all${n}.jsonl`)
    await exportProject(store, { format: 'jsonl', out: all })
    const first = JSON.parse(readFileSync(all, 'utf8').split('\n')[0]) as Record<
      string,
      { value: unknown; provenance: unknown }
    >
    expect(first.translation).toMatchObject({ value: 'MT 0', provenance: 'model' })
    store.close()
  })

  it('split: both halves are new utterances with no stale prediction; undo brings the predictions back', () => {
    const { store, utts } = seeded()
    store.applyEdit({ kind: 'label', utteranceId: utts[0].id, emotion: 'anger' })
    store.applyEdit({ kind: 'translation', utteranceId: utts[0].id, text: 'whole translation' })
    const r = store.applyEdit({ kind: 'split', utteranceId: utts[0].id, at: 1 })
    expect(r.removed).toEqual([utts[0].id])
    expect(r.changed).toHaveLength(2)
    for (const half of r.changed) {
      expect(half.id).not.toBe(utts[0].id)
      expect(half.prediction).toBeNull() // needs inference
      expect(half.translation).toBeNull() // a translation cannot be cut at a time point
      expect(half.translationProvenance).toBeNull()
      expect(half).toMatchObject({ emotion: 'anger', emotionProvenance: 'corrected' }) // the human label holds
    }
    // Each piece's bounds carry who cut it into an export.
    const log = store.corrections().filter((c) => c.field === 'split')
    expect(log.map((c) => c.utteranceId).sort()).toEqual(r.changed.map((c) => c.id).sort())
    expect(log.every((c) => (c.previous as { id: string }).id === utts[0].id && c.annotator === 'ann')).toBe(
      true,
    )
    store.undo()
    expect(store.getUtterance(utts[0].id)).toMatchObject({
      translation: 'whole translation',
      prediction: { label: 'joy' },
    })
    store.close()
  })

  it('merge: the merged utterance has no stale prediction and no half-human translation', () => {
    const { store, utts } = seeded()
    store.applyEdit({ kind: 'translation', utteranceId: utts[0].id, text: 'first, by a human' })
    store.applyEdit({ kind: 'accept', utteranceId: utts[1].id })
    const r = store.applyEdit({ kind: 'merge', utteranceId: utts[0].id, withNextId: utts[1].id })
    expect(r.removed.sort()).toEqual([utts[0].id, utts[1].id].sort())
    const [m] = r.changed
    expect(m).toMatchObject({
      start: 0,
      end: 5,
      transcript: 'one two three four five six',
      transcriptProvenance: 'imported',
      prediction: null,
      // the second half's translation was machine-made: the whole is not gold
      translation: null,
      translationProvenance: null,
      // one human label, none contradicting it
      emotion: 'joy',
      emotionProvenance: 'accepted',
    })
    store.close()
  })

  it('a version-1 project: translations accepted by the old combined accept go back to model', () => {
    const { store, utts, file } = seeded()
    store.applyEdit({ kind: 'accept', utteranceId: utts[0].id })
    store.applyEdit({ kind: 'translation', utteranceId: utts[1].id, text: 'typed by a human' })
    store.close()
    // What version 1 wrote for Enter: the translation accepted too, in the row, history and log.
    const db = new Database(file)
    db.prepare("UPDATE utterances SET translation = 'MT 0', translation_prov = 'accepted' WHERE id = ?").run(
      utts[0].id,
    )
    const h = db.prepare("SELECT id, after_rows FROM history WHERE kind = 'accept'").get() as {
      id: number
      after_rows: string
    }
    const after = JSON.parse(h.after_rows) as Record<string, unknown>[]
    after[0].translation = 'MT 0'
    after[0].translation_prov = 'accepted'
    db.prepare('UPDATE history SET after_rows = ? WHERE id = ?').run(JSON.stringify(after), h.id)
    db.prepare(
      `INSERT INTO corrections(history_id, utterance_id, field, previous, value, previous_provenance, provenance, annotator, created_at)
       VALUES (?, ?, 'translation', '"MT 0"', '"MT 0"', 'model', 'accepted', 'ann', 0)`,
    ).run(h.id, utts[0].id)
    // …and version 1's tables (no segmentation source, content hash unique; no "no evidence").
    makeSchemaV1(db)
    db.close()

    const again = ProjectStore.open(file)
    expect(again.info().schemaVersion).toBe(SCHEMA_VERSION)
    expect(again.getUtterance(utts[0].id)).toMatchObject({
      emotionProvenance: 'accepted',
      translation: 'MT 0', // still shown: it is the model's prediction
      translationProvenance: 'model',
    })
    expect(again.getUtterance(utts[1].id)).toMatchObject({ translationProvenance: 'corrected' })
    expect(
      again
        .corrections()
        .filter((c) => c.field === 'translation')
        .map((c) => c.provenance),
    ).toEqual(['corrected'])
    // Undo and redo cannot bring the false acceptance back.
    again.undo()
    again.undo()
    again.redo()
    expect(again.getUtterance(utts[0].id)).toMatchObject({ translationProvenance: 'model' })
    // The v1 media entry (segmentation source not recorded) still matches its content.
    const [m] = again.listMedia()
    expect(again.findMedia(`sha-${n}`, 'subs:whatever')?.id).toBe(m.id)
    again.close()
  })

  it('a version-1 project: merged or split translations that were not typed whole by a human go back too', () => {
    const { store, utts, file } = seeded()
    store.applyEdit({ kind: 'translation', utteranceId: utts[0].id, text: 'typed whole' })
    store.applyEdit({ kind: 'translation', utteranceId: utts[1].id, text: 'typed too' })
    const split = store.applyEdit({ kind: 'split', utteranceId: utts[0].id, at: 1 })
    const merge = store.applyEdit({ kind: 'merge', utteranceId: utts[1].id, withNextId: utts[2].id })
    store.close()
    // What version 1 wrote: the split's first half kept the whole translation as 'corrected'; the
    // merge joined the typed translation with the third row's machine one and called it 'corrected'.
    const db = new Database(file)
    const v1 = (hid: number, id: string, text: string) => {
      db.prepare("UPDATE utterances SET translation = ?, translation_prov = 'corrected' WHERE id = ?").run(
        text,
        id,
      )
      const h = db.prepare('SELECT after_rows FROM history WHERE id = ?').get(hid) as { after_rows: string }
      const after = JSON.parse(h.after_rows) as Record<string, unknown>[]
      Object.assign(
        after.find((r) => r.id === id)!,
        { translation: text, translation_prov: 'corrected' },
      )
      db.prepare('UPDATE history SET after_rows = ? WHERE id = ?').run(JSON.stringify(after), hid)
    }
    // Version 1's split kept the original id on the first half.
    const newId = split.changed.find((r) => r.start === 0)!.id
    const firstHalf = utts[0].id
    db.prepare('UPDATE utterances SET id = ? WHERE id = ?').run(firstHalf, newId)
    const sh = db.prepare('SELECT after_rows FROM history WHERE id = ?').get(split.historyId) as {
      after_rows: string
    }
    db.prepare('UPDATE history SET after_rows = ? WHERE id = ?').run(
      sh.after_rows.replace(newId, firstHalf),
      split.historyId,
    )
    v1(split.historyId, firstHalf, 'typed whole')
    v1(merge.historyId, merge.changed[0].id, 'typed too MT 2')
    makeSchemaV1(db)
    db.close()

    const again = ProjectStore.open(file)
    // Not gold any more (v1's half kept the whole's id, so the whole's machine output shows, as 'model').
    expect(again.getUtterance(firstHalf)).toMatchObject({
      translation: 'MT 0',
      translationProvenance: 'model',
    })
    expect(again.getUtterance(merge.changed[0].id)).toMatchObject({
      translation: null,
      translationProvenance: null,
    })
    // Undo brings back what a human really typed, on the rows they typed it for.
    again.undo()
    expect(again.getUtterance(utts[1].id)).toMatchObject({
      translation: 'typed too',
      translationProvenance: 'corrected',
    })
    again.undo()
    expect(again.getUtterance(utts[0].id)).toMatchObject({
      translation: 'typed whole',
      translationProvenance: 'corrected',
    })
    // Redo: the tainted values do not come back.
    again.redo()
    expect(again.getUtterance(firstHalf)).toMatchObject({ translationProvenance: 'model' })
    again.redo()
    expect(again.getUtterance(merge.changed[0].id)).toMatchObject({ translationProvenance: null })
    again.close()
  })
})
