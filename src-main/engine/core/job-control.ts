/**
 * What a long-running piece of work sees of the job it runs in: its cancellation signal and the
 * progress it reports (overall, stage, per item). Owned by the core so that the layers that do the
 * work (pipeline, training) report progress without depending on the job registry that runs them.
 * Free of Node and DOM (the contract's job snapshot uses JobStatus and JobItem).
 */

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled'

/** Progress of one item of a job (e.g. one media file of a batch). */
export interface JobItem {
  name: string
  status: JobStatus
  progress: number
  error: string | null
}

export interface JobControl {
  readonly id: string
  /** Aborted when the job is cancelled; pass it to every ffmpeg process and model loop. */
  readonly signal: AbortSignal
  /** Overall progress 0..1 (clamped, never goes backwards) and optionally the current stage. */
  progress(fraction: number, stage?: string): void
  stage(stage: string): void
  /** Per-item state (e.g. one media file of a batch). */
  item(index: number, patch: Partial<JobItem>): void
  /** Replaces the item list (when the items are only known after the job started, e.g. discovery). */
  setItems(names: string[]): void
}
