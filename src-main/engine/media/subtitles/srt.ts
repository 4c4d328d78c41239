/**
 * SubRip (.srt) parsing, pure over a string. Tolerant of what real files contain (missing or wrong
 * index numbers, '.' instead of ',', 1-digit hours, position suffixes "X1:..", blank lines inside a
 * cue's text, no final blank line) and strict where guessing would be wrong: a time line that cannot
 * be read, or text before the first cue, is a BAD_SUBTITLE error naming the line.
 */
import { addCue, badSubtitle, normalizeNewlines, parseTime, type Cue, type ParseOptions } from './cue'

const TIME_LINE = /^\s*(\S+)\s*-->\s*(\S+)(?:\s+.*)?$/

/** A line that tries to be a time line ("00:00:03,000 -> 00:00:04,000") but has no proper arrow. */
const NEAR_TIME_LINE = /^\s*\d+:\d+[:.,]\S*\s*(-+>|—>|–>|-\s+->|=>)/

/** Parse SRT text into cues (times in seconds, tags stripped unless keepTags). */
export function parseSrt(text: string, opts: ParseOptions = {}): Cue[] {
  const lines = normalizeNewlines(text).split('\n')
  const cues: Cue[] = []
  let cur: { start: number; end: number; lines: string[] } | null = null
  // Line number of a cue number that opened a block and still waits for its time line.
  let awaitingTime = -1
  const flush = () => {
    if (!cur) return
    while (cur.lines.length && cur.lines.at(-1)!.trim() === '') cur.lines.pop()
    const body = cur.lines.join('\n')
    addCue(cues, cur.start, cur.end, body, opts)
    cur = null
  }
  let prevBlank = true
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const t = line.trim()
    if (line.includes('-->')) {
      const m = TIME_LINE.exec(line)
      const start = m ? parseTime(m[1]!) : null
      const end = m ? parseTime(m[2]!) : null
      if (start === null || end === null)
        throw badSubtitle(
          opts.file,
          i + 1,
          `cannot read the time line "${t}" (expected "00:00:01,000 --> 00:00:02,500")`,
        )
      if (cur) {
        // The cue number just before this time line belongs to this cue, not to the previous text.
        const last = (cur as { lines: string[] }).lines
        while (last.length && last.at(-1)!.trim() === '') last.pop()
        if (last.length && /^\s*\d+\s*$/.test(last.at(-1)!)) last.pop()
      }
      flush()
      cur = { start, end, lines: [] }
      awaitingTime = -1
      prevBlank = false
      continue
    }
    if (NEAR_TIME_LINE.test(line))
      throw badSubtitle(
        opts.file,
        i + 1,
        `cannot read the time line "${t}" (expected "00:00:01,000 --> 00:00:02,500")`,
      )
    if (awaitingTime >= 0 && t !== '')
      throw badSubtitle(
        opts.file,
        i + 1,
        `cue number ${lines[awaitingTime]!.trim()} (line ${awaitingTime + 1}) must be followed by a time line like "00:00:01,000 --> 00:00:02,500", found "${t.slice(0, 60)}"`,
      )
    if (prevBlank && /^\d+$/.test(t)) awaitingTime = i
    prevBlank = t === ''
    if (cur) {
      cur.lines.push(line)
      continue
    }
    if (t === '' || /^\d+$/.test(t)) continue
    throw badSubtitle(
      opts.file,
      i + 1,
      `expected a cue number or a time line like "00:00:01,000 --> 00:00:02,500", found "${t.slice(0, 60)}"`,
    )
  }
  flush()
  if (!cues.length && lines.some((l) => l.trim() !== ''))
    throw badSubtitle(opts.file, 1, 'no cues found (no "-->" time lines)')
  return cues
}
