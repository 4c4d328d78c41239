import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import type { Edit, UtteranceRow } from '../../../src-main/contract/contract'
import { SCHEMA_VERSION } from '../../../src-main/engine/project/schema'
import { makeSchemaV1 } from './schema-v1'
import { EditError, ProjectFileError, ProjectStore } from '../../../src-main/engine/project/store'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-store-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
let n = 0
const fresh = () => path.join(tmp, `p${++n}.fwsproj`)

/** A store with one 10 s media item and three utterances, plus model predictions for them. */
function seeded(file = fresh()) {
  const store = ProjectStore.create(file, { annotator: 'tester' })
  const media = store.addMedia(
    {
      absPath: path.join(tmp, 'clip.mp4'),
      sha256: `sha256:${file}`,
      sizeBytes: 1000,
      durationSec: 10,
      hasAudio: true,
      hasVideo: true,
      probe: { container: 'mp4' },
    },
    [
      { start: 0.5, end: 2.25, text: 'hello there, general', source: 'subtitles:clip.srt' },
      { start: 3, end: 5.5, text: 'Grüße — “quoted”', source: 'subtitles:clip.srt' },
      { start: 6, end: 9.125, text: '', source: 'vad' },
    ],
  )
  const utts = store.listUtterances(media.id)
  store.writePredictions([
    {
      utteranceId: utts[0].id,
      task: 'emotion',
      modelVersion: 'emo-1',
      probabilities: { neutral: 0.6, joy: 0.3, anger: 0.1 },
    },
    { utteranceId: utts[0].id, task: 'translation', modelVersion: 'tr-1', translation: 'hallo' },
    {
      utteranceId: utts[1].id,
      task: 'emotion',
      modelVersion: 'emo-1',
      probabilities: { joy: 0.9, neutral: 0.1 },
    },
    // The voice-activity utterance has no transcript: a text-only model gives no label, and says why.
    {
      utteranceId: utts[2].id,
      task: 'emotion',
      modelVersion: 'emo-1',
      noEvidence: 'no evidence: the model was trained on text only and this utterance has no transcript',
    },
  ])
  return { store, media, utts: store.listUtterances(media.id), file }
}

describe('ProjectStore basics', () => {
  let s: ReturnType<typeof seeded>
  beforeEach(() => {
    s = seeded()
  })

  it('stores media, utterances (ms-exact, ordered) and effective values with provenance', () => {
    const { store, media, utts } = s
    expect(store.info()).toMatchObject({ schemaVersion: SCHEMA_VERSION, mediaCount: 1, utteranceCount: 3 })
    expect(media).toMatchObject({ name: 'clip.mp4', durationSec: 10, hasAudio: true, utteranceCount: 3 })
    expect(utts.map((u) => [u.index, u.start, u.end])).toEqual([
      [0, 0.5, 2.25],
      [1, 3, 5.5],
      [2, 6, 9.125],
    ])
    expect(utts[0]).toMatchObject({
      transcriptProvenance: 'imported',
      emotion: 'neutral',
      emotionProvenance: 'model',
      translation: 'hallo',
      translationProvenance: 'model',
    })
    expect(utts[0].prediction?.uncertainty).toBeCloseTo(1 - (0.6 - 0.3), 9)
    expect(utts[0].emotionNoEvidence).toBeNull()
    expect(utts[2]).toMatchObject({ prediction: null, emotion: null, emotionProvenance: null })
    expect(utts[2].emotionNoEvidence).toMatch(/^no evidence: .*no transcript$/)
    // An empty VAD cut has no transcript review state: nobody (not even a model) wrote its text.
    expect(utts[2]).toMatchObject({
      transcript: '',
      transcriptProvenance: null,
      emotion: null,
      prediction: null,
    })
    store.close()
  })

  it('adding the same content twice returns the existing media', () => {
    const again = s.store.addMedia(
      {
        absPath: '/elsewhere/copy.mp4',
        sha256: `sha256:${s.file}`,
        sizeBytes: 1,
        durationSec: 10,
        hasAudio: true,
        hasVideo: false,
        probe: null,
      },
      [],
    )
    expect(again.id).toBe(s.media.id)
    expect(s.store.listMedia()).toHaveLength(1)
    s.store.close()
  })

  it('rejects bad edits with specific errors', () => {
    const { store, utts } = s
    expect(() => store.applyEdit({ kind: 'label', utteranceId: 'nope', emotion: 'joy' })).toThrow(
      /no utterance/,
    )
    expect(() => store.applyEdit({ kind: 'label', utteranceId: utts[0].id, emotion: 'bored' })).toThrow(
      /unknown emotion label "bored"/,
    )
    expect(() => store.applyEdit({ kind: 'split', utteranceId: utts[0].id, at: 2.249 })).toThrow(EditError)
    expect(() => store.applyEdit({ kind: 'bounds', utteranceId: utts[0].id, start: 1, end: 11 })).toThrow(
      /past the end/,
    )
    expect(() => store.applyEdit({ kind: 'merge', utteranceId: utts[0].id, withNextId: utts[2].id })).toThrow(
      /only neighbours merge/,
    )
    expect(() => store.applyEdit({ kind: 'accept', utteranceId: utts[2].id })).toThrow(
      /no emotion prediction to accept/,
    )
    expect(() => store.applyEdit({ kind: 'accept', utteranceId: utts[1].id, field: 'translation' })).toThrow(
      /no translation prediction to accept/,
    )
    expect(store.canUndo()).toBe(false)
    store.close()
  })

  it('accept (Enter) confirms the emotion only: the translation stays model until accepted on its own', () => {
    const { store, utts } = s
    const r = store.applyEdit({ kind: 'accept', utteranceId: utts[0].id })
    expect(r.changed[0]).toMatchObject({
      emotion: 'neutral',
      emotionProvenance: 'accepted',
      translation: 'hallo',
      translationProvenance: 'model',
    })
    // Accepting again changes nothing; accepting the translation is its own action.
    expect(store.applyEdit({ kind: 'accept', utteranceId: utts[0].id }).historyId).toBe(r.historyId)
    const t = store.applyEdit({ kind: 'accept', utteranceId: utts[0].id, field: 'translation' })
    expect(t.changed[0]).toMatchObject({ emotionProvenance: 'accepted', translationProvenance: 'accepted' })
    store.applyEdit({ kind: 'label', utteranceId: utts[1].id, emotion: 'anger' })
    const log = store.corrections()
    expect(
      log.map((c) => [c.field, c.previous, c.value, c.previousProvenance, c.provenance, c.annotator]),
    ).toEqual([
      ['emotion', 'neutral', 'neutral', 'model', 'accepted', 'tester'],
      ['translation', 'hallo', 'hallo', 'model', 'accepted', 'tester'],
      ['emotion', 'joy', 'anger', 'model', 'corrected', 'tester'],
    ])
    store.undo()
    store.undo()
    expect(store.corrections()).toHaveLength(1)
    expect(store.getUtterance(utts[0].id)).toMatchObject({
      emotionProvenance: 'accepted',
      translationProvenance: 'model',
    })
    store.close()
  })

  it('a no-op edit records nothing', () => {
    const { store, utts } = s
    const r = store.applyEdit({ kind: 'transcript', utteranceId: utts[0].id, text: utts[0].transcript })
    expect(r.historyId).toBe(0)
    expect(store.canUndo()).toBe(false)
    store.close()
  })
})

describe('undo/redo', () => {
  it('restores every intermediate state exactly, one change at a time, over label, text, bounds, split, merge', () => {
    const { store, utts } = seeded()
    const [a, b, c] = utts
    const states: UtteranceRow[][] = [store.listUtterances()]
    const edits: ((rows: UtteranceRow[]) => Edit)[] = [
      () => ({ kind: 'label', utteranceId: a.id, emotion: 'joy' }),
      () => ({ kind: 'transcript', utteranceId: b.id, text: 'line one,\n"line" two\u00e9' }),
      () => ({ kind: 'translation', utteranceId: a.id, text: 'Hallo, Welt' }),
      () => ({ kind: 'accept', utteranceId: b.id }),
      () => ({ kind: 'bounds', utteranceId: c.id, start: 6.001, end: 9.999 }),
      () => ({ kind: 'split', utteranceId: a.id, at: 1.2 }),
      (rows) => ({ kind: 'label', utteranceId: rows[1].id, emotion: 'sadness' }),
      (rows) => ({ kind: 'merge', utteranceId: rows[2].id, withNextId: rows[3].id }),
      (rows) => ({ kind: 'bounds', utteranceId: rows[0].id, start: 0.4, end: 1.2 }),
    ]
    const ids: number[] = []
    for (const e of edits) {
      const r = store.applyEdit(e(states[states.length - 1]))
      ids.push(r.historyId)
      states.push(store.listUtterances())
      expect(r.canUndo).toBe(true)
      expect(r.canRedo).toBe(false)
    }
    // Every edit changed something and got a new, increasing history id.
    expect(new Set(ids).size).toBe(edits.length)
    expect([...ids].sort((x, y) => x - y)).toEqual(ids)
    for (let i = 1; i < states.length; i++) expect(states[i]).not.toEqual(states[i - 1])
    // Split made 4 rows, merge went back to 3.
    expect(states[6]).toHaveLength(4)
    expect(states[8]).toHaveLength(3)

    for (let i = states.length - 1; i > 0; i--) {
      const r = store.undo()!
      expect(r).not.toBeNull()
      expect(store.listUtterances()).toEqual(states[i - 1])
    }
    expect(store.undo()).toBeNull()
    expect(store.info().canUndo).toBe(false)
    for (let i = 1; i < states.length; i++) {
      const r = store.redo()!
      expect(r.historyId).toBe(ids[i - 1])
      expect(store.listUtterances()).toEqual(states[i])
    }
    expect(store.redo()).toBeNull()

    // Undo twice, then a new edit: the redo branch is gone, and the new state is what we expect.
    store.undo()
    store.undo()
    expect(store.canRedo()).toBe(true)
    store.applyEdit({ kind: 'label', utteranceId: b.id, emotion: 'fear' })
    expect(store.canRedo()).toBe(false)
    expect(store.redo()).toBeNull()
    store.undo()
    expect(store.listUtterances()).toEqual(states[states.length - 3])
    store.close()
  })

  it('split cuts the transcript at the nearest word and merge joins it back; undo survives reopening', () => {
    const { store, utts, file } = seeded()
    const r = store.applyEdit({ kind: 'split', utteranceId: utts[0].id, at: 1.4 })
    expect(r.changed.map((u) => [u.start, u.end, u.transcript])).toEqual([
      [0.5, 1.4, 'hello there,'],
      [1.4, 2.25, 'general'],
    ])
    store.close()
    const again = ProjectStore.open(file)
    expect(again.canUndo()).toBe(true)
    const u = again.undo()!
    expect(u.removed).toHaveLength(2) // both halves were new utterances
    expect(again.listUtterances()[0]).toMatchObject({
      start: 0.5,
      end: 2.25,
      transcript: 'hello there, general',
    })
    again.close()
  })

  it('replacing the segmentation is one undoable change', () => {
    const { store, media } = seeded()
    const before = store.listUtterances()
    store.replaceSegmentation(media.id, [{ start: 1, end: 2, text: 'x', source: 'subtitles:new.srt' }])
    expect(store.listUtterances()).toHaveLength(1)
    store.undo()
    expect(store.listUtterances()).toEqual(before)
    store.close()
  })
})

describe('opening files', () => {
  it('migrates a schema-1 project: predictions can then record "no evidence"', () => {
    const { store, file, utts } = seeded()
    store.close()
    const db = new Database(file)
    makeSchemaV1(db)
    db.close()
    const again = ProjectStore.open(file)
    expect(again.info().schemaVersion).toBe(SCHEMA_VERSION)
    expect(again.listUtterances()[0]!.prediction?.label).toBe('neutral')
    expect(again.listUtterances()[2]!.emotionNoEvidence).toBeNull()
    again.writePredictions([
      { utteranceId: utts[2]!.id, task: 'emotion', modelVersion: 'emo-2', noEvidence: 'no evidence: x' },
    ])
    expect(again.listUtterances()[2]!.emotionNoEvidence).toBe('no evidence: x')
    again.close()
  })

  it('refuses a newer schema without changing the file', () => {
    const { store, file } = seeded()
    store.close()
    const db = new Database(file)
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    db.close()
    const bytes = readFileSync(file)
    expect(() => ProjectStore.open(file)).toThrow(/newer Fusion Workstation/)
    expect(readFileSync(file).equals(bytes)).toBe(true)
  })

  it('refuses a damaged file without changing it', () => {
    const { store, file } = seeded()
    store.close()
    const bytes = readFileSync(file)
    // Overwrite a page in the middle (a table b-tree page) with garbage.
    const bad = Buffer.from(bytes)
    for (let i = 4096 * 2; i < Math.min(bad.length, 4096 * 3); i++) bad[i] = (i * 131) & 0xff
    const damaged = fresh()
    writeFileSync(damaged, bad)
    const err = (() => {
      try {
        ProjectStore.open(damaged)
      } catch (e) {
        return e as ProjectFileError
      }
    })()
    expect(err).toBeInstanceOf(ProjectFileError)
    expect(err?.message).toMatch(/damaged/)
    expect(readFileSync(damaged).equals(bad)).toBe(true)
    // A text file and a foreign SQLite database are refused too.
    const txt = fresh()
    writeFileSync(txt, 'not a database')
    expect(() => ProjectStore.open(txt)).toThrow(/not a Fusion Workstation project/)
    const foreign = fresh()
    new Database(foreign).exec('CREATE TABLE t(x)')
    expect(() => ProjectStore.open(foreign)).toThrow(/not a Fusion Workstation project/)
  })

  it('refuses to create over an existing file and reports a missing one', () => {
    const { store, file } = seeded()
    store.close()
    expect(() => ProjectStore.create(file)).toThrow(/already exists/)
    expect(() => ProjectStore.open(path.join(tmp, 'missing.fwsproj'))).toThrow(/not found/)
  })

  it('finds media relative to the project when project and media move together', () => {
    const dir = mkdtempSync(path.join(tmp, 'move-'))
    const media = path.join(dir, 'clip.wav')
    writeFileSync(media, 'x')
    const file = path.join(dir, 'p.fwsproj')
    const store = ProjectStore.create(file)
    const m = store.addMedia(
      {
        absPath: media,
        sha256: 'sha256:x',
        sizeBytes: 1,
        durationSec: 1,
        hasAudio: true,
        hasVideo: false,
        probe: {},
      },
      [],
    )
    store.close()
    const moved = mkdtempSync(path.join(tmp, 'moved-'))
    copyFileSync(file, path.join(moved, 'p.fwsproj'))
    copyFileSync(media, path.join(moved, 'clip.wav'))
    rmSync(dir, { recursive: true })
    const again = ProjectStore.open(path.join(moved, 'p.fwsproj'))
    expect(again.mediaFile(m.id)).toBe(path.join(moved, 'clip.wav'))
    again.close()
  })
})
