/**
 * The options of `fws batch`, local or on a queue: their shape as commander gives them, and the
 * check of the values the run's numbers depend on (exit code 2 on a bad value).
 */
import { ModelSelectionError, selectModels, TASKS, type Task } from '../engine/pipeline/select-models'
import { commaList, parseFrameOptions, parsePositive } from './number-options'
import { CliError } from './output'

export interface BatchCliOptions {
  out?: string
  subsDir?: string
  fps: string
  detectEvery: string
  models?: string
  emotionModel?: string
  translationModel?: string
  tasks: string
  jobs?: string
  resume?: boolean
  retryFailed?: boolean
  json?: boolean
  project?: string
  cache: boolean
  queue?: string
  run?: string
  watch?: boolean
  cancel?: boolean
}

/** The options a run's numbers depend on, checked (exit code 2 on a bad value). */
export function parseRunOptions(o: BatchCliOptions) {
  const { fps, detectEvery } = parseFrameOptions(o)
  const jobs = o.jobs === undefined ? undefined : parsePositive(o.jobs, 'jobs', { int: true, exitCode: 2 })
  const tasks = commaList(o.tasks)
  for (const t of tasks)
    if (!TASKS.includes(t as Task))
      throw new CliError(`--tasks: unknown task "${t}" (use ${TASKS.join(', ')})`, 2)
  let models
  try {
    models = selectModels({
      modelsDir: o.models,
      emotion: o.emotionModel,
      translation: o.translationModel,
      tasks: tasks as Task[],
    })
  } catch (err) {
    if (err instanceof ModelSelectionError) throw new CliError(err.message, 2)
    throw err
  }
  return { fps, detectEvery, jobs, models }
}
