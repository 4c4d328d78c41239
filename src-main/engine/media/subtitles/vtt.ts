/**
 * WebVTT (.vtt) parsing, pure over a string: header check, NOTE / STYLE / REGION blocks skipped,
 * cue identifiers and settings ignored, <v Speaker> voice spans give the speaker, tags stripped.
 * A missing WEBVTT header or an unreadable time line is a BAD_SUBTITLE error naming the line.
 */
import { addCue, badSubtitle, normalizeNewlines, parseTime, type Cue, type ParseOptions } from './cue'

const TIME_LINE = /^\s*(\S+)\s+-->\s+(\S+)(?:\s+.*)?$/

/** Parse WebVTT text into cues. */
export function parseVtt(text: string, opts: ParseOptions = {}): Cue[] {
  const lines = normalizeNewlines(text).split('\n')
  if (!/^WEBVTT(?:[ \t].*)?$/.test(lines[0] ?? ''))
    throw badSubtitle(
      opts.file,
      1,
      `a WebVTT file must start with "WEBVTT", found "${(lines[0] ?? '').slice(0, 40)}"`,
    )
  const cues: Cue[] = []
  let i = 1
  // Header block: runs to the first blank line.
  while (i < lines.length && lines[i]!.trim() !== '') i++
  while (i < lines.length) {
    while (i < lines.length && lines[i]!.trim() === '') i++
    if (i >= lines.length) break
    const blockStart = i
    const block: string[] = []
    while (i < lines.length && lines[i]!.trim() !== '') block.push(lines[i++]!)
    if (/^(NOTE|STYLE|REGION)(\s|$)/.test(block[0]!)) continue
    const ti = block.findIndex((l) => l.includes('-->'))
    if (ti < 0 || ti > 1) continue // not a cue: the spec says to skip such blocks
    const m = TIME_LINE.exec(block[ti]!)
    const start = m ? parseTime(m[1]!) : null
    const end = m ? parseTime(m[2]!) : null
    if (start === null || end === null)
      throw badSubtitle(
        opts.file,
        blockStart + ti + 1,
        `cannot read the time line "${block[ti]!.trim()}" (expected "00:01.000 --> 00:02.500")`,
      )
    const body = block.slice(ti + 1).join('\n')
    const voice = /<v(?:\.[^\s>]*)?\s+([^>]+)>/.exec(body)
    addCue(cues, start, end, body, opts, voice ? voice[1]!.trim() : undefined)
  }
  return cues
}
