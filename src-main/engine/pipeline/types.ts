/**
 * The per-file inference pipeline's data: what goes into a worker (one file + options) and what
 * comes back (one row per utterance, time per stage). Plain structured-clone-able objects: they
 * cross the worker-thread boundary as they are.
 */

import type { MediaProbe } from '../media/probe'
import type { Utterance } from '../segment/index'
import type { DroppedCues } from '../media/subtitles/cue'

/** The stages of one file, in order; progress and timings are reported under these names. */
export const STAGES = ['probe', 'segment', 'features', 'emotion', 'translation'] as const
export type Stage = (typeof STAGES)[number]

/** Rough share of a file's wall time per stage, for one overall progress fraction. */
export const STAGE_WEIGHTS: Record<Stage, number> = {
  probe: 0.01,
  segment: 0.09,
  features: 0.7,
  emotion: 0.05,
  translation: 0.15,
}

/** A model as the outputs name it: folder name + manifest version (what `--resume` compares). */
export interface ModelRef {
  name: string
  version: string
  dir: string
}

export interface ModelSelection {
  emotion: ModelRef | null
  translation: ModelRef | null
}

/** One file's work order, main thread → worker. */
export interface FileTask {
  file: string
  fps: number
  /** Face detector runs on every Nth sampled frame; the face is tracked in between (features/visual). */
  detectEvery: number
  /** Folder to look for a sidecar subtitle file in (besides the media file's own folder). */
  subsDir: string | null
  models: ModelSelection
  /** Read and write the feature cache (features/cache.ts). */
  cache: boolean
  /** The file's content hash (computed by the batch for resume), reused as the feature cache fingerprint. */
  contentHash: string | null
  /**
   * Utterances to use instead of segmenting (e.g. a project's corrected cuts); null = segment the
   * file (sidecar / embedded subtitles, else voice activity).
   */
  segments: Segment[] | null
}

/** What a worker is asked to do: cut a file into utterances, or run the models on a run of them. */
export type WorkerTask =
  { kind: 'segment'; task: FileTask } | { kind: 'infer'; task: FileTask; part: InferPart }

export interface SegmentOutcome {
  probe: MediaProbe
  utterances: Utterance[]
  /** Where the cuts and text came from ('srt:clip.srt', 'embedded', 'vad', 'given'). */
  textSource: string
  /** Subtitle cues left out, by reason (reversed, after the media's end, …). */
  droppedCues: DroppedCues
  stageSec: Record<string, number>
}

/** A contiguous run of a file's utterances for one worker. */
export interface InferPart {
  probe: MediaProbe
  utterances: Utterance[]
  textSource: string
  /** Transcripts of the utterances just before this part (emotion dialogue context). */
  context: string[]
  /** Index of the part's first utterance in the file. */
  offset: number
}

export interface PartOutcome {
  rows: UtteranceResult[]
  stageSec: Record<string, number>
  backend: string
}

export interface Segment {
  start: number
  end: number
  text: string
  source: string
}

export interface FileProgress {
  stage: Stage
  /** 0..1 within the stage. */
  fraction: number
}

export interface EmotionResult {
  label: string
  probabilities: Record<string, number>
  /** 1 − (p1 − p2): 0 = sure, 1 = torn between two labels. */
  uncertainty: number
}

export interface UtteranceResult {
  index: number
  start: number
  end: number
  text: string
  /** Where the utterance boundaries and text came from (sidecar file, embedded stream, voice activity). */
  textSource: string
  emotion: EmotionResult | null
  /**
   * Why `emotion` is null although the emotion model ran: none of the modalities it was trained on
   * is present ("no evidence: …"). Null when there is a prediction or no emotion model was run.
   */
  emotionReason: string | null
  /** Null when there is no transcript to translate, or no translation model was run. */
  translation: string | null
  /** Which modalities were present (a missing one was masked, never filled with numbers). */
  modalities: { text: boolean; audio: boolean; visual: boolean; face: boolean }
}

/** How to give a text-trained model evidence for utterances that have none. */
export const NO_EVIDENCE_HINT =
  'give the file a transcript: a subtitle file beside it (same name, .srt/.vtt) or in a folder passed with --subs-dir'

/** Utterances the emotion model ran on but gave no label for lack of evidence. */
export function countNoEvidence(utterances: Pick<UtteranceResult, 'emotionReason'>[]): number {
  return utterances.filter((u) => u.emotionReason !== null && u.emotionReason !== undefined).length
}

export interface FileResult {
  file: string
  durationSec: number
  hasAudio: boolean
  hasVideo: boolean
  utterances: UtteranceResult[]
  /** Wall seconds per stage (features split into audio / visual / text when the extractor reports it). */
  stageSec: Record<string, number>
  /** The tfjs backend the worker ran on. */
  backend: string
  /** The file's probe result (container, streams), kept for project stores. */
  probe: unknown
  /** The models that produced the predictions (null for a task not run). */
  models: ModelSelection
  /** Subtitle cues left out, by reason. */
  droppedCues: DroppedCues
}
