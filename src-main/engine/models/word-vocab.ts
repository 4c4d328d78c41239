/**
 * Word-level text input for the emotion model. Owns: the normalisation + tokenisation of
 * utterance text into lower-case word tokens in GloVe's (Stanford PTB-like) style, so that
 * pretrained vectors match ("don't" → "do" "n't", "I'm" → "i" "'m", "..." kept), and the word
 * vocabulary (reserved <pad>=0, <unk>=1, <sep>=2) with id encoding and padding.
 *
 * Why not the translation subword vocabulary: emotion cues are whole words ("wow", "ugh") and
 * the pretrained GloVe vectors the default model starts from are per word.
 */
import { normalizeText } from '../features/text/normalize'
import { fixMojibake } from './corpus'

export const PAD = '<pad>'
export const UNK = '<unk>'
export const SEP = '<sep>'
const RESERVED = [PAD, UNK, SEP]

/** Unicode + typographic normalisation (curly quotes, dashes, ellipsis → ASCII), lower case. */
export function normaliseText(s: string): string {
  return normalizeText(fixMojibake(s))
    .normalize('NFKC')
    .replace(/[\u2018\u2019\u201B\u2032`]/g, "'")
    .replace(/[\u201C\u201D\u201E\u2033]/g, '"')
    .replace(/[\u2013\u2014\u2015]+/g, ' - ')
    .replace(/\u2026/g, '...')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase()
}

const CLITICS = /^(.+?)(n't|'s|'m|'re|'ve|'ll|'d)$/

/** Word tokens: words, clitics split off, runs of punctuation ("...", "?!") as tokens. */
export function tokenizeWords(text: string): string[] {
  const s = normaliseText(text)
  const out: string[] = []
  for (const raw of s.match(/[a-z0-9]+(?:['.-][a-z0-9]+)*'?|\.{2,}|[!?]+|[^\sa-z0-9]/g) ?? []) {
    const m = CLITICS.exec(raw)
    if (m && m[1] && m[1] !== "'") {
      // "can't" → "ca" "n't" in PTB; GloVe has both.
      out.push(m[1], m[2]!)
    } else out.push(raw.replace(/'$/, ''))
  }
  return out.filter((t) => t.length > 0)
}

export class WordVocab {
  readonly words: string[]
  private readonly index: Map<string, number>
  constructor(words: string[]) {
    for (let i = 0; i < RESERVED.length; i++)
      if (words[i] !== RESERVED[i]) throw new Error(`word vocabulary must start with ${RESERVED.join(', ')}`)
    this.words = words
    this.index = new Map(words.map((w, i) => [w, i]))
    if (this.index.size !== words.length) throw new Error('word vocabulary has duplicate entries')
  }
  get size(): number {
    return this.words.length
  }
  id(token: string): number {
    return this.index.get(token) ?? 1
  }
  has(token: string): boolean {
    return this.index.has(token)
  }
  encode(tokens: string[]): number[] {
    return tokens.map((t) => this.id(t))
  }
  /**
   * Builds a vocabulary from token lists: tokens with count ≥ minCount, most frequent first,
   * plus `extra` words (e.g. frequent pretrained-vector words, so unseen test words still map).
   */
  static build(
    docs: string[][],
    opts: { minCount?: number; maxSize?: number; extra?: string[] } = {},
  ): WordVocab {
    const counts = new Map<string, number>()
    for (const d of docs) for (const t of d) counts.set(t, (counts.get(t) ?? 0) + 1)
    const minCount = opts.minCount ?? 1
    const seen = new Set(RESERVED)
    const words = [...RESERVED]
    const push = (w: string) => {
      if (seen.has(w) || (opts.maxSize && words.length >= opts.maxSize)) return
      seen.add(w)
      words.push(w)
    }
    ;[...counts.entries()]
      .filter(([, c]) => c >= minCount)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .forEach(([w]) => push(w))
    for (const w of opts.extra ?? []) push(w)
    return new WordVocab(words)
  }
}

/** Right-pads / truncates id lists to [n, maxLen] with their 0/1 masks (keeps the LAST maxLen ids when `keepEnd`). */
export function padIds(
  seqs: number[][],
  maxLen: number,
  keepEnd = false,
): { ids: Int32Array; mask: Float32Array; maxLen: number } {
  const n = seqs.length
  const ids = new Int32Array(n * maxLen)
  const mask = new Float32Array(n * maxLen)
  for (let i = 0; i < n; i++) {
    let s = seqs[i]!
    if (s.length > maxLen) s = keepEnd ? s.slice(s.length - maxLen) : s.slice(0, maxLen)
    for (let t = 0; t < s.length; t++) {
      ids[i * maxLen + t] = s[t]!
      mask[i * maxLen + t] = 1
    }
  }
  return { ids, mask, maxLen }
}
