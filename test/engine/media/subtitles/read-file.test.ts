import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import iconv from 'iconv-lite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeText, readSubtitleFile } from '../../../../src-main/engine/media/subtitles'
import { makeBadFiles, type BadFiles } from '../../../helpers/media-fixtures'

let dir: string
let bad: BadFiles
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fws-subs-'))
  bad = await makeBadFiles(path.join(dir, 'bad'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const FRENCH = [
  'Où êtes-vous allés hier soir ? Je suis resté à la maison.',
  'Ça dépend : le café était déjà fermé, hélas.',
  'Noël approche et les élèves préparent leurs cadeaux.',
]
const RUSSIAN = [
  'Где вы были вчера вечером? Я остался дома.',
  'Это зависит от того, что скажет начальник.',
  'Приближается зима, и ученики готовят подарки.',
]

function srt(lines: string[], eol = '\n'): string {
  return lines
    .map((t, i) => `${i + 1}${eol}00:00:0${i + 1},000 --> 00:00:0${i + 1},900${eol}${t}${eol}`)
    .join(eol)
}

describe('readSubtitleFile: encodings', () => {
  const cases: [string, string[], string, (s: string) => Buffer][] = [
    ['utf8.srt', FRENCH, 'UTF-8', (s) => Buffer.from(s, 'utf8')],
    [
      'utf8-bom.srt',
      FRENCH,
      'UTF-8',
      (s) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(s, 'utf8')]),
    ],
    [
      'utf16le-bom.srt',
      RUSSIAN,
      'UTF-16LE',
      (s) => Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(s, 'utf16le')]),
    ],
    [
      'utf16be-bom.srt',
      FRENCH,
      'UTF-16BE',
      (s) => Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode(s, 'utf16be')]),
    ],
    ['utf16le-nobom.srt', FRENCH, 'UTF-16LE', (s) => iconv.encode(s, 'utf16le')],
    ['latin1.srt', FRENCH, 'windows-1252', (s) => iconv.encode(s, 'windows-1252')],
    ['cp1251.srt', RUSSIAN, 'windows-1251', (s) => iconv.encode(s, 'windows-1251')],
  ]
  for (const [name, lines, encoding, encode] of cases) {
    it(`detects and converts ${name}`, async () => {
      const file = path.join(dir, name)
      await writeFile(file, encode(srt(lines, '\r\n')))
      const r = await readSubtitleFile(file)
      expect(r.format).toBe('srt')
      expect(r.encoding).toBe(encoding)
      expect(r.cues.map((c) => c.text)).toEqual(lines)
    })
  }

  it('uses a named encoding when given', async () => {
    const file = path.join(dir, 'forced.srt')
    await writeFile(file, iconv.encode(srt(RUSSIAN), 'koi8-r'))
    const r = await readSubtitleFile(file, { encoding: 'koi8-r' })
    expect(r.cues[0]!.text).toBe(RUSSIAN[0])
    await expect(readSubtitleFile(file, { encoding: 'klingon-8' })).rejects.toMatchObject({
      code: 'BAD_ENCODING',
    })
  })

  it('refuses binary data as BAD_ENCODING, naming the file', async () => {
    await expect(readSubtitleFile(bad.binarySrt)).rejects.toMatchObject({
      code: 'BAD_ENCODING',
      file: bad.binarySrt,
    })
    expect(() =>
      decodeText(Buffer.from([0x31, 0x0a, 0x00, 0x00, 0x00, 0x41, 0x42, 0x43, 0x44, 0x45]), 'x.srt'),
    ).toThrow(/binary data/)
  })
})

describe('readSubtitleFile: formats and errors', () => {
  it('detects the format by extension, else by content', async () => {
    const vtt = path.join(dir, 'captions.txt')
    await writeFile(vtt, 'WEBVTT\n\n00:01.000 --> 00:02.000\nhello\n')
    expect((await readSubtitleFile(vtt)).format).toBe('vtt')
    const tsv = path.join(dir, 'turns.tsv')
    await writeFile(tsv, 'start\tend\ttext\n0.5\t1.25\tfirst\n')
    expect(await readSubtitleFile(tsv)).toMatchObject({
      format: 'csv',
      cues: [{ start: 0.5, end: 1.25, text: 'first' }],
    })
    const unknown = path.join(dir, 'notes.txt')
    await writeFile(unknown, 'just some notes\n')
    await expect(readSubtitleFile(unknown)).rejects.toMatchObject({
      code: 'BAD_SUBTITLE',
      message: expect.stringMatching(/unknown subtitle format/),
    })
  })

  it('cleans cues against the media duration and reports what it changed', async () => {
    const file = path.join(dir, 'messy.srt')
    await writeFile(
      file,
      '1\n00:00:01,000 --> 00:00:01,000\nzero\n\n2\n00:00:02,000 --> 00:00:12,000\nlong\n\n3\n00:00:20,000 --> 00:00:21,000\nafter\n',
    )
    const r = await readSubtitleFile(file, { durationSec: 10 })
    expect(r.cues).toEqual([{ start: 2, end: 10, text: 'long' }])
    expect(r.warnings).toHaveLength(3)
  })

  it('reports malformed files with the line, and missing / empty / directory inputs', async () => {
    await expect(readSubtitleFile(bad.malformedSrt)).rejects.toMatchObject({
      code: 'BAD_SUBTITLE',
      line: 6,
      message: expect.stringContaining(`${bad.malformedSrt}, line 6:`),
    })
    await expect(readSubtitleFile(path.join(dir, 'nope.srt'))).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(readSubtitleFile(dir)).rejects.toMatchObject({ code: 'IS_DIRECTORY' })
    const empty = path.join(dir, 'empty.srt')
    await writeFile(empty, '')
    await expect(readSubtitleFile(empty)).rejects.toMatchObject({ code: 'EMPTY_FILE' })
  })

  it('lists ELAN tiers and which were used', async () => {
    const file = path.join(dir, 'session.eaf')
    await writeFile(
      file,
      `<?xml version="1.0" encoding="UTF-8"?><ANNOTATION_DOCUMENT><TIME_ORDER><TIME_SLOT TIME_SLOT_ID="a" TIME_VALUE="500"/><TIME_SLOT TIME_SLOT_ID="b" TIME_VALUE="1500"/></TIME_ORDER>
<TIER TIER_ID="utterances" LINGUISTIC_TYPE_REF="utt"><ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="x" TIME_SLOT_REF1="a" TIME_SLOT_REF2="b"><ANNOTATION_VALUE>Hej</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION></TIER>
<TIER TIER_ID="notes" LINGUISTIC_TYPE_REF="n"/></ANNOTATION_DOCUMENT>`,
    )
    const r = await readSubtitleFile(file)
    expect(r.cues).toEqual([{ start: 0.5, end: 1.5, text: 'Hej' }])
    expect(r.tiers).toEqual([
      { id: 'utterances', participant: null, count: 1, used: true },
      { id: 'notes', participant: null, count: 0, used: false },
    ])
  })
})

describe('readSubtitleFile: limits', () => {
  it('refuses a file over MAX_SUBTITLE_BYTES before reading it', async () => {
    const { truncate } = await import('node:fs/promises')
    const { MAX_SUBTITLE_BYTES } = await import('../../../../src-main/engine/media/subtitles')
    const big = path.join(dir, 'huge.srt')
    await writeFile(big, '1\n00:00:01,000 --> 00:00:02,000\nx\n')
    await truncate(big, MAX_SUBTITLE_BYTES + 1) // sparse: nothing is written
    await expect(readSubtitleFile(big)).rejects.toMatchObject({
      code: 'SUBTITLE_TOO_LARGE',
      message: expect.stringMatching(/huge\.srt is 64\.0 MiB; subtitle\/transcript files over 64 MiB/),
    })
  })
  it('applies the cue budget of the media duration and reports dropped cues', async () => {
    const f = path.join(dir, 'dense.srt')
    await writeFile(f, srt(['a', 'b', 'c']))
    const ok = await readSubtitleFile(f, { durationSec: 2.5 })
    expect(ok.cues.map((c) => c.text)).toEqual(['a', 'b'])
    expect(ok.dropped).toEqual({ 'after-media-end': 1 })
  })
})
