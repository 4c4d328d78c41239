/**
 * Choosing a translation model's default decoding so that it transfers to new data: every setting
 * is measured on val (where it is tuned) and on a confirmation set, and the shipped one is the
 * setting whose worse shortfall from the best of either set is smallest. A setting that wins val
 * by over-fitting its ~1,000 sentences loses on the other set and is not chosen. Near-ties
 * (within `tieBleu`) go to the conventional length penalty: the α nearest 1.0.
 */

export interface DecodingCandidate {
  lengthPenalty: number
  /** BLEU on the tuning (val) set. */
  val: number
  /** BLEU on the confirmation set. */
  confirm: number
}

export const DECODING_CHOICE_RULE =
  'smallest worst-case shortfall from the best BLEU on val and on the confirmation set; near-ties (≤ 0.1) to the α nearest 1.0'

/** The candidate that transfers best (see the module header); throws on an empty list. */
export function chooseTransferringDecoding(
  candidates: readonly DecodingCandidate[],
  tieBleu = 0.1,
): DecodingCandidate {
  if (candidates.length === 0) throw new Error('no decoding candidates to choose from')
  const bestVal = Math.max(...candidates.map((c) => c.val))
  const bestConfirm = Math.max(...candidates.map((c) => c.confirm))
  const shortfall = (c: DecodingCandidate) => Math.max(bestVal - c.val, bestConfirm - c.confirm)
  const least = Math.min(...candidates.map(shortfall))
  const near = candidates.filter((c) => shortfall(c) <= least + tieBleu + 1e-9)
  return near.reduce((a, b) => {
    const da = Math.abs(a.lengthPenalty - 1)
    const db = Math.abs(b.lengthPenalty - 1)
    if (da !== db) return db < da ? b : a
    return shortfall(b) < shortfall(a) ? b : a
  })
}
