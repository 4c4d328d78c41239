/**
 * Shared by the crash test and its child: a digest of a project's utterance rows (what an
 * acknowledged operation must have left on disk) and the choice of the next operation (every kind
 * of edit, undo and redo), deterministic in the random source.
 */
import { createHash } from 'node:crypto'
import type { Edit, UtteranceRow } from '../../../src-main/contract/contract'
import type { ProjectStore } from '../../../src-main/engine/project/store'

/** Short digest of every utterance's id, bounds and values. */
export function stateDigest(store: ProjectStore): string {
  const rows = store
    .listUtterances()
    .map((u) => [
      u.id,
      u.start,
      u.end,
      u.transcript,
      u.transcriptProvenance,
      u.emotion,
      u.emotionProvenance,
      u.translation,
    ])
  return createHash('sha256').update(JSON.stringify(rows)).digest('hex').slice(0, 16)
}

export type Op = { kind: 'undo' } | { kind: 'redo' } | { kind: 'edit'; edit: Edit }

const LABELS = ['joy', 'anger', 'sadness', 'fear', 'neutral']
const r3 = (x: number) => Math.round(x * 1000) / 1000

/**
 * The next operation on `rows`: transcript and label corrections, bounds, split, merge, undo,
 * redo. Every edit changes something (a fresh text, a different label, other bounds), so each
 * committed edit is a history entry of its own. The number of utterances stays between 6 and 30.
 */
export function pickOp(rows: UtteranceRow[], random: () => number, tag: string): Op {
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!
  const x = random()
  if (x < 0.12) return { kind: 'undo' }
  if (x < 0.2) return { kind: 'redo' }
  const u = pick(rows)
  if (x < 0.4)
    return { kind: 'edit', edit: { kind: 'transcript', utteranceId: u.id, text: `${tag} “ü”, "q"` } }
  if (x < 0.55) {
    const emotion = pick(LABELS.filter((l) => l !== u.emotion))
    return { kind: 'edit', edit: { kind: 'label', utteranceId: u.id, emotion } }
  }
  if (x < 0.7) {
    const len = u.end - u.start
    // Inside the 60 s media; never the current bounds (that would be no change at all).
    let end = Math.min(59.9, r3(u.start + Math.max(0.05, len * (random() < 0.5 ? 0.8 : 1.1))))
    if (end === r3(u.end)) end = r3(u.start + Math.max(0.02, len * 0.8))
    return { kind: 'edit', edit: { kind: 'bounds', utteranceId: u.id, start: u.start, end } }
  }
  if (x < 0.85 && rows.length < 30) {
    const longest = rows.reduce((a, b) => (b.end - b.start > a.end - a.start ? b : a))
    return {
      kind: 'edit',
      edit: { kind: 'split', utteranceId: longest.id, at: r3((longest.start + longest.end) / 2) },
    }
  }
  if (rows.length > 6) {
    const same = rows.filter((r) => r.mediaId === u.mediaId)
    const i = Math.min(same.indexOf(u), same.length - 2)
    return { kind: 'edit', edit: { kind: 'merge', utteranceId: same[i]!.id, withNextId: same[i + 1]!.id } }
  }
  return { kind: 'edit', edit: { kind: 'transcript', utteranceId: u.id, text: `${tag} short` } }
}

/** Applies `op`; returns its history id, or null when there was nothing to undo or redo. */
export function applyOp(store: ProjectStore, op: Op): number | null {
  if (op.kind === 'undo') return store.undo()?.historyId ?? null
  if (op.kind === 'redo') return store.redo()?.historyId ?? null
  return store.applyEdit(op.edit).historyId
}
