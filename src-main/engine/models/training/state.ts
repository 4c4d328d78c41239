/**
 * The one on-disk format of a resumable training state, for every task: a folder (replaced
 * atomically on every save, so a kill mid-save leaves the previous state) holding
 *   trainer.json   { format: 'fws-training-state-2', task, step, optimizers, sha256, ...the task's fields }
 *   <name>.json + data   named float32 tensor files (tensor-file.ts): `model` (current weights),
 *                  `optimizer` (Adam moments m/<name>, v/<name>), and what the task adds
 *                  (`best` weights, a GAN-Fusion `optimizer-gan`)
 *   other files    the task's own (e.g. `vocab.json`)
 * with the sha256 of every file in trainer.json, checked on resume.
 *
 * Also reads the translation states written before the one core ('fws-translation-state-1': the
 * same files, optimiser counts in `step` / `ganAdamStep`, no checksums), so the shipped model's
 * state resumes as it is; it is written back in this format at the next save.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { NamedTensor } from './tensor-file'
import type { AdamState } from './adam'
import { readTensorFile, tensorDataFile, writeDirAtomic, writeTensorFile } from './tensor-file'

export const TRAINING_STATE_FORMAT = 'fws-training-state-2'
const LEGACY_TRANSLATION_FORMAT = 'fws-translation-state-1'
const STATE_FILE = 'trainer.json'

/** trainer.json: the core's fields plus the task's own (epoch, history, RNG, …). */
export interface TrainingStateMeta {
  format: typeof TRAINING_STATE_FORMAT
  task: string
  /** Updates made so far. */
  step: number
  /** Per optimiser (its tensor file's name): update counts. */
  optimizers: Record<string, Omit<AdamState, 'tensors'>>
  sha256: Record<string, string>
  [field: string]: unknown
}

export interface TrainingStateInput {
  task: string
  step: number
  /** The task's own fields of trainer.json. */
  fields: Record<string, unknown>
  /** Tensor files by name (`model`, `best`, …). */
  tensors: Record<string, NamedTensor[]>
  /** Optimisers by tensor-file name (`optimizer`, `optimizer-gan`). */
  optimizers: Record<string, AdamState>
  /** Other files by name. */
  files?: Record<string, string>
}

function sha(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex')
}

/** True when `dir` holds a training state (of any supported version). */
export function hasTrainingState(dir: string): boolean {
  return existsSync(join(dir, STATE_FILE))
}

/** Writes the state folder `dir` (atomically replaced). */
export function saveTrainingState(dir: string, s: TrainingStateInput): void {
  writeDirAtomic(dir, (tmp) => {
    const sums: Record<string, string> = {}
    const put = (base: string, tensors: NamedTensor[]): void => {
      writeTensorFile(tmp, tensors, base)
      for (const f of [`${base}.json`, tensorDataFile(base)]) sums[f] = sha(readFileSync(join(tmp, f)))
    }
    for (const [base, tensors] of Object.entries(s.tensors)) put(base, tensors)
    const optimizers: TrainingStateMeta['optimizers'] = {}
    for (const [base, { tensors, ...counts }] of Object.entries(s.optimizers)) {
      put(base, tensors)
      optimizers[base] = counts
    }
    for (const [name, content] of Object.entries(s.files ?? {})) {
      writeFileSync(join(tmp, name), content)
      sums[name] = sha(content)
    }
    const meta: TrainingStateMeta = {
      ...s.fields,
      format: TRAINING_STATE_FORMAT,
      task: s.task,
      step: s.step,
      optimizers,
      sha256: sums,
    }
    writeFileSync(join(tmp, STATE_FILE), JSON.stringify(meta, null, 1))
  })
}

/** A state folder opened for resuming: its trainer.json and checked readers of its files. */
export interface TrainingState {
  dir: string
  meta: TrainingStateMeta
  tensors(base: string): NamedTensor[]
  optimizer(base: string): AdamState | null
  file(name: string): string
}

/** Opens the state in `dir` for `task`; throws a specific error when it is missing, foreign or corrupt. */
export function openTrainingState(dir: string, task: string): TrainingState {
  const path = join(dir, STATE_FILE)
  if (!existsSync(path)) {
    if (existsSync(join(dir, 'state.json')))
      throw new Error(
        `${dir} holds a training state of an older version (state.json), which cannot be resumed: start over without --resume`,
      )
    throw new Error(`no training state in ${dir}`)
  }
  let meta: TrainingStateMeta
  try {
    meta = JSON.parse(readFileSync(path, 'utf8')) as TrainingStateMeta
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`, { cause: err })
  }
  if ((meta.format as string) === LEGACY_TRANSLATION_FORMAT && task === 'translation') meta = fromLegacy(meta)
  if (meta.format !== TRAINING_STATE_FORMAT)
    throw new Error(`${path}: unknown training state format ${JSON.stringify(meta.format)}`)
  if (meta.task !== task) throw new Error(`${dir} holds a ${meta.task} training state, not ${task}`)
  const check = (f: string): void => {
    const want = meta.sha256[f]
    if (want !== undefined && sha(readFileSync(join(dir, f))) !== want)
      throw new Error(`${f} in ${dir} is corrupt (checksum mismatch)`)
  }
  const tensors = (base: string): NamedTensor[] => {
    check(`${base}.json`)
    check(tensorDataFile(base))
    return readTensorFile(dir, base)
  }
  return {
    dir,
    meta,
    tensors,
    optimizer: (base) => {
      const counts = meta.optimizers[base]
      return counts ? { ...counts, tensors: tensors(base) } : null
    },
    file: (name) => {
      check(name)
      return readFileSync(join(dir, name), 'utf8')
    },
  }
}

/** A translation state written before the one core, in this format's terms (files unchanged). */
function fromLegacy(old: TrainingStateMeta): TrainingStateMeta {
  const { ganAdamStep, format: _f, ...fields } = old as TrainingStateMeta & { ganAdamStep?: number }
  void _f
  const optimizers: TrainingStateMeta['optimizers'] = { optimizer: { step: old.step } }
  if (existsGan(old)) optimizers['optimizer-gan'] = { step: ganAdamStep ?? 0 }
  return { ...fields, format: TRAINING_STATE_FORMAT, task: 'translation', optimizers, sha256: {} }
}

function existsGan(old: TrainingStateMeta): boolean {
  const hyper = old.hyper as { fusion?: string } | undefined
  return hyper?.fusion === 'ganfusion'
}

/**
 * Default folder of a run's training files (`state/`, `snapshots/`, the `STOP` file) for the model
 * folder `out`: beside it, never inside it, so a model folder holds only what ships (weights,
 * vocabulary, manifest, card).
 */
export function defaultTrainingDir(out: string): string {
  return out.replace(/[\\/]+$/, '') + '.training'
}
