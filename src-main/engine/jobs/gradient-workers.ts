/**
 * The gradient workers of data-parallel translation training on the engine's one worker pool:
 * `size` threads running jobs/workers/grad-worker.ts, each with a replica of the model of `init`.
 * Entry points (CLI, scripts) pass this to trainTranslation (`gradientWorkers`); the models layer
 * never imports jobs.
 */
import type { GradRequest, GradResponse, GradWorkerInit } from '../models/translation/grad-pool'
import { WorkerPool } from '../core/pool'
import { locateWorker } from '../core/worker-entry'

/** Throws at once (not at the first step) when the worker entry is missing from a build. */
export function startGradientWorkers(
  size: number,
  init: GradWorkerInit,
): WorkerPool<GradRequest, GradResponse> {
  locateWorker('grad-worker')
  return new WorkerPool<GradRequest, GradResponse>({ worker: 'grad-worker', size, init })
}
