/**
 * Emotion examples from a corpus: each labelled utterance with its dialogue, its turn in it and
 * the previous turns as context, read by training, evaluation and fine-tuning alike.
 */
import type { UtteranceFeatures } from '../features/types'
import type { Corpus, CorpusUtterance } from './corpus'
import type { EmotionExample } from './emotion-model'

/**
 * Emotion examples from a corpus, in corpus order, with their dialogue (the `dialogue` field;
 * else the same media file, ordered by start time), their turn in it, and the previous
 * `contextTurns` utterances of that dialogue as context. Items without an emotion label are kept
 * only when `requireLabel` is false.
 */
export function emotionExamples(
  corpus: Corpus,
  opts: { contextTurns?: number; requireLabel?: boolean; features?: Map<string, UtteranceFeatures> } = {},
): EmotionExample[] {
  const turns = opts.contextTurns ?? 0
  const groupOf = (u: CorpusUtterance) => u.dialogue ?? (u.media ? `media:${u.media}` : null)
  const groups = new Map<string, CorpusUtterance[]>()
  for (const u of corpus.utterances) {
    const g = groupOf(u)
    if (g === null) continue
    let list = groups.get(g)
    if (!list) groups.set(g, (list = []))
    list.push(u)
  }
  for (const list of groups.values())
    if (list.some((u) => u.media && !u.dialogue)) list.sort((a, b) => a.start - b.start)
  const previous = new Map<string, string[]>()
  const place = new Map<string, { dialogue: string; turn: number }>()
  for (const [g, list] of groups)
    list.forEach((u, i) => {
      previous.set(
        u.id,
        list.slice(Math.max(0, i - turns), i).map((p) => p.text),
      )
      place.set(u.id, { dialogue: g, turn: i })
    })
  const out: EmotionExample[] = []
  for (const u of corpus.utterances) {
    const label = u.labels.emotion ?? null
    if (opts.requireLabel !== false && !label) continue
    const sentiment = (u.labels as Record<string, unknown>).sentiment
    out.push({
      aux: typeof sentiment === 'string' ? { sentiment } : undefined,
      text: u.text,
      context: turns > 0 ? (previous.get(u.id) ?? []) : [],
      ...place.get(u.id),
      features: opts.features?.get(u.id) ?? null,
      label,
    })
  }
  return out
}
