/**
 * The app's fine-tune job (`jobs.startFinetune`): the open project's corrected utterances become a
 * corpus (exported on the main thread: it reads the project's SQLite connection), and a worker
 * thread fine-tunes the base model on it (jobs/finetune.ts → models/emotion-finetune.ts, or
 * models/translation/finetune.ts for the translator's corrected translations), so training
 * never blocks the process that serves the UI. Owns where the new version goes (the project's
 * `models/` folder) and the cleanup of the temporary corpus.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { JobSnapshot } from './types'
import { projectMediaRoots } from '../exchange/corpus'
import { exportProject } from '../exchange/export'
import type { FinetuneFromCorpusOptions, FinetuneSummary } from './finetune'
import { selectModels, type ModelChoice } from '../pipeline/select-models'
import type { ProjectStore } from '../project/store'
import { WorkerPool } from '../core/pool'
import type { JobRegistry } from './registry'

export interface FinetuneJobInput {
  baseModel: 'emotion' | 'translation'
  epochs?: number
  heldOutFraction?: number
}

/** What the worker gets: finetuneFromCorpus options without the callbacks and the signal. */
export type FinetuneTask = Omit<FinetuneFromCorpusOptions, 'signal' | 'log' | 'onProgress'>
export interface FinetuneProgress {
  fraction: number
  stage: string
}

export function startFinetuneJob(
  registry: JobRegistry,
  store: ProjectStore,
  input: FinetuneJobInput,
  opts: { models?: ModelChoice; onDone?: (summary: FinetuneSummary) => void } = {},
): JobSnapshot {
  const task = input.baseModel
  if (task !== 'emotion' && task !== 'translation')
    throw new Error(
      `fine-tuning from corrections supports the emotion and translation models, not '${String(task)}'`,
    )
  const base = selectModels({ ...opts.models, tasks: [task] })[task]!
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')
  const out = path.join(store.dir, 'models', `${path.basename(base.dir)}-ft-${stamp}`)
  return registry.start(
    { kind: 'finetune', label: `Fine-tune ${base.name}@${base.version} on corrections` },
    async (job) => {
      job.progress(0, 'exporting corrections')
      const corpus = mkdtempSync(path.join(os.tmpdir(), 'fws-corrections-'))
      const pool = new WorkerPool<FinetuneTask, FinetuneSummary, FinetuneProgress>({
        worker: 'finetune-worker',
        size: 1,
      })
      try {
        const exp = await exportProject(store, {
          format: 'corpus',
          out: corpus,
          onlyCorrected: true,
          signal: job.signal,
        })
        if (!exp.records)
          throw new Error(
            'the project has no corrected utterances yet: correct or accept some labels or translations first',
          )
        const summary = await pool.run(
          {
            base: base.dir,
            data: corpus,
            out,
            epochs: input.epochs,
            heldOutFraction: input.heldOutFraction,
            corpusPaths: { mediaRoots: projectMediaRoots(store) },
          },
          { signal: job.signal, onProgress: (p) => job.progress(0.02 + 0.98 * p.fraction, p.stage) },
        )
        opts.onDone?.(summary)
        return summary
      } finally {
        await pool.close()
        if (existsSync(corpus)) rmSync(corpus, { recursive: true, force: true })
      }
    },
  )
}
