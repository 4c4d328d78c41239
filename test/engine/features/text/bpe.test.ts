import { describe, expect, it } from 'vitest'
import {
  BOUNDARY,
  detokenize,
  normalizeText,
  pretokenize,
} from '../../../../src-main/engine/features/text/normalize'
import { BpeVocab, EOS_ID, UNK_ID, trainBpe } from '../../../../src-main/engine/features/text/bpe'

describe('normalizeText / pretokenize / detokenize', () => {
  it('normalises whitespace, NFC and control characters but keeps case and punctuation', () => {
    expect(normalizeText('  Ein\tMann\u00a0 läuft\u200b.\n')).toBe('Ein Mann läuft.')
    expect(normalizeText('Cafe\u0301')).toBe('Café')
  })

  it('marks word boundaries and round-trips exactly', () => {
    const s = 'Zwei Männer (mit Hüten) stehen am Herd, 3.5 m entfernt!'
    const units = pretokenize(s)
    expect(units.slice(0, 4)).toEqual([`${BOUNDARY}Zwei`, `${BOUNDARY}Männer`, `${BOUNDARY}(`, 'mit'])
    expect(units).toContain(',')
    expect(detokenize(units)).toBe(s)
  })
})

describe('BPE', () => {
  const corpus = [
    'the lower newest widest',
    'the low lower lowest',
    'new newer newest',
    'wide wider widest',
    'Ein Mann läuft.',
    'Zwei Männer laufen.',
  ]

  it('learns frequent merges first, deterministically, up to the requested size', () => {
    const a = trainBpe(corpus, { vocabSize: 60 })
    const b = trainBpe(corpus, { vocabSize: 60 })
    expect(a.merges).toEqual(b.merges)
    expect(a.size).toBeLessThanOrEqual(60)
    expect(a.merges.length).toBeGreaterThan(5)
    // "▁" + "w"/"e"/"s"+"t" are among the most frequent pairs of this corpus
    const first = a.merges.slice(0, 8).map(([x, y]) => x + y)
    expect(first.some((m) => m === 'st' || m === 'es' || m === 'we' || m === 'lo' || m === 'ne')).toBe(true)
  })

  it('encodes and decodes back to the normalised text; unknown characters become <unk>', () => {
    const v = trainBpe(corpus, { vocabSize: 80 })
    for (const s of corpus) expect(v.decode(v.encode(s))).toBe(s)
    const ids = v.encode('newest ☃')
    expect(ids).toContain(UNK_ID)
    expect(v.decode([...v.encode('the lowest'), EOS_ID, ...v.encode('junk')])).toBe('the lowest')
    // frequent words become single symbols
    expect(v.encode('newest').length).toBeLessThan('newest'.length)
  })

  it('survives a JSON round trip and refuses a vocabulary from another normalisation', () => {
    const v = trainBpe(corpus, { vocabSize: 70 })
    const w = new BpeVocab(JSON.parse(JSON.stringify(v.toJSON())))
    for (const s of corpus) expect(w.encode(s)).toEqual(v.encode(s))
    expect(() => new BpeVocab({ ...v.toJSON(), normalization: 'other' })).toThrow(/normalisation/)
    expect(() => new BpeVocab({ ...v.toJSON(), symbols: ['x', ...v.symbols.slice(1)] })).toThrow(/<pad>/)
  })

  it('can be cancelled', () => {
    const ac = new AbortController()
    ac.abort()
    expect(() => trainBpe(corpus, { vocabSize: 80, signal: ac.signal })).toThrow(/cancelled/)
  })
})
