/**
 * Row shapes of the project database and their conversion to the contract's types. Owns the
 * mapping between stored integer milliseconds and the contract's seconds, and how the "effective"
 * value of a field is chosen (human-confirmed value over the latest model prediction).
 */
import type { EmotionPrediction, MediaInfo, Provenance, UtteranceRow } from './types'

/** One utterances-table row exactly as stored; history snapshots hold these verbatim. */
export interface UttRecord {
  id: string
  media_id: string
  start_ms: number
  end_ms: number
  bounds_prov: string
  transcript: string
  transcript_prov: string
  emotion: string | null
  emotion_prov: string | null
  translation: string | null
  translation_prov: string | null
  source: string
  created_at: number
}

export const UTT_COLUMNS = [
  'id',
  'media_id',
  'start_ms',
  'end_ms',
  'bounds_prov',
  'transcript',
  'transcript_prov',
  'emotion',
  'emotion_prov',
  'translation',
  'translation_prov',
  'source',
  'created_at',
] as const

export interface MediaRecord {
  id: string
  abs_path: string
  rel_path: string | null
  name: string
  sha256: string
  /** Segmentation source identity ('' = from the bytes, 'subs:<sha256>'); NULL = recorded before v2. */
  seg_key: string | null
  size_bytes: number
  duration_sec: number
  has_audio: number
  has_video: number
  probe_json: string
  added_at: number
}

export interface PredictionRecord {
  id: number
  utterance_id: string
  task: 'emotion' | 'translation'
  model_version: string
  label: string | null
  probabilities: string | null
  translation: string | null
  /** Emotion: why the model gave no label (no evidence), else null. */
  no_evidence: string | null
  created_at: number
}

/** Latest emotion and translation prediction of one utterance. */
export interface LatestPredictions {
  emotion: PredictionRecord | null
  translation: PredictionRecord | null
}

/** Seconds (contract) → stored milliseconds. Rounds: the store is exact to the millisecond. */
export function toMs(sec: number): number {
  return Math.round(sec * 1000)
}

export function toSec(ms: number): number {
  return ms / 1000
}

/** 1 − (p1 − p2): 0 = sure, 1 = torn between the two most likely labels. */
export function uncertaintyOf(probabilities: Record<string, number>): number {
  const ps = Object.values(probabilities).sort((a, b) => b - a)
  const p1 = ps[0] ?? 0
  const p2 = ps[1] ?? 0
  return Math.min(1, Math.max(0, 1 - (p1 - p2)))
}

export function emotionPrediction(p: PredictionRecord | null): EmotionPrediction | null {
  if (!p || p.label == null) return null
  const probabilities = p.probabilities ? (JSON.parse(p.probabilities) as Record<string, number>) : {}
  return {
    label: p.label,
    probabilities,
    uncertainty: uncertaintyOf(probabilities),
    modelVersion: p.model_version,
  }
}

/** True for the review states a human set (corrected, or an explicitly accepted prediction). */
export function isHuman(provenance: string | null | undefined): boolean {
  return provenance === 'corrected' || provenance === 'accepted'
}

/** An empty transcript nobody wrote has no review state (a VAD cut has bounds, not text). */
export function transcriptProvenance(r: UttRecord): Provenance | null {
  return r.transcript === '' && !isHuman(r.transcript_prov) ? null : (r.transcript_prov as Provenance)
}

export function toUtteranceRow(r: UttRecord, index: number, pred: LatestPredictions): UtteranceRow {
  const prediction = emotionPrediction(pred.emotion)
  const emotion = r.emotion ?? prediction?.label ?? null
  const emotionProvenance: Provenance | null =
    r.emotion != null ? (r.emotion_prov as Provenance) : prediction ? 'model' : null
  const predictedTranslation = pred.translation?.translation ?? null
  const translation = r.translation ?? predictedTranslation
  const translationProvenance: Provenance | null =
    r.translation != null ? (r.translation_prov as Provenance) : predictedTranslation != null ? 'model' : null
  return {
    id: r.id,
    mediaId: r.media_id,
    index,
    start: toSec(r.start_ms),
    end: toSec(r.end_ms),
    transcript: r.transcript,
    transcriptProvenance: transcriptProvenance(r),
    emotion,
    emotionProvenance,
    prediction,
    emotionNoEvidence: pred.emotion?.no_evidence ?? null,
    translation,
    translationProvenance,
    source: r.source,
  }
}

export function toMediaInfo(m: MediaRecord, path: string, utteranceCount: number): MediaInfo {
  return {
    id: m.id,
    path,
    name: m.name,
    durationSec: m.duration_sec,
    hasAudio: m.has_audio === 1,
    hasVideo: m.has_video === 1,
    utteranceCount,
  }
}
