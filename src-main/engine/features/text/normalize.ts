/**
 * Text normalisation and pre-tokenisation shared by subword training, model training and
 * inference. Owns: the exact string transform applied before subword segmentation, the split of a
 * sentence into word/punctuation units with explicit word-boundary markers, and the inverse
 * (detokenisation).
 *
 * Why a boundary marker ("▁", as SentencePiece does) instead of Moses-style tokenise/detokenise:
 * the units keep whether a space preceded them, so joining the pieces and turning "▁" back into a
 * space restores the normalised sentence exactly. Hypotheses are therefore detokenised losslessly,
 * which is what sacreBLEU scoring against raw references expects.
 */

/** Word-boundary marker prefixed to every unit that followed whitespace (or starts the sentence). */
export const BOUNDARY = '\u2581'

/** Version tag recorded with vocabularies; bump whenever normalise() or pretokenize() change output. */
export const TEXT_NORMALIZATION_VERSION = 'fws-text-norm-1'

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b\ufeff]/g

/**
 * NFC composition, control and zero-width characters removed, any whitespace run (incl. NBSP and
 * tabs) collapsed to one space, trimmed. Case and punctuation are kept: the models are cased and
 * BLEU is computed on cased, raw text.
 */
export function normalizeText(text: string): string {
  return text.normalize('NFC').replace(CONTROL, '').replace(/\s+/gu, ' ').trim()
}

const UNIT = /[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu

/**
 * Splits a normalised sentence into units: maximal letter/digit runs, and single other
 * characters (punctuation, symbols). A unit preceded by whitespace, or first in the sentence,
 * carries the BOUNDARY prefix. `detokenize(pretokenize(s).join(''))` === normalizeText(s).
 */
export function pretokenize(normalized: string): string[] {
  const units: string[] = []
  let last = 0
  for (const m of normalized.matchAll(UNIT)) {
    const start = m.index
    const spaced = start === 0 || start > last
    units.push(spaced ? BOUNDARY + m[0] : m[0])
    last = start + m[0].length
  }
  return units
}

/** Joins subword pieces back into text: boundary markers become spaces, the edges are trimmed. */
export function detokenize(pieces: string[] | string): string {
  const s = Array.isArray(pieces) ? pieces.join('') : pieces
  return s.split(BOUNDARY).join(' ').replace(/ {2,}/g, ' ').trim()
}
