/**
 * What the review dashboard and the per-modality evidence of an utterance report. The engine owns
 * the shapes (review/dashboard.ts, review/evidence.ts compute them); the contract re-exports them.
 */

export interface ReviewDashboard {
  media: { mediaId: string; name: string; reviewed: number; total: number }[]
  /** Utterances per label: as the model predicted, and the labels humans set by correcting. */
  labels: { label: string; model: number; corrected: number; accepted: number }[]
  /** Rows: the model's label; columns: the human label, on reviewed utterances with a prediction. */
  confusion: { labels: string[]; counts: number[][] }
  /** Model confidence (top probability) in 10 bins of 0.1 over predicted utterances. */
  confidence: { bins: number[]; reviewed: number[] }
  reviewed: number
  total: number
}
/** What each modality says about one utterance, measured by the engine on request. */
export interface UtteranceEvidence {
  utteranceId: string
  /** Class probabilities of the emotion model's latest prediction, or null before inference. */
  model: { probabilities: Record<string, number>; modelVersion: string } | null
  /** face-api expression probabilities averaged over the sampled frames with a face. */
  face: { expressions: Record<string, number>; faceShare: number; frames: number } | null
  audio: {
    /** RMS energy in dBFS. */
    energyDb: number
    /** 5th and 95th percentile of the voiced pitch in Hz, or null when nothing is voiced. */
    pitchHz: { low: number; high: number } | null
    /** Share of 10 ms frames that are voiced. */
    voicedShare: number
    /** Words of the transcript per second of the utterance. */
    wordsPerSec: number
  } | null
  /** What could not be measured, and why. */
  notes: string[]
}
