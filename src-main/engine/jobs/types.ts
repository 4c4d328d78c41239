/**
 * What a long-running job looks like from outside (inference, fine-tuning, export, proxies): its
 * kind, status and progress snapshot. The engine owns the shape; the contract re-exports it.
 */

import type { JobItem, JobStatus } from '../core/job-control'

export type { JobItem, JobStatus }
export type JobKind = 'inference' | 'finetune' | 'export' | 'proxy'

export interface JobSnapshot {
  id: string
  kind: JobKind
  label: string
  status: JobStatus
  /** 0..1 over the whole job. */
  progress: number
  stage: string
  /** Per-item progress (e.g. per media file) when the job has items. */
  items: JobItem[]
  startedAt: number | null
  endedAt: number | null
  etaSec: number | null
  error: string | null
  result: unknown
}
