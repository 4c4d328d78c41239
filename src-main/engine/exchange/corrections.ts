/**
 * Which labels of a corpus count as corrections: human-confirmed provenance (corrected or
 * accepted) when the corpus records provenance at all; a corpus without provenance (e.g. MELD)
 * counts as human-labelled. Read by fine-tuning (jobs/finetune.ts) for emotion labels and for
 * translations.
 */
import type { Corpus } from '../models/corpus'
import type { TranslationPair } from '../models/translation/finetune'

const HUMAN = new Set(['corrected', 'accepted'])

/**
 * The translation pairs of a corpus: utterance text → translation, for the utterances whose
 * translation a human corrected or accepted (every translation with 'all', or when the corpus
 * records no provenance at all).
 */
export function translationPairs(corpus: Corpus, which: 'human' | 'all' = 'human'): TranslationPair[] {
  const withTr = corpus.utterances.filter((u) => u.text.trim() && u.labels.translation?.trim())
  const hasProvenance = withTr.some((u) => u.provenance?.translation)
  return withTr
    .filter((u) => which === 'all' || !hasProvenance || HUMAN.has(String(u.provenance?.translation ?? '')))
    .map((u) => ({ src: u.text, tgt: u.labels.translation! }))
}

/** The corpus restricted to the items that count as corrections. */
export function correctionItems(corpus: Corpus, which: 'human' | 'all' = 'human'): Corpus {
  const labelled = corpus.utterances.filter((u) => u.labels.emotion)
  const hasProvenance = labelled.some((u) => u.provenance?.emotion)
  if (which === 'all' || !hasProvenance) return { ...corpus, utterances: corpus.utterances }
  // Unlabelled / model-labelled items stay (they give dialogue context) but lose their label.
  return {
    ...corpus,
    utterances: corpus.utterances.map((u) =>
      u.labels.emotion && !HUMAN.has(String(u.provenance?.emotion ?? ''))
        ? { ...u, labels: { ...u.labels, emotion: null } }
        : u,
    ),
  }
}
