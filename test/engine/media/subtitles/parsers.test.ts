import { describe, expect, it } from 'vitest'
import {
  cleanCues,
  parseCsv,
  parseEaf,
  parseEafTiers,
  parseSrt,
  parseTime,
  parseVtt,
  stripTags,
  type Cue,
} from '../../../../src-main/engine/media/subtitles'
import { MediaError } from '../../../../src-main/engine/media/errors'

function badLine(fn: () => unknown): { line: number | undefined; message: string } {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(MediaError)
    expect((e as MediaError).code).toBe('BAD_SUBTITLE')
    return { line: (e as MediaError).line, message: (e as MediaError).message }
  }
  throw new Error('expected BAD_SUBTITLE')
}

describe('parseTime', () => {
  it('reads the clock formats subtitle files use', () => {
    expect(parseTime('00:00:01,500')).toBe(1.5)
    expect(parseTime('01:02:03.04')).toBe(3723.04)
    expect(parseTime('0:00:02.5')).toBe(2.5)
    expect(parseTime('02:03.250')).toBe(123.25)
    expect(parseTime('12.75')).toBe(12.75)
    expect(parseTime('00:61:00,000')).toBeNull()
    expect(parseTime('aa:bb')).toBeNull()
  })
})

describe('stripTags', () => {
  it('removes HTML-ish and ASS markup, decodes entities, keeps line breaks', () => {
    expect(stripTags('<i>Hello</i> <font color="#ff0000">there</font>')).toBe('Hello there')
    expect(stripTags('{\\an8}Top line\\Nsecond')).toBe('Top line\nsecond')
    expect(stripTags('<v Roger Bingham>We &amp; you &lt;3</v>')).toBe('We & you <3')
    expect(stripTags('<c.yellow>Karaoke</c> <00:00:01.500>word')).toBe('Karaoke word')
    expect(stripTags('  spaced   out \n\n  lines ')).toBe('spaced out\nlines')
    expect(stripTags('5 < 6 and 7 > 3')).toBe('5 < 6 and 7 > 3')
  })
})

describe('parseSrt', () => {
  it('parses BOM, CRLF, tags, multi-line text and dot separators', () => {
    const text =
      '\uFEFF1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hello</i>\r\nworld\r\n\r\n2\r\n00:00:03.000 --> 00:00:04.000 X1:10 X2:20 Y1:5 Y2:9\r\nSecond &amp; last\r\n'
    expect(parseSrt(text)).toEqual([
      { start: 1, end: 2.5, text: 'Hello\nworld' },
      { start: 3, end: 4, text: 'Second & last' },
    ])
  })
  it('tolerates missing indices, extra blank lines, blank lines inside text, no final newline', () => {
    const text =
      '\n\n00:00:01,000 --> 00:00:02,000\nOne\n\n\n\n7\n00:00:02,000 --> 00:00:03,000\nTwo\n\nstill two\n3\n00:00:04,000 --> 00:00:05,000\nThree'
    expect(parseSrt(text).map((c) => c.text)).toEqual(['One', 'Two\nstill two', 'Three'])
  })
  it('keeps tags when asked', () => {
    expect(parseSrt('1\n00:00:01,000 --> 00:00:02,000\n<b>x</b>\n', { keepTags: true })[0]!.text).toBe(
      '<b>x</b>',
    )
  })
  it('names the line of a malformed file', () => {
    const broken =
      '1\n00:00:01,000 --> 00:00:02,000\nHello\n\n2\n00:00:03,000 -> 00:0x:04,000\nBroken arrow\n'
    const e = badLine(() => parseSrt(broken, { file: 'movie.srt' }))
    expect(e.line).toBe(6)
    expect(e.message).toMatch(/^movie\.srt, line 6: cannot read the time line/)
    expect(badLine(() => parseSrt('1\n00:00:01,000 --> 00:99:02,000\nx\n')).line).toBe(2)
    expect(badLine(() => parseSrt('Just some notes\nabout a film\n')).line).toBe(1)
    expect(badLine(() => parseSrt('1\nno time here\n')).line).toBe(2)
  })
  it('an empty or whitespace file has no cues', () => {
    expect(parseSrt('')).toEqual([])
    expect(parseSrt('\n\r\n  \n')).toEqual([])
  })
})

describe('parseVtt', () => {
  it('parses header, NOTE/STYLE blocks, identifiers, settings, voices and short times', () => {
    const text = [
      'WEBVTT - a title',
      'Kind: captions',
      '',
      'STYLE',
      '::cue { color: yellow }',
      '',
      'NOTE this is a comment',
      'spanning lines',
      '',
      'intro',
      '00:01.000 --> 00:02.500 align:start position:10%',
      '<v Roger>Hi <b>there</b></v>',
      '',
      '00:00:03.000 --> 00:00:04.250',
      'Line one',
      'Line two',
      '',
    ].join('\r\n')
    expect(parseVtt(text)).toEqual([
      { start: 1, end: 2.5, text: 'Hi there', speaker: 'Roger' },
      { start: 3, end: 4.25, text: 'Line one\nLine two' },
    ])
  })
  it('requires the WEBVTT header and names bad time lines', () => {
    expect(badLine(() => parseVtt('00:01.000 --> 00:02.000\nx\n')).line).toBe(1)
    expect(
      badLine(() => parseVtt('WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\nid\n00:0a.000 --> 00:03.000\nbad\n'))
        .line,
    ).toBe(7)
  })
})

describe('parseCsv', () => {
  it('reads start,end,text with a header, quotes, embedded commas/newlines and clock times', () => {
    const text =
      'start,end,text,speaker\r\n1.5,3,"Hello, world",A\r\n"00:00:04,000",00:00:05.5,"She said ""hi""\nthen left",B\r\n'
    expect(parseCsv(text)).toEqual([
      { start: 1.5, end: 3, text: 'Hello, world', speaker: 'A' },
      { start: 4, end: 5.5, text: 'She said "hi"\nthen left', speaker: 'B' },
    ])
  })
  it('reads header-less rows, tabs and semicolons, and MELD-style column names', () => {
    expect(parseCsv('0.5\t1.5\tone\n2\t3\ttwo\n')).toEqual([
      { start: 0.5, end: 1.5, text: 'one' },
      { start: 2, end: 3, text: 'two' },
    ])
    expect(parseCsv('begin;stop;transcript\n1;2;x\n')).toEqual([{ start: 1, end: 2, text: 'x' }])
    const meld =
      'Sr No.,Utterance,Speaker,Emotion,StartTime,EndTime\n1,"Oh my God, he’s lost it.",Monica,surprise,"00:20:57,256","00:21:00,049"\n'
    expect(parseCsv(meld)).toEqual([
      { start: 1257.256, end: 1260.049, text: 'Oh my God, he’s lost it.', speaker: 'Monica' },
    ])
  })
  it('names the line of a bad time and of an unclosed quote', () => {
    const e = badLine(() => parseCsv('start,end,text\n1,2,ok\n3,four,bad\n', { file: 't.csv' }))
    expect(e.line).toBe(3)
    expect(e.message).toMatch(/t\.csv, line 3: cannot read the end time "four"/)
    expect(badLine(() => parseCsv('start,end,text\n1,2,"multi\nline\n3,4,x\n')).line).toBe(2)
    expect(badLine(() => parseCsv('from_here,text\n1,x\n')).line).toBe(1)
  })
})

const EAF = `<?xml version="1.0" encoding="UTF-8"?>
<ANNOTATION_DOCUMENT AUTHOR="" DATE="2024-01-01T00:00:00+00:00" FORMAT="3.0" VERSION="3.0">
  <HEADER MEDIA_FILE="" TIME_UNITS="milliseconds"/>
  <TIME_ORDER>
    <TIME_SLOT TIME_SLOT_ID="ts1" TIME_VALUE="1000"/>
    <TIME_SLOT TIME_SLOT_ID="ts2" TIME_VALUE="2500"/>
    <TIME_SLOT TIME_SLOT_ID="ts3" TIME_VALUE="3000"/>
    <TIME_SLOT TIME_SLOT_ID="ts4"/>
    <TIME_SLOT TIME_SLOT_ID="ts5" TIME_VALUE="5000"/>
    <TIME_SLOT TIME_SLOT_ID="ts6" TIME_VALUE="1200"/>
    <TIME_SLOT TIME_SLOT_ID="ts7" TIME_VALUE="2000"/>
  </TIME_ORDER>
  <!-- <TIER TIER_ID="commented out"/> -->
  <TIER LINGUISTIC_TYPE_REF="default-lt" PARTICIPANT="Anna" TIER_ID="Transcription-A">
    <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a1" TIME_SLOT_REF1="ts1" TIME_SLOT_REF2="ts2">
      <ANNOTATION_VALUE>Hello &amp; welcome</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
    <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a2" TIME_SLOT_REF1="ts3" TIME_SLOT_REF2="ts4">
      <ANNOTATION_VALUE>Second part</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
    <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a3" TIME_SLOT_REF1="ts4" TIME_SLOT_REF2="ts5">
      <ANNOTATION_VALUE></ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
  </TIER>
  <TIER LINGUISTIC_TYPE_REF="translation" PARENT_REF="Transcription-A" TIER_ID="Translation-A">
    <ANNOTATION><REF_ANNOTATION ANNOTATION_ID="r1" ANNOTATION_REF="a1">
      <ANNOTATION_VALUE>Hallo und willkommen</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION>
  </TIER>
  <TIER LINGUISTIC_TYPE_REF="default-lt" PARTICIPANT="Ben" TIER_ID="Transcription-B">
    <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="b1" TIME_SLOT_REF1="ts6" TIME_SLOT_REF2="ts7">
      <ANNOTATION_VALUE><![CDATA[Hi <there>]]></ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
  </TIER>
  <TIER LINGUISTIC_TYPE_REF="gesture" TIER_ID="Gestures"/>
  <LINGUISTIC_TYPE GRAPHIC_REFERENCES="false" LINGUISTIC_TYPE_ID="default-lt" TIME_ALIGNABLE="true"/>
</ANNOTATION_DOCUMENT>
`

describe('parseEaf', () => {
  it('reads tiers, interpolates unaligned slots and resolves reference annotations', () => {
    const tiers = parseEafTiers(EAF)
    expect(tiers.map((t) => [t.id, t.participant, t.parent, t.cues.length])).toEqual([
      ['Transcription-A', 'Anna', null, 3],
      ['Translation-A', null, 'Transcription-A', 1],
      ['Transcription-B', 'Ben', null, 1],
      ['Gestures', null, null, 0],
    ])
    expect(tiers[0]!.cues[1]).toEqual({ start: 3, end: 4, text: 'Second part', speaker: 'Anna' })
    expect(tiers[1]!.cues).toEqual([{ start: 1, end: 2.5, text: 'Hallo und willkommen' }])
    expect(tiers[1]!.alignable).toBe(false)
  })
  it('picks the transcript tiers of all speakers by default, or the named tier', () => {
    expect(parseEaf(EAF)).toEqual([
      { start: 1, end: 2.5, text: 'Hello & welcome', speaker: 'Anna' },
      { start: 1.2, end: 2, text: 'Hi', speaker: 'Ben' },
      { start: 3, end: 4, text: 'Second part', speaker: 'Anna' },
      { start: 4, end: 5, text: '', speaker: 'Anna' },
    ])
    expect(parseEaf(EAF, { tier: 'Translation-A' })).toEqual([
      { start: 1, end: 2.5, text: 'Hallo und willkommen' },
    ])
    expect(parseEaf(EAF, { tier: 'Transcription-B', keepTags: true })[0]!.text).toBe('Hi <there>')
    expect(badLine(() => parseEaf(EAF, { tier: 'Nope' })).message).toMatch(/no tier "Nope".*Transcription-A/)
  })
  it('rejects non-ELAN XML and dangling references, naming the line', () => {
    expect(badLine(() => parseEaf('<?xml version="1.0"?><html></html>')).line).toBe(1)
    const dangling = EAF.replace('TIME_SLOT_REF2="ts7"', 'TIME_SLOT_REF2="ts99"')
    const e = badLine(() => parseEaf(dangling, { file: 'x.eaf' }))
    expect(e.line).toBe(27)
    expect(e.message).toMatch(
      /x\.eaf, line 27: annotation b1 refers to a time slot that does not exist \(ts99\)/,
    )
  })
})

describe('cleanCues', () => {
  const cues: Cue[] = [
    { start: 5, end: 6, text: 'b' },
    { start: 1, end: 2, text: 'a' },
    { start: 3, end: 3, text: 'zero' },
    { start: 4, end: 3.5, text: 'reversed' },
    { start: 5, end: 6, text: 'b' },
    { start: 5.5, end: 7, text: 'overlap' },
    { start: 9, end: 12, text: 'past end' },
    { start: 12, end: 13, text: 'after end' },
  ]
  it('sorts, drops zero-length/reversed/duplicate/after-end cues, clips past-end cues, keeps overlaps', () => {
    const r = cleanCues(cues, { durationSec: 10 })
    expect(r.cues.map((c) => [c.start, c.end, c.text])).toEqual([
      [1, 2, 'a'],
      [5, 6, 'b'],
      [5.5, 7, 'overlap'],
      [9, 10, 'past end'],
    ])
    expect(r.warnings).toEqual([
      '1 zero-length cue(s) dropped',
      '1 cue(s) ending before they start dropped',
      '1 duplicate cue(s) dropped',
      '1 cue(s) starting after the end of the media dropped',
      '1 cue(s) running past the end of the media clipped',
      '1 overlapping cue(s) kept as they are',
    ])
  })
  it('trims or merges overlaps when asked', () => {
    expect(
      cleanCues(cues, { overlap: 'trim' })
        .cues.slice(1, 3)
        .map((c) => [c.start, c.end]),
    ).toEqual([
      [5, 5.5],
      [5.5, 7],
    ])
    expect(cleanCues(cues, { overlap: 'merge' }).cues[1]).toEqual({ start: 5, end: 7, text: 'b\noverlap' })
  })
})

/** An EAF document with `n` aligned annotations on one tier (and `n` slots), written as ELAN does. */
function bigEaf(n: number): string {
  const slots: string[] = []
  const anns: string[] = []
  for (let i = 0; i < n; i++) {
    slots.push(`<TIME_SLOT TIME_SLOT_ID="ts${2 * i + 1}" TIME_VALUE="${i * 1000}"/>`)
    slots.push(`<TIME_SLOT TIME_SLOT_ID="ts${2 * i + 2}" TIME_VALUE="${i * 1000 + 800}"/>`)
    anns.push(
      `<ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a${i}" TIME_SLOT_REF1="ts${2 * i + 1}" TIME_SLOT_REF2="ts${2 * i + 2}"><ANNOTATION_VALUE>word ${i} &amp; more</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>`,
    )
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ANNOTATION_DOCUMENT FORMAT="3.0">\n<HEADER TIME_UNITS="milliseconds"/>\n<TIME_ORDER>\n${slots.join('\n')}\n</TIME_ORDER>\n<TIER TIER_ID="Transcription" PARTICIPANT="A">\n${anns.join('\n')}\n</TIER>\n</ANNOTATION_DOCUMENT>\n`
}

describe('parseEaf: linear time, well-formedness', () => {
  it('reads 20,000 annotations in well under 2 s', () => {
    const text = bigEaf(20_000)
    // CPU time, not wall time: the test machine is shared (about 0.2 s of CPU here; the old
    // regex reader took over 5 minutes).
    const c0 = process.cpuUsage()
    const cues = parseEaf(text)
    const c = process.cpuUsage(c0)
    expect(cues).toHaveLength(20_000)
    expect(cues[19_999]).toEqual({ start: 19_999, end: 19_999.8, text: 'word 19999 & more', speaker: 'A' })
    expect((c.user + c.system) / 1000).toBeLessThan(2000)
  })
  it('an element that is never closed is an error naming its line, not an empty success', () => {
    const unclosed = bigEaf(2).replace('</ANNOTATION_DOCUMENT>\n', '') + '<TIER TIER_ID="x">\n'.repeat(20_000)
    const c0 = process.cpuUsage()
    const e = badLine(() => parseEaf(unclosed, { file: 'u.eaf' }))
    const c = process.cpuUsage(c0)
    expect((c.user + c.system) / 1000).toBeLessThan(2000)
    expect(e.message).toMatch(/u\.eaf, line \d+: element <TIER> is never closed/)
    expect(
      badLine(() => parseEaf('<ANNOTATION_DOCUMENT><TIER TIER_ID="a"></ANNOTATION_DOCUMENT>')).message,
    ).toMatch(/end tag <\/ANNOTATION_DOCUMENT> does not match <TIER> opened on line 1/)
    expect(badLine(() => parseEaf('<ANNOTATION_DOCUMENT><TIER TIER_ID="a"')).message).toMatch(/never closed/)
    expect(badLine(() => parseEaf('<ANNOTATION_DOCUMENT><!-- open')).message).toMatch(
      /comment is never closed/,
    )
  })
  it('unresolved references and reference cycles are errors', () => {
    const noSlot = EAF.replace('TIME_SLOT_REF1="ts3"', 'TIME_SLOT_REF1="nope"')
    expect(badLine(() => parseEaf(noSlot)).message).toMatch(
      /a2 refers to a time slot that does not exist \(nope\)/,
    )
    const cycle = EAF.replace(
      '<TIER LINGUISTIC_TYPE_REF="gesture" TIER_ID="Gestures"/>',
      '<TIER TIER_ID="G" PARENT_REF="Translation-A"><ANNOTATION><REF_ANNOTATION ANNOTATION_ID="c1" ANNOTATION_REF="c2"><ANNOTATION_VALUE>x</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION><ANNOTATION><REF_ANNOTATION ANNOTATION_ID="c2" ANNOTATION_REF="c1"><ANNOTATION_VALUE>y</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION></TIER>',
    )
    expect(badLine(() => parseEafTiers(cycle)).message).toMatch(/reference cycle/)
    // A chain deeper than a few levels still resolves to the aligned annotation's times.
    let chain = ''
    for (let i = 1; i <= 12; i++)
      chain += `<ANNOTATION><REF_ANNOTATION ANNOTATION_ID="d${i}" ANNOTATION_REF="${i === 1 ? 'a1' : `d${i - 1}`}"><ANNOTATION_VALUE>v${i}</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION>`
    const deep = EAF.replace(
      '<TIER LINGUISTIC_TYPE_REF="gesture" TIER_ID="Gestures"/>',
      `<TIER TIER_ID="Deep" PARENT_REF="Transcription-A">${[
        ...chain.matchAll(/<ANNOTATION>.*?<\/ANNOTATION>/g),
      ]
        .reverse()
        .map((m) => m[0])
        .join('')}</TIER>`,
    )
    const d = parseEafTiers(deep).find((t) => t.id === 'Deep')!
    expect(d.cues).toHaveLength(12)
    for (const c of d.cues) expect([c.start, c.end]).toEqual([1, 2.5])
  })
  it('stops at maxCues with SUBTITLE_TOO_LARGE', () => {
    expect(() => parseEaf(bigEaf(50), { maxCues: 10, limitReason: 'for 1.0 s of media' })).toThrow(
      expect.objectContaining({
        code: 'SUBTITLE_TOO_LARGE',
        message: expect.stringMatching(/more than 10 cues for 1\.0 s/),
      }),
    )
  })
})

describe('cue limits and dropped cues', () => {
  it('a 100,000-cue SRT stops at the limit quickly', () => {
    const lines: string[] = []
    for (let i = 0; i < 100_000; i++) lines.push(`${i + 1}\n00:00:01,000 --> 00:00:02,000\ncue ${i}\n`)
    const text = lines.join('\n')
    const c0 = process.cpuUsage()
    expect(() => parseSrt(text, { maxCues: 2000 })).toThrow(
      expect.objectContaining({ code: 'SUBTITLE_TOO_LARGE' }),
    )
    const c = process.cpuUsage(c0)
    expect((c.user + c.system) / 1000).toBeLessThan(1000)
    expect(() => parseVtt('WEBVTT\n\n' + text.replace(/,000/g, '.000'), { maxCues: 5 })).toThrow(
      expect.objectContaining({ code: 'SUBTITLE_TOO_LARGE' }),
    )
    expect(() => parseCsv('start,end,text\n' + '1,2,x\n'.repeat(10), { maxCues: 5 })).toThrow(
      expect.objectContaining({ code: 'SUBTITLE_TOO_LARGE' }),
    )
  })
  it('cleanCues counts every dropped cue by reason', () => {
    const r = cleanCues(
      [
        { start: 1, end: 2, text: 'ok' },
        { start: 3, end: 2, text: 'reversed' },
        { start: 2, end: 2, text: 'zero' },
        { start: NaN, end: 2, text: 'nan' },
        { start: 1, end: 2, text: 'ok' },
        { start: 11, end: 12, text: 'after' },
      ],
      { durationSec: 10 },
    )
    expect(r.cues).toHaveLength(1)
    expect(r.dropped).toEqual({
      'invalid-time': 1,
      'zero-length': 1,
      reversed: 1,
      duplicate: 1,
      'after-media-end': 1,
    })
    expect(r.warnings).toContain('1 cue(s) without a valid start/end time dropped')
    const trimmed = cleanCues(
      [
        { start: 1, end: 3, text: 'a' },
        { start: 1, end: 4, text: 'b' },
      ],
      { overlap: 'trim' },
    )
    expect(trimmed.cues).toHaveLength(1)
    expect(trimmed.dropped).toEqual({ 'trimmed-away': 1 })
  })
})
