/**
 * Transcript tables (.csv / .tsv) → cues, pure over a string. Columns are found by header name
 * (start/begin/onset/StartTime…, end/stop/offset/EndTime…, text/transcript/utterance…, optional
 * speaker) or, without a header, taken as start,end,text. Times may be seconds ("12.5") or clock
 * time ("00:00:12,500"). Quoted fields (with "" escapes and line breaks) follow RFC 4180.
 * A row whose time cannot be read is a BAD_SUBTITLE error naming the line.
 */
import { addCue, badSubtitle, normalizeNewlines, parseTime, type Cue, type ParseOptions } from './cue'

interface Row {
  fields: string[]
  line: number
}

/** Split delimited text into rows of fields, tracking each row's first line number (1-based). */
export function parseDelimited(text: string, delimiter: string, file?: string): Row[] {
  const rows: Row[] = []
  let fields: string[] = []
  let field = ''
  let quoted = false
  let line = 1
  let rowLine = 1
  let quoteLine = 1
  /** The current unquoted field holds something other than blanks (a quote then is literal). */
  let fieldStarted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i++
        } else quoted = false
      } else {
        if (ch === '\n') line++
        field += ch
      }
      continue
    }
    if (ch === '"' && !fieldStarted) {
      quoted = true
      fieldStarted = true
      field = ''
      quoteLine = line
    } else if (ch === delimiter) {
      fields.push(field)
      field = ''
      fieldStarted = false
    } else if (ch === '\n') {
      fields.push(field)
      rows.push({ fields, line: rowLine })
      fields = []
      field = ''
      fieldStarted = false
      line++
      rowLine = line
    } else {
      field += ch
      if (ch !== ' ' && ch !== '\t') fieldStarted = true
    }
  }
  if (quoted) throw badSubtitle(file, quoteLine, 'a quoted field is never closed (missing ")')
  if (field !== '' || fields.length) {
    fields.push(field)
    rows.push({ fields, line: rowLine })
  }
  return rows.filter((r) => r.fields.some((f) => f.trim() !== ''))
}

const START = /^(start|begin|onset|from|tmin|start[ _-]?time|begin[ _-]?time|start[ _-]?(sec|s|seconds))$/i
const END = /^(end|stop|offset|to|tmax|end[ _-]?time|stop[ _-]?time|end[ _-]?(sec|s|seconds))$/i
const TEXT = /^(text|transcript|transcription|utterance|sentence|caption|subtitle|words?|content)$/i
const SPEAKER = /^(speaker|participant|spk|voice)$/i

function detectDelimiter(firstLine: string): string {
  const counts = [',', '\t', ';', '|'].map((d) => [d, firstLine.split(d).length - 1] as const)
  counts.sort((a, b) => b[1] - a[1])
  return counts[0]![1] > 0 ? counts[0]![0] : ','
}

/** Parse a start,end,text table into cues. */
export function parseCsv(text: string, opts: ParseOptions & { delimiter?: string } = {}): Cue[] {
  const norm = normalizeNewlines(text)
  const delimiter = opts.delimiter ?? detectDelimiter(norm.split('\n', 1)[0] ?? '')
  const rows = parseDelimited(norm, delimiter, opts.file)
  if (!rows.length) return []
  const head = rows[0]!.fields.map((f) => f.trim())
  const headerLike = head.some((h) => START.test(h) || TEXT.test(h)) && parseTime(head[0] ?? '') === null
  let si = 0
  let ei = 1
  let ti = 2
  let spk = -1
  let body = rows
  if (headerLike) {
    si = head.findIndex((h) => START.test(h))
    ei = head.findIndex((h) => END.test(h))
    ti = head.findIndex((h) => TEXT.test(h))
    spk = head.findIndex((h) => SPEAKER.test(h))
    if (si < 0 || ei < 0)
      throw badSubtitle(
        opts.file,
        rows[0]!.line,
        `the header "${head.join(delimiter)}" has no ${si < 0 ? 'start' : 'end'} time column (expected e.g. start,end,text)`,
      )
    body = rows.slice(1)
  }
  const cues: Cue[] = []
  for (const r of body) {
    const f = r.fields
    const start = parseTime(f[si] ?? '')
    const end = parseTime(f[ei] ?? '')
    if (start === null || end === null) {
      const bad = start === null ? f[si] : f[ei]
      throw badSubtitle(
        opts.file,
        r.line,
        `cannot read the ${start === null ? 'start' : 'end'} time "${(bad ?? '').trim()}" (expected seconds like 12.5 or a time like 00:00:12.500)`,
      )
    }
    const raw = ti >= 0 ? (f[ti] ?? '') : ''
    addCue(cues, start, end, raw, opts, (spk >= 0 && f[spk]?.trim()) || undefined)
  }
  return cues
}
