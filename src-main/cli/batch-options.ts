/**
 * The options of `fws batch`, local or on a queue: their shape as commander gives them, and the
 * check of the values the run's numbers depend on (exit code 2 on a bad value).
 */
import { ModelSelectionError, selectModels, TASKS, type Task } from '../engine/pipeline/select-models'
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

function parsePositive(name: string, v: string | undefined, int: boolean): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0 || (int && !Number.isInteger(n)))
    throw new CliError(`--${name} must be a positive ${int ? 'integer' : 'number'} (got "${v}")`, 2)
  return n
}

/** The options a run's numbers depend on, checked (exit code 2 on a bad value). */
export function parseRunOptions(o: BatchCliOptions) {
  const fps = parsePositive('fps', o.fps, false)!
  if (fps > 30) throw new CliError(`--fps must be at most 30 (got ${fps})`, 2)
  const detectEvery = parsePositive('detect-every', o.detectEvery, true)!
  const jobs = parsePositive('jobs', o.jobs, true)
  const tasks = o.tasks
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
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
