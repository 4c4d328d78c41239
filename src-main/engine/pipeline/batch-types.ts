/**
 * The shapes of a batch run: its options, the events it reports, each file's summary and the
 * run's `summary.json`, and what one file's processing needs and returns (shared by the local
 * batch and the Redis queue's workers).
 */
import type { WorkerPool } from '../core/pool'
import type { WorkerName } from '../core/worker-entry'
import type { DroppedCues } from '../media/subtitles/cue'
import type { SkippedEntry } from './discover'
import type {
  FileProgress,
  FileResult,
  ModelSelection,
  PartOutcome,
  Segment,
  SegmentOutcome,
  Stage,
  WorkerTask,
} from './types'

export interface BatchOptions {
  inputs: string[]
  outDir: string
  subsDir?: string | null
  /** Frames per second sampled for visual features. */
  fps?: number
  /** Run the face detector on every Nth sampled frame and track in between (1 = every frame). */
  detectEvery?: number
  models: ModelSelection
  /** Worker threads (files processed at once). Default: number of cores. */
  jobs?: number
  /** Skip files whose outputs are complete for the same content and models. */
  resume?: boolean
  /** With `resume`: redo files that failed last time (by default their failure is reported again). */
  retryFailed?: boolean
  /** Use the feature cache (default true). */
  cache?: boolean
  /** Called after a file's outputs are written (e.g. to store the predictions in a project). */
  onFileResult?: (file: string, result: FileResult, contentHash: string) => Promise<void>
  /** Utterances to use for a file instead of segmenting it (e.g. the cuts already in a project), or null. */
  segmentsFor?: (file: string, contentHash: string) => Promise<Segment[] | null>
  /** Fine-grained events for progress displays (per-file stage); the job snapshot carries the rest. */
  onEvent?: (e: BatchEvent) => void
  /** Worker entry override (tests and benches). */
  worker?: WorkerName | { file: string }
}

export type BatchEvent =
  | {
      type: 'discovered'
      files: { file: string; name: string }[]
      skipped: SkippedEntry[]
    }
  | { type: 'file-start'; index: number; name: string; file: string }
  | {
      type: 'file-progress'
      index: number
      name: string
      stage: Stage | 'hash' | 'write'
      fraction: number
      fileFraction: number
    }
  | {
      type: 'file-done'
      index: number
      name: string
      utterances: number
      /** Utterances left without an emotion label for lack of evidence. */
      noEvidence: number
      skipped: boolean
      seconds: number
    }
  | {
      type: 'file-failed'
      index: number
      name: string
      error: string
      code: string | null
      previous: boolean
    }
  | { type: 'file-cancelled'; index: number; name: string }

export type FileStatus = 'done' | 'skipped' | 'failed' | 'cancelled'

export interface FileSummary {
  file: string
  name: string
  status: FileStatus
  /** For `failed`: the specific error; `previous` when it is the recorded failure of an earlier run. */
  error: string | null
  errorCode: string | null
  previous: boolean
  utterances: number
  /**
   * Utterances the emotion model gave no label for lack of evidence (none of its trained
   * modalities present, e.g. no transcript for a text-only model), with the way out.
   */
  noEvidence: { utterances: number; hint: string } | null
  /** Subtitle cues left out, by reason (reversed, zero-length, after the media's end, …); {} when none. */
  droppedCues: DroppedCues
  durationSec: number
  stageSec: Record<string, number>
  outputs: string[]
  /**
   * Set when the outputs were written but the results could not be stored where the run also sends
   * them (the project of `--project` / the app): the file stays `done`; `--resume` stores them again.
   */
  projectError: string | null
}

export interface BatchSummary {
  version: 1
  startedAt: string
  endedAt: string
  wallSec: number
  outDir: string
  status: 'done' | 'cancelled'
  options: {
    fps: number
    detectEvery: number
    subsDir: string | null
    jobs: number
    resume: boolean
    extractorVersion: string
  }
  models: ModelSelection
  backend: string[]
  totals: {
    files: number
    done: number
    skipped: number
    failed: number
    cancelled: number
    utterances: number
    /** Utterances without an emotion label for lack of evidence, over all files. */
    noEvidence: number
    /** Subtitle cues left out over all files (per file and reason in files[].droppedCues). */
    droppedCues: number
    /** Media seconds processed in this run (skipped files excluded). */
    mediaSec: number
    /** Media seconds per wall second for the processed files. */
    realTimeFactor: number | null
  }
  /** Work done vs avoided: `processed` files went through the pipeline; the others were reused. */
  work: { processed: number; reusedComplete: number; reusedFailed: number }
  /** Sum of wall seconds per stage over processed files (worker time; overlaps across workers). */
  stageSec: Record<string, number>
  files: FileSummary[]
  /**
   * Entries not taken as media, with why: `code` is not-media, not-regular (FIFO, socket, device:
   * never opened), broken-link, link-loop, permission, duplicate (a file or folder already taken,
   * e.g. through a link) or unreadable.
   */
  notMedia: SkippedEntry[]
}

/** The worker-thread pool one process runs files on (`size` threads; a long file is split between them). */
export type PipelinePool = WorkerPool<WorkerTask, SegmentOutcome | PartOutcome, FileProgress>

/** What one file's processing needs besides the file itself. */
export interface FileContext {
  /**
   * This run's id, written into every completion record: a record of this run found again (a
   * queued job done a second time after its worker died) is this run's work, not an earlier one.
   */
  runId: string
  outDir: string
  fps: number
  detectEvery: number
  subsDir: string | null
  models: ModelSelection
  cache: boolean
  resume: boolean
  retryFailed: boolean
  /** Every input of the run: a completion record of another input is never taken for this one. */
  inputs: ReadonlySet<string>
  pool: PipelinePool
  signal: AbortSignal
  onFileResult?: BatchOptions['onFileResult']
  segmentsFor?: BatchOptions['segmentsFor']
}

/** One file's events, as `processFile` reports them (the batch adds the file's index and name). */
export type FileEvent =
  | { type: 'file-start' }
  | { type: 'file-progress'; stage: Stage | 'hash' | 'write'; fraction: number; fileFraction: number }
  | { type: 'file-done'; utterances: number; noEvidence: number; skipped: boolean; seconds: number }
  | { type: 'file-failed'; error: string; code: string | null; previous: boolean }
  | { type: 'file-cancelled' }

export interface FileOutcome {
  summary: FileSummary
  /** The tfjs backend the file ran on (null when it was not processed). */
  backend: string | null
  /** How the file counts in `summary.work` (null when cancelled or failed before any work). */
  work: keyof BatchSummary['work'] | null
}
