import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseEafTiers } from '../../../src-main/engine/media/subtitles'
import { exportProject } from '../../../src-main/engine/exchange/export'
import { importSegmentation } from '../../../src-main/engine/exchange/import'
import { ProjectStore } from '../../../src-main/engine/project/store'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-exchange-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
let k = 0

/** Texts that break naive writers: non-ASCII, commas, quotes, line breaks, markup-ish and formula-ish starts. */
const SEGMENTS = [
  { start: 0.001, end: 1.999, text: 'Grüße, “Welt” — naïve café' },
  { start: 2.5, end: 4.125, text: 'She said "yes", then "no"' },
  { start: 4.2, end: 6.007, text: 'line one,\nline two' },
  { start: 7, end: 8.5, text: '日本語のテキスト 😀 and 1 < 2 & 3 > 2' },
  { start: 9.333, end: 10.667, text: '=SUM(A1:A2) looks like a formula' },
  { start: 11, end: 12, text: '- Dialogue dash, @mention, +plus' },
  // Already apostrophe-quoted on purpose: the CSV neutralisation must not eat the apostrophe.
  { start: 12.5, end: 13, text: "'=1+1 typed with its apostrophe" },
  { start: 3723.456, end: 3725.001, text: "after an hour: it's late" },
]

function project(segments = SEGMENTS) {
  const file = path.join(tmp, `p${++k}.fwsproj`)
  const store = ProjectStore.create(file, { annotator: 'Ann "Q" <ann@x>' })
  const media = store.addMedia(
    {
      absPath: path.join(tmp, `clip ${k} ü.mp4`),
      sha256: `sha-${k}`,
      sizeBytes: 1,
      durationSec: 4000,
      hasAudio: true,
      hasVideo: true,
      probe: {},
    },
    segments.map((s) => ({ ...s, source: 'test' })),
  )
  return { store, media }
}

const boundsAndText = (store: ProjectStore, mediaId: string) =>
  store.listUtterances(mediaId).map((u) => ({ start: u.start, end: u.end, text: u.transcript }))

describe('export → import round trips', () => {
  for (const format of ['srt', 'vtt', 'eaf', 'csv'] as const) {
    it(`${format}: bounds to the millisecond and text survive`, async () => {
      const { store, media } = project()
      const original = boundsAndText(store, media.id)
      expect(original.map((o) => o.text)).toEqual(SEGMENTS.map((s) => s.text))
      // Labels and translations must not leak into the imported segmentation (EAF has them as tiers).
      const rows = store.listUtterances(media.id)
      store.applyEdit({ kind: 'label', utteranceId: rows[0].id, emotion: 'joy' })
      store.applyEdit({ kind: 'translation', utteranceId: rows[3].id, text: 'Japanese text' })
      const out = path.join(tmp, `rt${k}.${format}`)
      const res = await exportProject(store, { format, out, mediaId: media.id })
      expect(res).toEqual({ files: [out], records: SEGMENTS.length })
      // Import into a different project's media: nothing is shared but the file.
      const other = project([{ start: 0, end: 1, text: 'placeholder cut' }])
      const imp = await importSegmentation(other.store, other.media.id, out)
      expect(imp.format).toBe(format)
      expect(boundsAndText(other.store, other.media.id)).toEqual(original)
      // The import is one undoable change.
      other.store.undo()
      expect(boundsAndText(other.store, other.media.id)).toEqual([
        { start: 0, end: 1, text: 'placeholder cut' },
      ])
      store.close()
      other.store.close()
    })
  }

  it('vtt/srt of translations write the confirmed or predicted translation', async () => {
    const { store, media } = project()
    const [a, b] = store.listUtterances(media.id)
    store.writePredictions([
      { utteranceId: a.id, task: 'translation', modelVersion: 'tr-1', translation: 'Hallo, „Welt“' },
    ])
    store.applyEdit({ kind: 'translation', utteranceId: b.id, text: 'Sie sagte "ja"' })
    const out = path.join(tmp, `tr${k}.srt`)
    const res = await exportProject(store, { format: 'srt', out, text: 'translation' })
    expect(res.records).toBe(SEGMENTS.length)
    const srt = readFileSync(out, 'utf8')
    expect(srt).toBe(
      '1\n00:00:00,001 --> 00:00:01,999\nHallo, „Welt“\n\n2\n00:00:02,500 --> 00:00:04,125\nSie sagte "ja"\n',
    )
    store.close()
  })
})

describe('CSV and JSONL', () => {
  it('CSV carries prediction, correction, model version, annotator, timestamps; neutralises formulas', async () => {
    const { store, media } = project()
    const u = store.listUtterances(media.id)
    store.writePredictions([
      {
        utteranceId: u[0].id,
        task: 'emotion',
        modelVersion: 'emo-7',
        probabilities: { joy: 0.7, neutral: 0.3 },
      },
      {
        utteranceId: u[1].id,
        task: 'emotion',
        modelVersion: 'emo-7',
        probabilities: { anger: 0.55, fear: 0.45 },
      },
    ])
    store.applyEdit({ kind: 'label', utteranceId: u[1].id, emotion: 'fear' })
    const out = path.join(tmp, `c${k}.csv`)
    await exportProject(store, { format: 'csv', out, onlyCorrected: true })
    const text = readFileSync(out, 'utf8')
    const lines = text.replace(/^\ufeff/, '').split('\r\n')
    const header = lines[0].split(',')
    expect(lines.filter(Boolean)).toHaveLength(2) // header + the one corrected utterance
    const row = lines[1]
    const col = (name: string) => header.indexOf(name)
    expect(col('emotion_annotator')).toBeGreaterThan(0)
    expect(row).toContain('"She said ""yes"", then ""no"""')
    expect(row).toContain(',fear,corrected,"Ann ""Q"" <ann@x>",20')
    expect(row).toContain(',anger,0.5500,')
    expect(row).toContain('emo-7')

    const all = path.join(tmp, `all${k}.csv`)
    await exportProject(store, { format: 'csv', out: all })
    const allText = readFileSync(all, 'utf8')
    expect(allText).toContain(",'=SUM(A1:A2) looks like a formula,")
    expect(allText).toContain(`"'- Dialogue dash, @mention, +plus"`)
    expect(allText).not.toMatch(/,=SUM/)
    store.close()
  })

  it('JSONL has one record per utterance with prediction, correction and provenance', async () => {
    const { store, media } = project()
    const u = store.listUtterances(media.id)
    store.writePredictions([
      {
        utteranceId: u[0].id,
        task: 'emotion',
        modelVersion: 'emo-7',
        probabilities: { joy: 0.7, neutral: 0.3 },
      },
    ])
    store.applyEdit({ kind: 'accept', utteranceId: u[0].id })
    const out = path.join(tmp, `j${k}.jsonl`)
    const res = await exportProject(store, { format: 'jsonl', out })
    const recs = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(recs).toHaveLength(res.records)
    expect(recs[0]).toMatchObject({
      start: 0.001,
      end: 1.999,
      emotion: {
        value: 'joy',
        provenance: 'accepted',
        annotator: 'Ann "Q" <ann@x>',
        prediction: { label: 'joy', modelVersion: 'emo-7', probabilities: { joy: 0.7, neutral: 0.3 } },
      },
      corrected: true,
    })
    expect(recs[0].emotion.at).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(recs[1].corrected).toBe(false)
    store.close()
  })
})

describe('EAF', () => {
  it('is well-formed EAF 3.0 with time slots, alignable annotations and its tiers; user text cannot inject markup', async () => {
    const evil = '</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION><TIER TIER_ID="x"> & "q" \u0007bell'
    const { store, media } = project([...SEGMENTS, { start: 20, end: 21, text: evil }])
    const u = store.listUtterances(media.id)
    store.applyEdit({ kind: 'label', utteranceId: u[0].id, emotion: 'joy' })
    store.applyEdit({ kind: 'translation', utteranceId: u[1].id, text: 'Übersetzung <b>' })
    const out = path.join(tmp, `e${k}.eaf`)
    await exportProject(store, { format: 'eaf', out })
    const xml = readFileSync(out, 'utf8')
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<ANNOTATION_DOCUMENT /)
    expect(xml).toContain('FORMAT="3.0"')
    expect(xml).toContain('xsi:noNamespaceSchemaLocation="http://www.mpi.nl/tools/elan/EAFv3.0.xsd"')
    expect(xml).toContain('AUTHOR="Ann &quot;Q&quot; &lt;ann@x&gt;"')
    // Strict XML parse (expat) when python3 is present: the document is well-formed.
    const strict = execFileSync(
      'python3',
      [
        '-c',
        'import sys,xml.etree.ElementTree as E;r=E.parse(sys.argv[1]).getroot();' +
          'print(len(r.findall("TIME_ORDER/TIME_SLOT")), [t.get("TIER_ID") for t in r.findall("TIER")], ' +
          'any(v.text == sys.argv[2].replace("\\x07","") for v in r.findall("TIER")[0].iter("ANNOTATION_VALUE")))',
        out,
        evil,
      ],
      { encoding: 'utf8' },
    ).trim()
    const annotations = SEGMENTS.length + 1 + 1 + 1
    expect(strict).toBe(
      `${annotations * 2} ['transcript', 'emotion', 'translation', 'emotion-model', 'translation-model'] True`,
    )
    // Every slot reference resolves, ids are unique, slot times are non-decreasing.
    const slots = [...xml.matchAll(/<TIME_SLOT TIME_SLOT_ID="(ts\d+)" TIME_VALUE="(\d+)"\/>/g)]
    const times = slots.map((m) => Number(m[2]))
    expect([...times].sort((a, b) => a - b)).toEqual(times)
    const slotIds = new Set(slots.map((m) => m[1]))
    expect(slotIds.size).toBe(slots.length)
    for (const m of xml.matchAll(/TIME_SLOT_REF[12]="(ts\d+)"/g)) expect(slotIds.has(m[1])).toBe(true)
    const annIds = [...xml.matchAll(/ANNOTATION_ID="(a\d+)"/g)].map((m) => m[1])
    expect(new Set(annIds).size).toBe(annotations)
    // Helper A's EAF reader sees the three tiers with their values.
    const tiers = parseEafTiers(xml, { keepTags: true })
    expect(tiers.map((t) => [t.id, t.cues.length])).toEqual([
      ['transcript', SEGMENTS.length + 1],
      ['emotion', 1],
      ['translation', 1],
      ['emotion-model', 0],
      ['translation-model', 0],
    ])
    expect(tiers[1].cues[0]).toMatchObject({ start: 0.001, end: 1.999, text: 'joy' })
    expect(tiers[2].cues[0].text).toBe('Übersetzung <b>')
    store.close()
  })
})

describe('path safety', () => {
  it('per-media files from crafted media names stay inside the chosen folder', async () => {
    const file = path.join(tmp, `p${++k}.fwsproj`)
    const store = ProjectStore.create(file)
    for (const [i, name] of ['../../escape.mp4', '..\\..\\win.mp4', 'con.mp4', 'a/../../b.mp4'].entries())
      store.addMedia(
        {
          absPath: `/footage/${i}/${name}`.replace(/\\/g, '\\'),
          sha256: `s${i}`,
          sizeBytes: 1,
          durationSec: 10,
          hasAudio: true,
          hasVideo: false,
          probe: {},
        },
        [{ start: 1, end: 2, text: 'x', source: 't' }],
      )
    const folder = path.join(tmp, `out${k}`)
    const res = await exportProject(store, { format: 'vtt', out: folder })
    await expect(exportProject(store, { format: 'vtt', out: path.join(tmp, 'one.vtt') })).rejects.toThrow(
      /4 media files, but one vtt file holds the utterances of one media file/,
    )
    expect(res.files).toHaveLength(4)
    for (const f of res.files) {
      expect(path.dirname(f)).toBe(folder)
      expect(path.basename(f)).not.toMatch(/^\.|[/\\]/)
    }
    store.close()
  })

  it('refuses to write through a symlink or onto a folder, and to read a non-file', async () => {
    const { store, media } = project()
    const target = path.join(tmp, `victim${k}.txt`)
    writeFileSync(target, 'keep me')
    const link = path.join(tmp, `link${k}.csv`)
    symlinkSync(target, link)
    await expect(exportProject(store, { format: 'csv', out: link })).rejects.toThrow(/symbolic link/)
    expect(readFileSync(target, 'utf8')).toBe('keep me')
    await expect(exportProject(store, { format: 'jsonl', out: tmp })).rejects.toThrow(/is a folder/)
    await expect(importSegmentation(store, media.id, tmp)).rejects.toThrow(/not a file/)
    await expect(importSegmentation(store, media.id, path.join(tmp, 'nope.srt'))).rejects.toThrow(/not found/)
    store.close()
  })
})

describe('corpus', () => {
  it('writes manifest.json + utterances.jsonl with media paths relative to the folder', async () => {
    const { store, media } = project()
    const u = store.listUtterances(media.id)
    store.applyEdit({ kind: 'label', utteranceId: u[2].id, emotion: 'sadness' })
    const folder = path.join(tmp, `corpus${k}`)
    const res = await exportProject(store, { format: 'corpus', out: folder, onlyCorrected: true })
    expect(res.records).toBe(1)
    const manifest = JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8'))
    expect(manifest).toMatchObject({ format: 'fws-corpus', version: 1, count: 1 })
    const lines = readFileSync(path.join(folder, 'utterances.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines).toEqual([
      {
        id: u[2].id,
        media: path.relative(folder, media.path).split(path.sep).join('/'),
        start: 4.2,
        end: 6.007,
        text: 'line one,\nline two',
        labels: { emotion: 'sadness' },
        provenance: expect.objectContaining({
          emotion: 'corrected',
          transcript: 'imported',
          annotator: expect.any(String),
        }),
      },
    ])
    expect(path.resolve(folder, lines[0].media)).toBe(media.path)
    store.close()
  })
})
