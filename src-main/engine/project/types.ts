/**
 * The project's domain records as every face shows them: projects, media, utterances with their
 * per-field review state, model predictions, and the corrections (edits) a reviewer makes. The
 * engine owns these shapes; the contract (src-main/contract) re-exports them for the front ends.
 * Free of Node and DOM: the renderer's type check reads this file too.
 */
import { z } from 'zod'
import type { Emotion } from '../core/labels'

const id = z.string().min(1).max(200)
const seconds = z
  .number()
  .finite()
  .min(0)
  .max(7 * 24 * 3600)

/**
 * Where a value shown to the user came from: its review state, per field. 'model' and
 * 'imported' are unreviewed; only an explicit action on that field makes it 'accepted' or
 * 'corrected' (human data).
 */
export type Provenance = 'model' | 'corrected' | 'accepted' | 'imported'

export interface ProjectInfo {
  path: string
  name: string
  schemaVersion: number
  mediaCount: number
  utteranceCount: number
  canUndo: boolean
  canRedo: boolean
}

export interface MediaInfo {
  id: string
  path: string
  name: string
  durationSec: number
  hasAudio: boolean
  hasVideo: boolean
  utteranceCount: number
}

export interface EmotionPrediction {
  label: Emotion | string
  probabilities: Record<string, number>
  /** 1 − (p1 − p2): 0 = sure, 1 = torn between two labels. */
  uncertainty: number
  modelVersion: string
}

export interface UtteranceRow {
  id: string
  mediaId: string
  index: number
  start: number
  end: number
  transcript: string
  /** null: the transcript is empty and nobody wrote one (a VAD cut), not a model output. */
  transcriptProvenance: Provenance | null
  emotion: string | null
  emotionProvenance: Provenance | null
  prediction: EmotionPrediction | null
  /** Why the latest emotion model run gave no label ("no evidence: …"), else null. */
  emotionNoEvidence: string | null
  translation: string | null
  translationProvenance: Provenance | null
  source: string
}

// ---------------------------------------------------------------- edits (corrections)

export const editInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('label'), utteranceId: id, emotion: z.string().min(1).max(64) }),
  /** Confirms ONE field's model prediction as human data (default: the emotion). */
  z.object({
    kind: z.literal('accept'),
    utteranceId: id,
    field: z.enum(['emotion', 'translation']).optional(),
  }),
  z.object({ kind: z.literal('transcript'), utteranceId: id, text: z.string().max(10_000) }),
  z.object({ kind: z.literal('translation'), utteranceId: id, text: z.string().max(10_000) }),
  z
    .object({ kind: z.literal('bounds'), utteranceId: id, start: seconds, end: seconds })
    .refine((e) => e.end > e.start, 'end must be after start'),
  z.object({ kind: z.literal('split'), utteranceId: id, at: seconds }),
  z.object({ kind: z.literal('merge'), utteranceId: id, withNextId: id }),
])
export type Edit = z.infer<typeof editInput>

export interface EditResult {
  /** Rows whose values changed (or were created); removed ids in `removed`. */
  changed: UtteranceRow[]
  removed: string[]
  canUndo: boolean
  canRedo: boolean
  /** Monotonic id of the change in the project's history: proof the edit is durable. */
  historyId: number
}
