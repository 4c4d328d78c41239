/**
 * Which model folders a batch runs. Owns the defaults (resources/models/emotion-meld and
 * translation-en-de), `--models DIR` (a folder of model folders, or one model folder), explicit
 * per-task folders, leaving a task out on purpose, and the error when a needed model is missing:
 * it names the folder that was looked at and the ways out. A batch never runs without a real
 * model for a task it was asked to do: no made-up predictions.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { verifyCheckpoint } from '../models/checkpoint'
import { describeModel, listModels } from '../models/registry'
import { defaultModelsDir } from '../paths'
import type { ModelRef, ModelSelection } from './types'

export const DEFAULT_MODEL_NAMES = { emotion: 'emotion-meld', translation: 'translation-en-de' } as const
export type Task = keyof typeof DEFAULT_MODEL_NAMES
export const TASKS: Task[] = ['emotion', 'translation']

export interface ModelChoice {
  /** A folder holding model folders (default resources/models), or a single model folder. */
  modelsDir?: string
  /** Explicit model folder per task (wins over modelsDir). */
  emotion?: string
  translation?: string
  /** Tasks to run (default both). */
  tasks?: Task[]
}

export class ModelSelectionError extends Error {
  override name = 'ModelSelectionError'
}

export function selectModels(choice: ModelChoice = {}): ModelSelection {
  const tasks = choice.tasks ?? TASKS
  if (!tasks.length) throw new ModelSelectionError('no task chosen: run emotion, translation or both')
  const root = path.resolve(choice.modelsDir ?? defaultModelsDir())
  const out: ModelSelection = { emotion: null, translation: null }
  for (const task of tasks) out[task] = resolveTask(task, choice[task], root, !choice.modelsDir)
  return out
}

function resolveTask(
  task: Task,
  explicit: string | undefined,
  root: string,
  isDefaultRoot: boolean,
): ModelRef {
  const hint =
    `Pass a folder of trained models with --models DIR, one model folder with --${task}-model DIR, ` +
    `or leave ${task} out with --tasks ${TASKS.filter((t) => t !== task).join(',')}.`
  if (explicit) return checkedModel(task, path.resolve(explicit), hint)
  // --models may point at one model folder.
  if (existsSync(path.join(root, 'manifest.json'))) {
    const m = describeModel(root)
    if (m.task === task) return checkedModel(task, root, hint)
  }
  const preferred = path.join(root, DEFAULT_MODEL_NAMES[task])
  if (existsSync(preferred)) return checkedModel(task, preferred, hint)
  const candidates = listModels(root).filter((m) => m.task === task && m.present && !m.problem)
  if (candidates.length === 1) return checkedModel(task, candidates[0]!.dir, hint)
  if (candidates.length > 1)
    throw new ModelSelectionError(
      `several ${task} models in ${root} (${candidates.map((c) => c.name).join(', ')}): choose one with --${task}-model DIR`,
    )
  throw new ModelSelectionError(
    `the ${task} model is missing: no ${preferred}${isDefaultRoot ? ' (the default model has not been installed or trained yet)' : ''} and no other ${task} model in ${root}. ${hint}`,
  )
}

function checkedModel(task: Task, dir: string, hint: string): ModelRef {
  if (!existsSync(dir))
    throw new ModelSelectionError(`the ${task} model folder does not exist: ${dir}. ${hint}`)
  const m = describeModel(dir)
  if (m.problem || !m.present)
    throw new ModelSelectionError(
      `the ${task} model in ${dir} cannot be used: ${m.problem ?? 'incomplete'}. ${hint}`,
    )
  if (m.task !== task)
    throw new ModelSelectionError(`${dir} is a ${m.task} model, not a ${task} model. ${hint}`)
  // Every file against its recorded checksum before any work starts: a corrupt model is refused
  // (CheckpointError naming the file), never reported as merely missing.
  verifyCheckpoint(dir, { task })
  // The manifest's own name is what the model's predictions are recorded under (name@version).
  let name = m.name
  try {
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { name?: unknown }
    if (typeof manifest.name === 'string' && manifest.name) name = manifest.name
  } catch {
    /* describeModel already vouched for the manifest */
  }
  return { name, version: m.version, dir }
}

/**
 * The app's choice: every task whose model is present runs; a missing one is reported in
 * `missing` (shown with the job) instead of failing the whole job. No model at all is an error.
 */
export function selectAvailableModels(choice: Omit<ModelChoice, 'tasks'> = {}): {
  models: ModelSelection
  missing: string[]
} {
  const models: ModelSelection = { emotion: null, translation: null }
  const missing: string[] = []
  for (const task of TASKS) {
    try {
      models[task] = selectModels({ ...choice, tasks: [task] })[task]
    } catch (err) {
      if (!(err instanceof ModelSelectionError)) throw err
      missing.push(err.message)
    }
  }
  if (!models.emotion && !models.translation) throw new ModelSelectionError(missing.join(' '))
  return { models, missing }
}
