/**
 * What one correction does to the utterance rows, as a pure function: given the edit and the rows
 * it touches, the rows before, the rows after, and the correction-log entries to record. The store
 * persists the plan in one transaction and keeps before/after for undo/redo, so every edit kind
 * (label, accept, transcript, translation, bounds, split, merge) is undone by the same mechanism.
 */
import { EMOTIONS } from '../core/labels'
import type { Edit } from './types'
import { isHuman, toMs, type LatestPredictions, type UttRecord } from './rows'

/** Shortest utterance a split or a bounds edit may leave, in ms. */
export const MIN_UTTERANCE_MS = 10

/** Review states from weakest to strongest; a value built from two parts has the weaker one. */
const STRENGTH = ['none', 'model', 'imported', 'accepted', 'corrected']
function weaker(a: string, b: string): string {
  return STRENGTH.indexOf(a) <= STRENGTH.indexOf(b) ? a : b
}

export class EditError extends Error {
  override name = 'EditError'
}

export interface CorrectionDraft {
  utteranceId: string
  field: 'emotion' | 'transcript' | 'translation' | 'bounds' | 'split' | 'merge' | 'segmentation'
  previous: unknown
  value: unknown
  previousProvenance: string | null
  provenance: 'corrected' | 'accepted' | 'imported'
}

export interface EditPlan {
  before: UttRecord[]
  after: UttRecord[]
  corrections: CorrectionDraft[]
}

export interface EditContext {
  get(id: string): UttRecord | undefined
  /** The utterance that follows `r` in its media's order (by start, end, id), if any. */
  next(r: UttRecord): UttRecord | undefined
  predictions(id: string): LatestPredictions
  /** Media duration in ms, 0 when unknown. */
  mediaDurationMs(mediaId: string): number
  newUtteranceId(): string
  now: number
}

function need(ctx: EditContext, id: string): UttRecord {
  const r = ctx.get(id)
  if (!r) throw new EditError(`no utterance with id "${id}" in this project`)
  return r
}

/** An edit of one kind. */
type EditOf<K extends Edit['kind']> = Extract<Edit, { kind: K }>

/** Plans an edit; returns null when it would change nothing (same value as now). */
export function planEdit(edit: Edit, ctx: EditContext): EditPlan | null {
  const r = need(ctx, edit.utteranceId)
  switch (edit.kind) {
    case 'label':
      return planLabel(edit, r, ctx)
    case 'accept':
      return planAccept(edit, r, ctx)
    case 'transcript':
      return planTranscript(edit, r)
    case 'translation':
      return planTranslation(edit, r, ctx)
    case 'bounds':
      return planBounds(edit, r, ctx)
    case 'split':
      return planSplit(edit, r, ctx)
    case 'merge':
      return planMerge(edit, r, ctx)
  }
}

/** The plan of an edit that changes one field of one utterance in place: one row, one log entry. */
function inPlace(r: UttRecord, after: UttRecord, change: Omit<CorrectionDraft, 'utteranceId'>): EditPlan {
  return { before: [r], after: [after], corrections: [{ utteranceId: r.id, ...change }] }
}

function planLabel(edit: EditOf<'label'>, r: UttRecord, ctx: EditContext): EditPlan | null {
  const label = edit.emotion.trim()
  const pred = ctx.predictions(r.id).emotion
  const known = new Set<string>([
    ...EMOTIONS,
    ...Object.keys(pred?.probabilities ? (JSON.parse(pred.probabilities) as object) : {}),
  ])
  if (!known.has(label))
    throw new EditError(`unknown emotion label "${label}"; expected one of ${[...known].join(', ')}`)
  if (r.emotion === label && r.emotion_prov === 'corrected') return null
  return inPlace(
    r,
    { ...r, emotion: label, emotion_prov: 'corrected' },
    {
      field: 'emotion',
      previous: r.emotion ?? pred?.label ?? null,
      value: label,
      previousProvenance: r.emotion != null ? r.emotion_prov : pred ? 'model' : null,
      provenance: 'corrected',
    },
  )
}

function planAccept(edit: EditOf<'accept'>, r: UttRecord, ctx: EditContext): EditPlan | null {
  // One field per action: accepting the emotion never confirms the machine translation.
  const field = edit.field ?? 'emotion'
  const pred = ctx.predictions(r.id)
  const predicted =
    field === 'emotion' ? (pred.emotion?.label ?? null) : (pred.translation?.translation ?? null)
  const confirmed = field === 'emotion' ? r.emotion : r.translation
  if (confirmed != null) return null // already human-set: nothing to accept
  if (predicted == null)
    throw new EditError(`utterance ${r.id} has no ${field} prediction to accept yet (run inference first)`)
  const after =
    field === 'emotion'
      ? { ...r, emotion: predicted, emotion_prov: 'accepted' }
      : { ...r, translation: predicted, translation_prov: 'accepted' }
  return inPlace(r, after, {
    field,
    previous: predicted,
    value: predicted,
    previousProvenance: 'model',
    provenance: 'accepted',
  })
}

function planTranscript(edit: EditOf<'transcript'>, r: UttRecord): EditPlan | null {
  if (r.transcript === edit.text) return null
  return inPlace(
    r,
    { ...r, transcript: edit.text, transcript_prov: 'corrected' },
    {
      field: 'transcript',
      previous: r.transcript,
      value: edit.text,
      previousProvenance: r.transcript_prov,
      provenance: 'corrected',
    },
  )
}

function planTranslation(edit: EditOf<'translation'>, r: UttRecord, ctx: EditContext): EditPlan | null {
  const predicted = ctx.predictions(r.id).translation?.translation ?? null
  if (r.translation === edit.text && r.translation_prov === 'corrected') return null
  return inPlace(
    r,
    { ...r, translation: edit.text, translation_prov: 'corrected' },
    {
      field: 'translation',
      previous: r.translation ?? predicted,
      value: edit.text,
      previousProvenance: r.translation != null ? r.translation_prov : predicted != null ? 'model' : null,
      provenance: 'corrected',
    },
  )
}

function planBounds(edit: EditOf<'bounds'>, r: UttRecord, ctx: EditContext): EditPlan | null {
  const start = toMs(edit.start)
  const end = toMs(edit.end)
  if (end - start < MIN_UTTERANCE_MS)
    throw new EditError(`bounds ${edit.start}–${edit.end} s leave less than ${MIN_UTTERANCE_MS} ms`)
  const dur = ctx.mediaDurationMs(r.media_id)
  if (dur > 0 && end > dur + 1)
    throw new EditError(`end ${edit.end} s is past the end of the media (${dur / 1000} s)`)
  if (start === r.start_ms && end === r.end_ms) return null
  return inPlace(
    r,
    { ...r, start_ms: start, end_ms: end, bounds_prov: 'corrected' },
    {
      field: 'bounds',
      previous: { start: r.start_ms / 1000, end: r.end_ms / 1000 },
      value: { start: start / 1000, end: end / 1000 },
      previousProvenance: r.bounds_prov,
      provenance: 'corrected',
    },
  )
}

function planSplit(edit: EditOf<'split'>, r: UttRecord, ctx: EditContext): EditPlan {
  const at = toMs(edit.at)
  if (at - r.start_ms < MIN_UTTERANCE_MS || r.end_ms - at < MIN_UTTERANCE_MS)
    throw new EditError(
      `split point ${edit.at} s must lie inside utterance ${r.id} (${r.start_ms / 1000}–${r.end_ms / 1000} s) with at least ${MIN_UTTERANCE_MS} ms on each side`,
    )
  const [t1, t2] = splitText(r.transcript, (at - r.start_ms) / (r.end_ms - r.start_ms))
  // Both pieces are new utterances (new ids): the predictions of the whole stay with the old
  // id (and come back with an undo) instead of being shown, stale, on a half. Each piece needs
  // inference again. A human emotion label holds for both halves of the same speech act; a
  // translation cannot be cut at a time point, so neither half keeps one.
  const piece = (start_ms: number, end_ms: number, transcript: string): UttRecord => ({
    ...r,
    id: ctx.newUtteranceId(),
    start_ms,
    end_ms,
    transcript,
    bounds_prov: 'corrected',
    emotion: isHuman(r.emotion_prov) ? r.emotion : null,
    emotion_prov: isHuman(r.emotion_prov) ? r.emotion_prov : null,
    translation: null,
    translation_prov: null,
    created_at: ctx.now,
  })
  const first = piece(r.start_ms, at, t1)
  const second = piece(at, r.end_ms, t2)
  return {
    before: [r],
    after: [first, second],
    // One log entry per new piece (who cut it, when, from which utterance), so each piece's
    // bounds carry their annotator into exports.
    corrections: [first, second].map((p) => ({
      utteranceId: p.id,
      field: 'split' as const,
      previous: { id: r.id, start: r.start_ms / 1000, end: r.end_ms / 1000, transcript: r.transcript },
      value: { at: at / 1000, start: p.start_ms / 1000, end: p.end_ms / 1000, transcript: p.transcript },
      previousProvenance: r.bounds_prov,
      provenance: 'corrected' as const,
    })),
  }
}

function planMerge(edit: EditOf<'merge'>, r: UttRecord, ctx: EditContext): EditPlan {
  const n = need(ctx, edit.withNextId)
  if (n.media_id !== r.media_id)
    throw new EditError(`cannot merge utterances of different media (${r.id}, ${n.id})`)
  const actualNext = ctx.next(r)
  if (!actualNext || actualNext.id !== n.id)
    throw new EditError(`utterance ${n.id} is not the one right after ${r.id}; only neighbours merge`)
  const joinText = (a: string, b: string) => [a.trim(), b.trim()].filter(Boolean).join(' ')
  // The merged utterance is new (new id): neither part's predictions describe it, so none is
  // shown and it needs inference. A translation stays human only when a human set it on BOTH
  // parts (half confirmed, half machine-made is not gold). A human emotion label carries over
  // unless the two parts' human labels disagree. The weaker review state of the parts wins.
  const bothHuman = (a: string | null, b: string | null) => (isHuman(a) && isHuman(b) ? weaker(a!, b!) : null)
  const translationProv = bothHuman(r.translation_prov, n.translation_prov)
  const labelled = [r, n].filter((u) => u.emotion != null && isHuman(u.emotion_prov))
  const agree = labelled.every((u) => u.emotion === labelled[0]?.emotion)
  const emotion = labelled.length && agree ? labelled[0].emotion : null
  const emotionProv =
    emotion == null ? null : labelled.map((u) => u.emotion_prov!).reduce((a, b) => weaker(a, b))
  const withText = [r, n].filter((u) => u.transcript.trim() !== '')
  const merged: UttRecord = {
    ...r,
    id: ctx.newUtteranceId(),
    end_ms: Math.max(r.end_ms, n.end_ms),
    bounds_prov: 'corrected',
    transcript: joinText(r.transcript, n.transcript),
    transcript_prov: withText.length
      ? withText.map((u) => u.transcript_prov).reduce((a, b) => weaker(a, b))
      : r.transcript_prov,
    emotion,
    emotion_prov: emotionProv,
    translation: translationProv ? joinText(r.translation ?? '', n.translation ?? '') : null,
    translation_prov: translationProv,
    created_at: ctx.now,
  }
  return {
    before: [r, n],
    after: [merged],
    corrections: [
      {
        utteranceId: merged.id,
        field: 'merge',
        previous: {
          ids: [r.id, n.id],
          bounds: [
            [r.start_ms / 1000, r.end_ms / 1000],
            [n.start_ms / 1000, n.end_ms / 1000],
          ],
        },
        value: { start: merged.start_ms / 1000, end: merged.end_ms / 1000 },
        previousProvenance: r.bounds_prov,
        provenance: 'corrected',
      },
    ],
  }
}

/**
 * Cuts a transcript where the time split falls, at the whitespace nearest to that fraction of
 * the text (by code points); text without whitespace (e.g. CJK) is cut at the fraction itself.
 */
export function splitText(text: string, fraction: number): [string, string] {
  const chars = [...text]
  if (!chars.length) return ['', '']
  const target = Math.round(fraction * chars.length)
  let best = -1
  for (let i = 0; i < chars.length; i++) {
    if (/\s/.test(chars[i]) && (best < 0 || Math.abs(i - target) < Math.abs(best - target))) best = i
  }
  const cut = best >= 0 ? best : target
  return [chars.slice(0, cut).join('').trim(), chars.slice(cut).join('').trim()]
}
