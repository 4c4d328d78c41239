/**
 * The app's inference job (`jobs.startInference`): runs the batch pipeline over media of the open
 * project and stores the predictions in it. Owns the translation from project media ids to files,
 * the model choice (the shipped defaults; a missing one is an error naming it) and where the
 * by-product batch outputs go (the cache, not the user's folders).
 */
import { createHash } from 'node:crypto'
import path from 'node:path'
import type { JobSnapshot } from './types'
import { cacheDir } from '../paths'
import { runBatch } from '../pipeline/batch'
import { storeSink } from '../pipeline/project-sink'
import { selectAvailableModels, type ModelChoice } from '../pipeline/select-models'
import type { ProjectStore } from '../project/store'
import type { JobRegistry } from './registry'
import { UnknownIdError } from '../core/unknown-id'

export interface InferenceJobInput {
  mediaIds: string[]
  fps?: number
}

export interface InferenceJobOptions {
  models?: Omit<ModelChoice, 'tasks'>
  jobs?: number
  /** Called after a file's predictions are in the project (the service tells the front ends). */
  onFileWritten?: () => void
}

/**
 * Validates the request (every media id in the project, models present) and enqueues the job.
 * Throws at once, before any job exists, when the request cannot run.
 */
export function startInferenceJob(
  registry: JobRegistry,
  store: ProjectStore,
  input: InferenceJobInput,
  opts: InferenceJobOptions = {},
): JobSnapshot {
  const mediaByFile = new Map<string, string>()
  const files = input.mediaIds.map((id) => {
    const f = store.mediaFile(id)
    if (!f) throw new UnknownIdError(`media "${id}" is not in the open project`)
    mediaByFile.set(f, id)
    return f
  })
  const { models, missing } = selectAvailableModels(opts.models)
  // Results go to the entries asked for, even when two entries share their bytes.
  const sink = storeSink(store, () => {}, { mediaByFile })
  const outDir = path.join(
    cacheDir(),
    'inference',
    createHash('sha256').update(store.path).digest('hex').slice(0, 16),
  )
  const label = `Inference on ${files.length} file${files.length === 1 ? '' : 's'}`
  return registry.start(
    { kind: 'inference', label, items: files.map((f) => path.basename(f)) },
    async (job) => {
      const summary = await runBatch(
        {
          inputs: files,
          outDir,
          fps: input.fps,
          models,
          jobs: opts.jobs,
          // Corrected cuts may differ from the last run on the same content: always recompute.
          resume: false,
          segmentsFor: sink.segmentsFor,
          onFileResult: async (file, result, hash) => {
            await sink.write(file, result, hash)
            opts.onFileWritten?.()
          },
        },
        job,
      )
      // The project is where this job's results go: a file whose predictions could not be stored
      // there (projectError; its cached outputs are complete) did not reach the user either.
      const failed = summary.files.filter((f) => f.status === 'failed' || f.projectError)
      if (failed.length === summary.files.length && failed.length)
        throw new Error(
          failed.map((f) => `${path.basename(f.file)}: ${f.error ?? f.projectError}`).join('; '),
        )
      // A task without its model did not run: say so with the result rather than silently omit it.
      return { ...summary, missingModels: missing }
    },
  )
}
