/**
 * Corpus BLEU and chrF computed exactly as sacreBLEU 2.x does with its defaults, so figures are
 * comparable with published ones. Owns: the 13a tokeniser, n-gram statistics, the BLEU formula
 * (brevity penalty, 'exp' smoothing) and chrF (character 6-grams, β = 2, whitespace removed,
 * sacreBLEU's effective-order averaging). Hypotheses are scored detokenised against raw references.
 *
 * Port of sacrebleu/tokenizers/tokenizer_13a.py + tokenizer_re.py, sacrebleu/metrics/bleu.py
 * (compute_bleu) and sacrebleu/metrics/chrf.py (_compute_f_score with eps_smoothing=False).
 */

/** Signature recorded with reported scores (the sacreBLEU settings reproduced here). */
export const BLEU_SIGNATURE = 'nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.x-compatible'
export const CHRF_SIGNATURE = 'nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.x-compatible'

// sacreBLEU TokenizerRegexp: punctuation/symbols in these ranges become separate tokens.
const RE_SYMBOLS = /([\x7b-\x7e\x5b-\x60\x20-\x26\x28-\x2b\x3a-\x40\x2f])/g
const RE_PERIOD_COMMA_AFTER_NONDIGIT = /([^0-9])([.,])/g
const RE_PERIOD_COMMA_BEFORE_NONDIGIT = /([.,])([^0-9])/g
const RE_DASH_AFTER_DIGIT = /([0-9])(-)/g

/** sacreBLEU's "13a" tokenisation (mteval-v13a.pl): returns the tokens. */
export function tokenize13a(text: string): string[] {
  let line = text
    .replace(/<skipped>/g, '')
    .replace(/-\n/g, '')
    .replace(/\n/g, ' ')
  if (line.includes('&'))
    line = line
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
  line = ` ${line} `
  line = line.replace(RE_SYMBOLS, ' $1 ')
  line = line.replace(RE_PERIOD_COMMA_AFTER_NONDIGIT, '$1 $2 ')
  line = line.replace(RE_PERIOD_COMMA_BEFORE_NONDIGIT, ' $1 $2')
  line = line.replace(RE_DASH_AFTER_DIGIT, '$1 $2 ')
  // Python's str.split(): any whitespace run, no empty tokens.
  return line.split(/\s+/).filter((t) => t.length > 0)
}

/** How often each run of `n` consecutive items occurs; a run's key is its items joined by `sep`. */
function ngramCounts(items: readonly string[], n: number, sep = '\u0001'): Map<string, number> {
  const m = new Map<string, number>()
  for (let i = 0; i + n <= items.length; i++) {
    const key = items.slice(i, i + n).join(sep)
    m.set(key, (m.get(key) ?? 0) + 1)
  }
  return m
}

export interface BleuResult {
  /** Corpus BLEU, 0–100. */
  score: number
  /** Modified n-gram precisions (after smoothing), 0–100, n = 1..4. */
  precisions: number[]
  bp: number
  sysLen: number
  refLen: number
  counts: number[]
  totals: number[]
  signature: string
}

function check(hyps: readonly string[], refs: readonly string[]): void {
  if (hyps.length !== refs.length)
    throw new Error(`${hyps.length} hypotheses but ${refs.length} references: they must be parallel`)
}

/** Corpus BLEU of detokenised hypotheses against one raw reference each (sacreBLEU defaults). */
export function corpusBleu(hyps: readonly string[], refs: readonly string[], maxOrder = 4): BleuResult {
  check(hyps, refs)
  const counts = new Array<number>(maxOrder).fill(0)
  const totals = new Array<number>(maxOrder).fill(0)
  let sysLen = 0
  let refLen = 0
  for (let s = 0; s < hyps.length; s++) {
    const h = tokenize13a(hyps[s]!)
    const r = tokenize13a(refs[s]!)
    sysLen += h.length
    refLen += r.length
    for (let n = 1; n <= maxOrder; n++) {
      const hc = ngramCounts(h, n)
      const rc = ngramCounts(r, n)
      for (const [g, c] of hc) counts[n - 1]! += Math.min(c, rc.get(g) ?? 0)
      totals[n - 1]! += Math.max(0, h.length - n + 1)
    }
  }
  const precisions = new Array<number>(maxOrder).fill(0)
  let smooth = 1
  for (let n = 1; n <= maxOrder; n++) {
    if (totals[n - 1] === 0) break
    if (counts[n - 1] === 0) {
      smooth *= 2
      precisions[n - 1] = 100 / (smooth * totals[n - 1]!)
    } else precisions[n - 1] = (100 * counts[n - 1]!) / totals[n - 1]!
  }
  let bp = 1
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0
  const myLog = (x: number): number => (x === 0 ? -9999999999 : Math.log(x))
  const score = bp * Math.exp(precisions.reduce((a, p) => a + myLog(p), 0) / maxOrder)
  return { score, precisions, bp, sysLen, refLen, counts, totals, signature: BLEU_SIGNATURE }
}

/** Character n-grams of a text with its whitespace removed (chrF). */
function charNgrams(text: string, n: number): Map<string, number> {
  return ngramCounts(Array.from(text.split(/\s+/).join('')), n, '')
}

export interface ChrfResult {
  /** Corpus chrF, 0–100. */
  score: number
  signature: string
}

/** Corpus chrF (sacreBLEU defaults: char order 6, word order 0, β = 2, whitespace ignored). */
export function corpusChrf(
  hyps: readonly string[],
  refs: readonly string[],
  charOrder = 6,
  beta = 2,
): ChrfResult {
  check(hyps, refs)
  const stats = new Array<number>(3 * charOrder).fill(0)
  for (let s = 0; s < hyps.length; s++) {
    for (let n = 1; n <= charOrder; n++) {
      const hc = charNgrams(hyps[s]!, n)
      const rc = charNgrams(refs[s]!, n)
      let nh = 0
      let nr = 0
      let nm = 0
      for (const c of hc.values()) nh += c
      for (const c of rc.values()) nr += c
      for (const [g, c] of hc) nm += Math.min(c, rc.get(g) ?? 0)
      stats[3 * (n - 1)]! += nh
      stats[3 * (n - 1) + 1]! += nr
      stats[3 * (n - 1) + 2]! += nm
    }
  }
  const eps = 1e-16
  const factor = beta * beta
  let avgPrec = 0
  let avgRec = 0
  let eff = 0
  for (let i = 0; i < charOrder; i++) {
    const [nh, nr, nm] = [stats[3 * i]!, stats[3 * i + 1]!, stats[3 * i + 2]!]
    const prec = nh > 0 ? nm / nh : eps
    const rec = nr > 0 ? nm / nr : eps
    if (nh > 0 && nr > 0) {
      avgPrec += prec
      avgRec += rec
      eff++
    }
  }
  if (eff === 0) return { score: 0, signature: CHRF_SIGNATURE }
  avgPrec /= eff
  avgRec /= eff
  const score = avgPrec + avgRec ? (100 * (1 + factor) * avgPrec * avgRec) / (factor * avgPrec + avgRec) : 0
  return { score, signature: CHRF_SIGNATURE }
}
