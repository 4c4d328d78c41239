/**
 * The EAF export against the structure of the EAF 3.0 schema (EAFv3.0.xsd): element order of
 * ANNOTATION_DOCUMENT, required attributes, unique ids, and every reference resolving
 * (LINGUISTIC_TYPE_REF, TIME_SLOT_REF1/2, CONTROLLED_VOCABULARY_REF, CVE_REF, LANG_REF,
 * CONSTRAINTS), time slots in order; review state carried by tier; and a round trip through
 * `fws import`. The XML is read by a strict parser (python3's expat) into a plain tree.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { exportProject } from '../../../src-main/engine/exchange/export'
import { ProjectStore } from '../../../src-main/engine/project/store'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-eaf-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

interface Node {
  tag: string
  attrs: Record<string, string>
  text: string
  children: Node[]
}

/** Strict XML parse (expat) into a tree; throws on a document that is not well-formed. */
function parseXml(file: string): Node {
  const py = `
import sys, json, xml.etree.ElementTree as E
def walk(e): return {"tag": e.tag, "attrs": dict(e.attrib), "text": e.text or "", "children": [walk(c) for c in e]}
print(json.dumps(walk(E.parse(sys.argv[1]).getroot())))`
  return JSON.parse(execFileSync('python3', ['-c', py, file], { encoding: 'utf8' })) as Node
}

const all = (n: Node, tag: string): Node[] =>
  (n.tag === tag ? [n] : []).concat(n.children.flatMap((c) => all(c, tag)))

/** The ANNOTATION_DOCUMENT content model of EAFv3.0.xsd, in order. */
const DOC_SEQUENCE = [
  'LICENSE',
  'HEADER',
  'TIME_ORDER',
  'TIER',
  'LINGUISTIC_TYPE',
  'LOCALE',
  'LANGUAGE',
  'CONSTRAINT',
  'CONTROLLED_VOCABULARY',
  'LEXICON_REF',
  'REF_LINK_SET',
  'EXTERNAL_REF',
]
const REQUIRED: Record<string, string[]> = {
  ANNOTATION_DOCUMENT: ['DATE', 'AUTHOR', 'VERSION'],
  MEDIA_DESCRIPTOR: ['MEDIA_URL', 'MIME_TYPE'],
  PROPERTY: ['NAME'],
  TIME_SLOT: ['TIME_SLOT_ID'],
  TIER: ['TIER_ID', 'LINGUISTIC_TYPE_REF'],
  ALIGNABLE_ANNOTATION: ['ANNOTATION_ID', 'TIME_SLOT_REF1', 'TIME_SLOT_REF2'],
  LINGUISTIC_TYPE: ['LINGUISTIC_TYPE_ID'],
  LANGUAGE: ['LANG_ID'],
  CONSTRAINT: ['STEREOTYPE'],
  CONTROLLED_VOCABULARY: ['CV_ID'],
  DESCRIPTION: ['LANG_REF'],
  CV_ENTRY_ML: ['CVE_ID'],
  CVE_VALUE: ['LANG_REF'],
}

/** Every structural rule of the schema an exporter can get wrong; returns the violations. */
function eafProblems(doc: Node): string[] {
  const bad: string[] = []
  if (doc.tag !== 'ANNOTATION_DOCUMENT') bad.push(`root is ${doc.tag}`)
  // Element order of the document.
  let pos = 0
  for (const c of doc.children) {
    const i = DOC_SEQUENCE.indexOf(c.tag)
    if (i < 0) bad.push(`unexpected element ${c.tag}`)
    else if (i < pos) bad.push(`${c.tag} after ${DOC_SEQUENCE[pos]}`)
    else pos = i
  }
  for (const one of ['HEADER', 'TIME_ORDER'])
    if (doc.children.filter((c) => c.tag === one).length !== 1) bad.push(`needs exactly one ${one}`)
  for (const [tag, attrs] of Object.entries(REQUIRED))
    for (const n of all(doc, tag)) for (const a of attrs) if (!(a in n.attrs)) bad.push(`${tag} without ${a}`)
  const unique = (tag: string, attr: string) => {
    const ids = all(doc, tag).map((n) => n.attrs[attr])
    if (new Set(ids).size !== ids.length) bad.push(`duplicate ${attr}`)
    return new Set(ids)
  }
  const slotIds = unique('TIME_SLOT', 'TIME_SLOT_ID')
  unique('TIER', 'TIER_ID')
  const annIds = unique('ALIGNABLE_ANNOTATION', 'ANNOTATION_ID')
  const typeIds = unique('LINGUISTIC_TYPE', 'LINGUISTIC_TYPE_ID')
  const cvIds = unique('CONTROLLED_VOCABULARY', 'CV_ID')
  const langIds = unique('LANGUAGE', 'LANG_ID')
  const stereotypes = unique('CONSTRAINT', 'STEREOTYPE')
  // Time slots: unsigned integers, non-decreasing in document order.
  const slotTime = new Map<string, number>()
  let last = -1
  for (const s of all(doc, 'TIME_SLOT')) {
    const v = s.attrs.TIME_VALUE
    if (v === undefined) continue
    if (!/^\d+$/.test(v)) bad.push(`TIME_VALUE ${v} is not an unsigned integer`)
    if (Number(v) < last) bad.push(`time slot ${s.attrs.TIME_SLOT_ID} goes back in time`)
    last = Number(v)
    slotTime.set(s.attrs.TIME_SLOT_ID, Number(v))
  }
  // Linguistic types → controlled vocabularies and constraints.
  const typeCv = new Map<string, string | undefined>()
  for (const t of all(doc, 'LINGUISTIC_TYPE')) {
    const cv = t.attrs.CONTROLLED_VOCABULARY_REF
    if (cv !== undefined && !cvIds.has(cv))
      bad.push(`LINGUISTIC_TYPE ${t.attrs.LINGUISTIC_TYPE_ID} refers to missing CV ${cv}`)
    if (t.attrs.CONSTRAINTS !== undefined && !stereotypes.has(t.attrs.CONSTRAINTS))
      bad.push('unknown CONSTRAINTS')
    typeCv.set(t.attrs.LINGUISTIC_TYPE_ID, cv)
  }
  // CV entries, their languages.
  const cvEntries = new Map<string, Map<string, string>>()
  for (const cv of all(doc, 'CONTROLLED_VOCABULARY')) {
    const entries = new Map<string, string>()
    for (const e of cv.children.filter((c) => c.tag === 'CV_ENTRY_ML')) {
      if (entries.has(e.attrs.CVE_ID)) bad.push(`duplicate CVE_ID ${e.attrs.CVE_ID}`)
      const values = e.children.filter((c) => c.tag === 'CVE_VALUE')
      if (!values.length) bad.push(`CV entry ${e.attrs.CVE_ID} has no CVE_VALUE`)
      entries.set(e.attrs.CVE_ID, values[0]?.text ?? '')
    }
    cvEntries.set(cv.attrs.CV_ID, entries)
  }
  for (const n of [...all(doc, 'DESCRIPTION'), ...all(doc, 'CVE_VALUE')])
    if (!langIds.has(n.attrs.LANG_REF)) bad.push(`LANG_REF ${n.attrs.LANG_REF} does not resolve`)
  // Tiers → types; annotations → slots (ordered) and CV entries.
  for (const tier of all(doc, 'TIER')) {
    const type = tier.attrs.LINGUISTIC_TYPE_REF
    if (!typeIds.has(type))
      bad.push(`tier ${tier.attrs.TIER_ID} refers to undeclared linguistic type ${type}`)
    const cv = typeCv.get(type)
    for (const a of all(tier, 'ALIGNABLE_ANNOTATION')) {
      const { TIME_SLOT_REF1: r1, TIME_SLOT_REF2: r2, CVE_REF: cve, ANNOTATION_ID: id } = a.attrs
      if (!slotIds.has(r1) || !slotIds.has(r2)) bad.push(`annotation ${id} refers to a missing time slot`)
      else if ((slotTime.get(r1) ?? 0) > (slotTime.get(r2) ?? 0))
        bad.push(`annotation ${id} ends before it starts`)
      const values = a.children.filter((c) => c.tag === 'ANNOTATION_VALUE')
      if (values.length !== 1) bad.push(`annotation ${id} needs one ANNOTATION_VALUE`)
      if (cve !== undefined) {
        const entry = cv ? cvEntries.get(cv)?.get(cve) : undefined
        if (entry === undefined) bad.push(`annotation ${id} CVE_REF ${cve} does not resolve in the tier's CV`)
        else if (entry !== values[0]?.text) bad.push(`annotation ${id} value differs from its CV entry`)
      } else if (cv) bad.push(`annotation ${id} on a CV tier has no CVE_REF`)
    }
  }
  const lastUsed = all(doc, 'PROPERTY').find((p) => p.attrs.NAME === 'lastUsedAnnotationId')
  const maxId = Math.max(0, ...[...annIds].map((id) => Number(String(id).replace(/\D/g, ''))))
  if (!lastUsed || Number(lastUsed.text) < maxId)
    bad.push('lastUsedAnnotationId below the highest annotation id')
  return bad
}

describe('EAF export', () => {
  it('declares every linguistic type and CV it uses, passes the EAF 3.0 structure check, and carries review state by tier', async () => {
    const file = path.join(tmp, 'p.fwsproj')
    const store = ProjectStore.create(file, { annotator: 'ann' })
    const media = store.addMedia(
      {
        absPath: path.join(tmp, 'clip.mp4'),
        sha256: 'sha-eaf',
        sizeBytes: 1,
        durationSec: 30,
        hasAudio: true,
        hasVideo: true,
        probe: {},
      },
      [
        { start: 0.5, end: 2, text: 'first', source: 'srt' },
        { start: 1.5, end: 3.25, text: 'overlapping second', source: 'srt' },
        { start: 4, end: 6, text: '', source: 'vad' },
        { start: 7, end: 9.001, text: 'fourth & 1 < 2', source: 'srt' },
      ],
    )
    const u = store.listUtterances(media.id)
    store.writePredictions(
      u.flatMap((x, i) => [
        {
          utteranceId: x.id,
          task: 'emotion' as const,
          modelVersion: 'emo-1',
          probabilities: (i === 3 ? { boredom: 0.8, joy: 0.2 } : { joy: 0.6, neutral: 0.4 }) as Record<
            string,
            number
          >,
        },
        { utteranceId: x.id, task: 'translation' as const, modelVersion: 'tr-1', translation: `MT ${i}` },
      ]),
    )
    store.applyEdit({ kind: 'accept', utteranceId: u[0].id }) // emotion only
    store.applyEdit({ kind: 'label', utteranceId: u[1].id, emotion: 'anger' })
    store.applyEdit({ kind: 'translation', utteranceId: u[1].id, text: 'zweite' })
    const out = path.join(tmp, 'clip.eaf')
    await exportProject(store, { format: 'eaf', out, mediaId: media.id })
    store.close()

    const doc = parseXml(out)
    expect(eafProblems(doc)).toEqual([])
    expect(all(doc, 'LINGUISTIC_TYPE').map((t) => t.attrs.LINGUISTIC_TYPE_ID)).toEqual([
      'transcript',
      'emotion',
      'translation',
    ])
    // The CV holds the standard labels plus one a model used that is not among them.
    const cv = all(doc, 'CVE_VALUE').map((v) => v.text)
    expect(cv).toEqual(expect.arrayContaining(['neutral', 'joy', 'anger', 'boredom']))
    const tier = (id: string) =>
      all(doc, 'TIER')
        .find((t) => t.attrs.TIER_ID === id)!
        .children.map((a) => all(a, 'ANNOTATION_VALUE')[0].text)
    expect(tier('transcript')).toEqual(['first', 'overlapping second', '', 'fourth & 1 < 2'])
    expect(tier('emotion')).toEqual(['joy', 'anger']) // accepted, corrected
    expect(tier('emotion-model')).toEqual(['joy', 'boredom'])
    expect(tier('translation')).toEqual(['zweite'])
    // Enter accepted the emotion of the first utterance, not its translation.
    expect(tier('translation-model')).toEqual(['MT 0', 'MT 2', 'MT 3'])

    // The checker itself catches what the old export got wrong: a tier whose type is not declared.
    const broken = structuredClone(doc)
    broken.children = broken.children.filter(
      (c) => !(c.tag === 'LINGUISTIC_TYPE' && c.attrs.LINGUISTIC_TYPE_ID === 'emotion'),
    )
    expect(eafProblems(broken)).toContain('tier emotion refers to undeclared linguistic type emotion')

    // Round trip through `fws import` into another project: the transcript tier comes back.
    const other = path.join(tmp, 'q.fwsproj')
    const s2 = ProjectStore.create(other, { annotator: 'ann' })
    s2.addMedia(
      {
        absPath: path.join(tmp, 'other.mp4'),
        sha256: 'sha-other',
        sizeBytes: 1,
        durationSec: 30,
        hasAudio: true,
        hasVideo: false,
        probe: {},
      },
      [{ start: 0, end: 1, text: 'placeholder', source: 't' }],
    )
    s2.close()
    const printed = execFileSync(
      process.execPath,
      [path.resolve('bin/fws.mjs'), 'import', other, out, '--json'],
      { encoding: 'utf8', env: { ...process.env, FWS_FROM_SOURCE: '1' } },
    )
    const rows = JSON.parse(printed) as { start: number; end: number; transcript: string }[]
    expect(rows.map((r) => [r.start, r.end, r.transcript])).toEqual([
      [0.5, 2, 'first'],
      [1.5, 3.25, 'overlapping second'],
      [4, 6, ''],
      [7, 9.001, 'fourth & 1 < 2'],
    ])
  }, 60_000)
})
