/**
 * The export formats as pure functions from export records to file text: JSONL, CSV, SRT,
 * WebVTT and ELAN EAF 3.0. Owns each format's timecodes and escaping; file writing and path
 * checks live in export.ts.
 */
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { EMOTIONS } from '../core/labels'
import { isHuman } from '../project/rows'
import type { ExportRecord } from '../project/store'
import { toCsv, type CsvCell } from './csv'
import { el, serialize } from '../core/xml'

export type TextChoice = 'transcript' | 'translation'

/** Integer milliseconds of a time in seconds (the store is exact to the ms). */
const ms = (sec: number) => Math.round(sec * 1000)

function clock(sec: number, sep: ',' | '.'): string {
  const t = ms(sec)
  const h = Math.floor(t / 3_600_000)
  const m = Math.floor((t % 3_600_000) / 60_000)
  const s = Math.floor((t % 60_000) / 1000)
  const f = t % 1000
  const p = (n: number, w: number) => String(n).padStart(w, '0')
  return `${p(h, 2)}:${p(m, 2)}:${p(s, 2)}${sep}${p(f, 3)}`
}

/** SRT timecode HH:MM:SS,mmm. */
export const srtTime = (sec: number) => clock(sec, ',')
/** WebVTT timestamp HH:MM:SS.mmm. */
export const vttTime = (sec: number) => clock(sec, '.')

/** The text a subtitle export writes for a record, or null when it has none of that kind. */
export function cueText(r: ExportRecord, which: TextChoice): string | null {
  const t = which === 'translation' ? r.translation : r.transcript
  return t == null ? null : t
}

/**
 * Cue text lines: a blank line would end the cue in SRT/VTT, so runs of empty lines become one
 * line break; CRLF/CR become LF. Text and line breaks otherwise survive exactly.
 */
function cueLines(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .filter((l) => l.length > 0)
    .join('\n')
}

/** SubRip: numbered cues; records without the chosen text are skipped. */
export function toSrt(records: ExportRecord[], which: TextChoice = 'transcript'): string {
  const out: string[] = []
  let n = 0
  for (const r of records) {
    const t = cueText(r, which)
    if (t == null) continue
    const body = cueLines(t)
    if (!body) continue // an empty cue cannot be represented in SRT
    out.push(`${++n}\n${srtTime(r.start)} --> ${srtTime(r.end)}\n${body}\n`)
  }
  return out.join('\n')
}

/** WebVTT cue text escaping: & < > must be references; "-->" may not appear in cue text. */
export function escapeVtt(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** WebVTT with the utterance id as cue identifier. */
export function toVtt(records: ExportRecord[], which: TextChoice = 'transcript'): string {
  const out: string[] = ['WEBVTT\n']
  for (const r of records) {
    const t = cueText(r, which)
    if (t == null) continue
    const body = cueLines(escapeVtt(t))
    if (!body) continue
    out.push(`${r.utteranceId}\n${vttTime(r.start)} --> ${vttTime(r.end)}\n${body}\n`)
  }
  return out.join('\n')
}

/** One JSON object per line: the full record (values, predictions, provenance, who and when). */
export function toJsonl(records: ExportRecord[], meta: { project: string; exportedAt: string }): string {
  return records
    .map((r) =>
      JSON.stringify({
        project: meta.project,
        exportedAt: meta.exportedAt,
        media: r.mediaName,
        mediaPath: r.mediaPath,
        mediaId: r.mediaId,
        utteranceId: r.utteranceId,
        index: r.index,
        start: r.start,
        end: r.end,
        source: r.source,
        bounds: { provenance: r.boundsProvenance, ...r.corrections.bounds },
        transcript: { value: r.transcript, provenance: r.transcriptProvenance, ...r.corrections.transcript },
        emotion: {
          value: r.emotion,
          provenance: r.emotionProvenance,
          prediction: r.emotionPrediction,
          ...r.corrections.emotion,
        },
        translation: {
          value: r.translation,
          provenance: r.translationProvenance,
          prediction: r.translationPrediction,
          ...r.corrections.translation,
        },
        corrected: r.corrected,
      }),
    )
    .map((l) => l + '\n')
    .join('')
}

export const CSV_HEADER = [
  'media',
  'media_id',
  'utterance_id',
  'index',
  'start',
  'end',
  'text',
  'transcript_provenance',
  'transcript_annotator',
  'transcript_corrected_at',
  'emotion',
  'emotion_provenance',
  'emotion_annotator',
  'emotion_corrected_at',
  'predicted_emotion',
  'predicted_confidence',
  'emotion_probabilities',
  'emotion_model_version',
  'emotion_predicted_at',
  'translation',
  'translation_provenance',
  'translation_annotator',
  'translation_corrected_at',
  'predicted_translation',
  'translation_model_version',
  'translation_predicted_at',
  'bounds_provenance',
  'corrected',
]

/** CSV with one row per utterance; `start`, `end`, `text` columns make it importable as segmentation. */
export function toCsvText(records: ExportRecord[]): string {
  const rows: CsvCell[][] = records.map((r) => {
    const pe = r.emotionPrediction
    const pt = r.translationPrediction
    const c = r.corrections
    return [
      r.mediaName,
      r.mediaId,
      r.utteranceId,
      r.index,
      (ms(r.start) / 1000).toFixed(3),
      (ms(r.end) / 1000).toFixed(3),
      r.transcript,
      r.transcriptProvenance,
      c.transcript?.annotator,
      c.transcript?.at,
      r.emotion,
      r.emotionProvenance,
      c.emotion?.annotator,
      c.emotion?.at,
      pe?.label,
      pe ? Math.max(...Object.values(pe.probabilities), 0).toFixed(4) : null,
      pe ? JSON.stringify(pe.probabilities) : null,
      pe?.modelVersion,
      pe?.createdAt,
      r.translation,
      r.translationProvenance,
      c.translation?.annotator,
      c.translation?.at,
      pt?.text,
      pt?.modelVersion,
      pt?.createdAt,
      r.boundsProvenance,
      r.corrected,
    ]
  })
  return toCsv(CSV_HEADER, rows)
}

const MIME: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.mpg': 'video/mpeg',
  '.mpeg': 'video/mpeg',
  '.mov': 'video/quicktime',
  '.wav': 'audio/x-wav',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.ogg': 'audio/ogg',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
}

/** The tiers of an exported EAF, each with the linguistic type it references. */
export const EAF_TIERS = [
  { id: 'transcript', type: 'transcript' },
  { id: 'emotion', type: 'emotion' },
  { id: 'translation', type: 'translation' },
  { id: 'emotion-model', type: 'emotion' },
  { id: 'translation-model', type: 'translation' },
] as const
type EafTierId = (typeof EAF_TIERS)[number]['id']

/** Id of the controlled vocabulary of emotion labels (the `emotion` linguistic type uses it). */
export const EAF_EMOTION_CV = 'emotion-labels'

/** The four standard ELAN constraints every EAF file declares: stereotype and description. */
const EAF_CONSTRAINTS: [string, string][] = [
  [
    'Time_Subdivision',
    "Time subdivision of parent annotation's time interval, no time gaps allowed within this interval",
  ],
  [
    'Symbolic_Subdivision',
    'Symbolic subdivision of a parent annotation. Annotations refering to the same parent are ordered',
  ],
  ['Symbolic_Association', '1-1 association with a parent annotation'],
  [
    'Included_In',
    "Time alignable annotations within the parent annotation's time interval, gaps are allowed",
  ],
]

/**
 * ELAN EAF 3.0 for one media file: a TIME_ORDER with one slot pair per annotation and five
 * time-aligned tiers of ALIGNABLE_ANNOTATIONs. The review state is carried by the tier: `emotion`
 * and `translation` hold only human-set values (corrected or accepted), `emotion-model` and
 * `translation-model` the unreviewed model outputs; `transcript` holds the transcript (imported,
 * corrected or empty for a VAD cut). Every linguistic type the tiers reference is declared; the
 * emotion labels are a controlled vocabulary, and each emotion annotation points at its entry
 * (CVE_REF). Elements follow the order of the EAF 3.0 schema. Every value is passed to the XML
 * serializer as data; nothing is concatenated into markup.
 */
export function toEaf(
  records: ExportRecord[],
  opts: { mediaPath: string; eafPath: string; author: string; date?: Date },
): string {
  const slots: { id: string; t: number }[] = []
  const slot = (t: number) => {
    const s = { id: '', t: ms(t) }
    slots.push(s)
    return s
  }
  // The controlled vocabulary: the standard label set plus any other label the records use.
  const labels = [...EMOTIONS] as string[]
  for (const r of records)
    for (const l of [r.emotion, r.emotionPrediction?.label])
      if (l != null && !labels.includes(l)) labels.push(l)
  const cveId = (label: string) => `cve${labels.indexOf(label) + 1}`
  let annId = 0
  type Ann = { value: string; s1: { id: string }; s2: { id: string }; id: string; cve?: string }
  const tiers = Object.fromEntries(EAF_TIERS.map((t) => [t.id, [] as Ann[]])) as Record<EafTierId, Ann[]>
  for (const r of records) {
    const add = (tier: EafTierId, value: string | null | undefined) => {
      if (value == null) return
      const isEmotion = tier === 'emotion' || tier === 'emotion-model'
      tiers[tier].push({
        value,
        s1: slot(r.start),
        s2: slot(r.end),
        id: `a${++annId}`,
        cve: isEmotion ? cveId(value) : undefined,
      })
    }
    add('transcript', r.transcript)
    if (isHuman(r.emotionProvenance)) add('emotion', r.emotion)
    else if (r.emotionProvenance === 'model') add('emotion-model', r.emotion)
    if (isHuman(r.translationProvenance)) add('translation', r.translation)
    else if (r.translationProvenance === 'model') add('translation-model', r.translation)
  }
  // Slot ids in time order (ELAN keeps TIME_ORDER sorted); ties keep creation order (start before end).
  slots
    .map((s, i) => ({ s, i }))
    .sort((a, b) => a.s.t - b.s.t || a.i - b.i)
    .forEach(({ s }, k) => (s.id = `ts${k + 1}`))
  const ordered = [...slots].sort((a, b) => Number(a.id.slice(2)) - Number(b.id.slice(2)))
  const rel = path.relative(path.dirname(opts.eafPath), opts.mediaPath).split(path.sep).join('/')
  const ext = path.extname(opts.mediaPath).toLowerCase()
  const date = (opts.date ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z')
  const tier = ({ id, type }: (typeof EAF_TIERS)[number]) =>
    el(
      'TIER',
      { LINGUISTIC_TYPE_REF: type, TIER_ID: id, ANNOTATOR: id.endsWith('-model') ? 'model' : opts.author },
      tiers[id].map((a) =>
        el('ANNOTATION', {}, [
          el(
            'ALIGNABLE_ANNOTATION',
            { ANNOTATION_ID: a.id, TIME_SLOT_REF1: a.s1.id, TIME_SLOT_REF2: a.s2.id, CVE_REF: a.cve },
            [el('ANNOTATION_VALUE', {}, [a.value])],
          ),
        ]),
      ),
    )
  const linguisticType = (id: string, cv?: string) =>
    el('LINGUISTIC_TYPE', {
      GRAPHIC_REFERENCES: 'false',
      LINGUISTIC_TYPE_ID: id,
      TIME_ALIGNABLE: 'true',
      CONTROLLED_VOCABULARY_REF: cv,
    })
  const doc = el(
    'ANNOTATION_DOCUMENT',
    {
      AUTHOR: opts.author,
      DATE: date,
      FORMAT: '3.0',
      VERSION: '3.0',
      'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
      'xsi:noNamespaceSchemaLocation': 'http://www.mpi.nl/tools/elan/EAFv3.0.xsd',
    },
    [
      el('HEADER', { MEDIA_FILE: '', TIME_UNITS: 'milliseconds' }, [
        el('MEDIA_DESCRIPTOR', {
          MEDIA_URL: pathToFileURL(opts.mediaPath).href,
          MIME_TYPE: MIME[ext] ?? 'unknown',
          RELATIVE_MEDIA_URL: path.isAbsolute(rel) ? null : rel.startsWith('.') ? rel : `./${rel}`,
        }),
        el('PROPERTY', { NAME: 'lastUsedAnnotationId' }, [String(annId)]),
      ]),
      el(
        'TIME_ORDER',
        {},
        ordered.map((s) => el('TIME_SLOT', { TIME_SLOT_ID: s.id, TIME_VALUE: s.t })),
      ),
      ...EAF_TIERS.map(tier),
      linguisticType('transcript'),
      linguisticType('emotion', EAF_EMOTION_CV),
      linguisticType('translation'),
      el('LANGUAGE', {
        LANG_DEF: 'http://cdb.iso.org/lg/CDB-00130975-001',
        LANG_ID: 'und',
        LANG_LABEL: 'undetermined (und)',
      }),
      ...EAF_CONSTRAINTS.map(([STEREOTYPE, DESCRIPTION]) => el('CONSTRAINT', { DESCRIPTION, STEREOTYPE })),
      el('CONTROLLED_VOCABULARY', { CV_ID: EAF_EMOTION_CV }, [
        el('DESCRIPTION', { LANG_REF: 'und' }, ['Emotion labels of Fusion Workstation']),
        ...labels.map((l) =>
          el('CV_ENTRY_ML', { CVE_ID: cveId(l) }, [
            el('CVE_VALUE', { DESCRIPTION: '', LANG_REF: 'und' }, [l]),
          ]),
        ),
      ]),
    ],
  )
  return serialize(doc)
}
