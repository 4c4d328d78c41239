/** The labelled-corpus format, MELD CSV reading (with mojibake repair) and parallel text. */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { findDataFile, missingDataMessage } from '../../../src-main/engine/datasets'
import {
  CorpusPathError,
  fixMojibake,
  parseCsv,
  readCorpus,
  readLabelled,
  readMeldCsv,
  resolveLabelledPath,
  writeCorpus,
} from '../../../src-main/engine/models/corpus'
import { emotionExamples } from '../../../src-main/engine/models/emotion'
import { tokenizeWords } from '../../../src-main/engine/models/word-vocab'

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'fws-corpus-'))

describe('corpus folder', () => {
  it('round-trips utterances and gives dialogue context by media order', () => {
    const dir = tmp()
    writeCorpus(dir, { name: 't', labelSets: { emotion: ['joy', 'anger'] } }, [
      { id: 'u2', media: 'a.mp4', start: 2, end: 3, text: 'second', labels: { emotion: 'anger' } },
      {
        id: 'u1',
        media: 'a.mp4',
        start: 0,
        end: 1,
        text: 'first',
        labels: { emotion: 'joy', translation: 'erste' },
      },
      { id: 'u3', media: 'b.mp4', start: 0, end: 1, text: 'other file', labels: {} },
    ])
    const c = readCorpus(dir)
    expect(c.manifest!.count).toBe(3)
    expect(c.utterances.map((u) => u.id)).toEqual(['u2', 'u1', 'u3'])
    const ex = emotionExamples(c, { contextTurns: 2 })
    expect(ex.map((e) => [e.text, e.context])).toEqual([
      ['second', ['first']],
      ['first', []],
    ])
    expect(emotionExamples(c, { requireLabel: false })).toHaveLength(3)
  })

  it('names the bad line of utterances.jsonl', () => {
    const dir = tmp()
    writeCorpus(dir, {}, [{ id: 'a', media: null, start: 0, end: 1, text: 'x', labels: {} }])
    writeFileSync(
      path.join(dir, 'utterances.jsonl'),
      '{"id":"a","start":0,"end":1,"text":"x"}\n{"id":"b","start":5,"end":1,"text":"y"}\n',
    )
    expect(() => readCorpus(dir)).toThrow(/utterances.jsonl:2: end 1 is before start 5/)
    writeFileSync(
      path.join(dir, 'utterances.jsonl'),
      '{"id":"a","start":0,"end":1,"text":"x","media":"/abs/a.mp4"}\n',
    )
    expect(() => readCorpus(dir)).toThrow(/must be relative/)
    writeFileSync(path.join(dir, 'manifest.json'), '{"format":"other"}')
    expect(() => readCorpus(dir)).toThrow(/not a fws-corpus v1 manifest/)
  })

  it('confines media paths to the corpus folder: refused with the line number, stop or skip', () => {
    const dir = tmp()
    const outside = tmp()
    writeFileSync(path.join(outside, 'secret.mp4'), 'x')
    mkdirSync(path.join(dir, 'media'))
    writeFileSync(path.join(dir, 'media', 'ok.mp4'), 'x')
    symlinkSync(path.join(outside, 'secret.mp4'), path.join(dir, 'media', 'link.mp4'))
    writeCorpus(dir, {}, [])
    const line = (id: string, media: string) =>
      JSON.stringify({ id, media, start: 0, end: 1, text: id, labels: { emotion: 'joy' } })
    writeFileSync(
      path.join(dir, 'utterances.jsonl'),
      [
        line('a', 'media/ok.mp4'),
        line('b', '../../etc/passwd'),
        line('c', 'media/../media/ok.mp4'),
        line('d', 'media/link.mp4'),
        line('e', '/etc/passwd'),
      ].join('\n') + '\n',
    )
    // Default: stop before anything is trained, naming every refused line.
    let err: unknown
    try {
      readCorpus(dir)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(CorpusPathError)
    const msg = (err as Error).message
    expect(msg).toMatch(
      /utterances\.jsonl:2: media path "\.\.\/\.\.\/etc\/passwd" is outside the corpus folder/,
    )
    expect(msg).toMatch(/utterances\.jsonl:4: media path "media\/link\.mp4" is outside/) // a link pointing out
    expect(msg).toMatch(/utterances\.jsonl:5: media path must be relative/)
    expect((err as CorpusPathError).refused.map((r) => r.line)).toEqual([2, 4, 5])
    expect(() => readLabelled(dir)).toThrow(CorpusPathError)
    // skip: the run goes on with the other lines; the refused ones are listed.
    const c = readCorpus(dir, { outsideMedia: 'skip' })
    expect(c.utterances.map((u) => u.id)).toEqual(['a', 'c'])
    expect(c.refused!.map((r) => [r.line, r.media])).toEqual([
      [2, '../../etc/passwd'],
      [4, 'media/link.mp4'],
      [5, '/etc/passwd'],
    ])
    // A folder the user names is allowed (still no absolute paths).
    const allowed = readCorpus(dir, { outsideMedia: 'skip', mediaRoots: [outside] })
    expect(allowed.utterances.map((u) => u.id)).toEqual(['a', 'c', 'd'])
  })
})

describe('MELD CSV', () => {
  it('parses quoted fields, repairs cp1252-mis-decoded UTF-8 and keeps dialogue ids', () => {
    const dir = tmp()
    const f = path.join(dir, 'x_sent_emo.csv')
    writeFileSync(
      f,
      'Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,Episode,StartTime,EndTime\n' +
        '1,"Oh, I donâ€™t know…",Ross,Surprise,positive,3,0,1,1,"00:00:01,000","00:00:02,000"\n' +
        '2,"He said ""hi""\nthen left",Joey,neutral,neutral,3,1,1,1,"00:00:02,000","00:00:03,000"\n',
    )
    const c = readMeldCsv(f)
    expect(c.utterances.map((u) => u.text)).toEqual(['Oh, I don’t know…', 'He said "hi"\nthen left'])
    expect(c.utterances[0]!.labels.emotion).toBe('surprise')
    expect(c.utterances[1]!.id).toBe('dia3_utt1')
    expect(emotionExamples(c, { contextTurns: 1 })[1]!.context).toEqual(['Oh, I don’t know…'])
    expect(readLabelled(f).kind).toBe('meld-csv')
    expect(tokenizeWords(c.utterances[0]!.text)).toEqual(['oh', ',', 'i', 'do', "n't", 'know', '...'])
  })

  it('fixMojibake leaves correct text alone and repairs typical sequences', () => {
    expect(fixMojibake('cafÃ© â€“ Iâ€™m')).toBe('café – I’m')
    expect(fixMojibake('déjà vu ’')).toBe('déjà vu ’')
    expect(parseCsv('a,b\r\n1,"x,y"\r\n')).toEqual([
      ['a', 'b'],
      ['1', 'x,y'],
    ])
  })

  it('reads the real MELD dev set when present', (ctx) => {
    const dev = findDataFile('meld', 'dev_sent_emo.csv')
    if (!dev) return ctx.skip(missingDataMessage('meld'))
    const c = readMeldCsv(dev)
    expect(c.utterances).toHaveLength(1109)
    expect(new Set(c.utterances.map((u) => u.labels.emotion)).size).toBe(7)
    expect(c.utterances.some((u) => /â€/.test(u.text))).toBe(false)
  })
})

describe('labelled data paths', () => {
  it('takes a path that exists as it is, else a bare name from the MELD folder, else says where it looked', () => {
    const meld = tmp()
    const csv = path.join(meld, 'dev_sent_emo.csv')
    writeFileSync(csv, 'x')
    expect(resolveLabelledPath(csv, meld)).toBe(csv)
    expect(resolveLabelledPath('dev_sent_emo.csv', meld)).toBe(csv)
    expect(() => resolveLabelledPath('nope.csv', meld)).toThrow(
      /no such file or folder: nope\.csv \(nor .*nope\.csv\)/,
    )
    expect(() => resolveLabelledPath(path.join(meld, 'nope.csv'), meld)).toThrow(
      /no such file or folder: \/.*nope\.csv$/,
    )
  })
})
