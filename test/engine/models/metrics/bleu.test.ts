// Expected figures were computed with the real sacreBLEU 2.6.0 (the PyPI wheel present on this
// machine under /opt/pypi/files, installed with `pip install --no-index --find-links /opt/pypi/files
// --target /tmp/sb sacrebleu`) using its defaults:
//   sacrebleu.corpus_bleu(hyps, [refs]) and sacrebleu.corpus_chrf(hyps, [refs]),
//   Tokenizer13a()(line) for the tokenisation strings.
// The 'exp'-smoothing figures were also checked by hand: 3-gram precision 100/(2·3) = 16.67,
// 4-gram 100/(4·2) = 12.5, BP = exp(1 − 9/7) = 0.7515.
import { describe, expect, it } from 'vitest'
import { corpusBleu, corpusChrf, tokenize13a } from '../../../../src-main/engine/models/metrics/bleu'

const hyps = [
  'Ein Mann in einem blauen Hemd steht auf einer Leiter.',
  'Zwei Hunde spielen im Schnee, während ein Kind zusieht.',
  'Eine Frau mit "rotem" Hut verkauft 1,000 Äpfel für $3.50 - billig!',
  'Kinder (drei) spielen am Strand &amp; bauen Burgen.',
  '',
  'Ein Mann fährt Fahrrad auf der Straße 2-3 mal.',
]
const refs = [
  'Ein Mann in einem blauen Hemd steht auf einer Leiter und putzt ein Fenster.',
  'Zwei Hunde spielen im Schnee, während ein kleines Kind zuschaut.',
  'Eine Frau mit einem roten Hut verkauft 1,000 Äpfel für $3.50 – billig!',
  'Drei Kinder spielen am Strand und bauen Sandburgen.',
  'Ein leerer Satz.',
  'Ein Mann fährt auf der Straße Fahrrad, 2-3 Mal.',
]

describe('tokenize13a', () => {
  it('splits like sacreBLEU Tokenizer13a', () => {
    const expected = [
      'Ein Mann in einem blauen Hemd steht auf einer Leiter .',
      'Zwei Hunde spielen im Schnee , während ein Kind zusieht .',
      'Eine Frau mit " rotem " Hut verkauft 1,000 Äpfel für $ 3.50 - billig !',
      'Kinder ( drei ) spielen am Strand & bauen Burgen .',
      '',
      'Ein Mann fährt Fahrrad auf der Straße 2 - 3 mal .',
    ]
    expect(hyps.map((h) => tokenize13a(h).join(' '))).toEqual(expected)
  })
})

describe('corpusBleu', () => {
  it('matches sacreBLEU 2.6.0 on a mixed example', () => {
    const r = corpusBleu(hyps, refs)
    expect(r.score).toBeCloseTo(47.277581612772686, 9)
    expect(r.counts).toEqual([50, 33, 24, 16])
    expect(r.totals).toEqual([61, 56, 51, 46])
    expect(r.sysLen).toBe(61)
    expect(r.refLen).toBe(68)
    expect(r.bp).toBeCloseTo(0.8915853592544761, 12)
    const p = [81.9672131147541, 58.92857142857143, 47.05882352941177, 34.78260869565217]
    r.precisions.forEach((x, i) => expect(x).toBeCloseTo(p[i]!, 9))
  })

  it("applies sacreBLEU's exp smoothing and brevity penalty", () => {
    const r = corpusBleu(['a b c d e', 'x y'], ['a b x d e f', 'x y z'])
    expect(r.score).toBeCloseTo(24.177237023718654, 9)
    expect(r.counts).toEqual([6, 3, 0, 0])
    r.precisions.forEach((x, i) =>
      expect(x).toBeCloseTo([85.71428571428571, 60.0, 16.666666666666668, 12.5][i]!, 9),
    )
    expect(r.bp).toBeCloseTo(0.7514772930752859, 12)
    const r2 = corpusBleu(['the cat sat on mat', 'a dog'], ['the cat sat on the mat', 'a big dog barked'])
    expect(r2.score).toBeCloseTo(43.56435540068709, 9)
  })

  it('is 100 for identical text and 0 for an empty system', () => {
    expect(corpusBleu(refs, refs).score).toBeCloseTo(100, 9)
    expect(corpusBleu(['', ''], ['a b c d', 'e f g h']).score).toBe(0)
  })

  it('rejects non-parallel input', () => {
    expect(() => corpusBleu(['a'], ['a', 'b'])).toThrow(/1 hypotheses but 2 references/)
  })
})

describe('corpusChrf', () => {
  it('matches sacreBLEU 2.6.0 chrF (nc 6, nw 0, β 2)', () => {
    expect(corpusChrf(hyps, refs).score).toBeCloseTo(67.7903474632976, 9)
    expect(
      corpusChrf(['the cat sat on mat', 'a dog'], ['the cat sat on the mat', 'a big dog barked']).score,
    ).toBeCloseTo(45.55068740054974, 9)
    expect(corpusChrf(['a b c d e', 'x y'], ['a b x d e f', 'x y z']).score).toBeCloseTo(
      23.049715071723323,
      9,
    )
  })
})
