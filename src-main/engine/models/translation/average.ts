/**
 * Checkpoint averaging for the translator: a model folder whose weights are the element-wise mean
 * of the last snapshots a training run kept (`--snapshot-every`). Owns choosing the snapshots and
 * writing the averaged folder; the arithmetic and the snapshot format live in checkpoint.ts.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { getTf } from '../../backend'
import type { BpeVocabJson } from '../../features/text/bpe'
import { manifestInput, verifyCheckpoint, type ManifestInput } from '../checkpoint'
import { averageSnapshots, listSnapshots } from '../training/snapshots'
import { defaultTrainingDir } from '../training/state'
import { saveTranslationCheckpoint, translationConfig } from './checkpoint'

export interface AverageOptions {
  /** Model folder of the run (manifest and vocabulary are taken from it). */
  model: string
  /** Snapshot folder. Default `<model>.training/snapshots` (the trainer's default). */
  snapshots?: string
  /** Average the newest N snapshots. */
  last: number
  /** Only snapshots at or before this step (to reproduce an average made earlier). */
  upToStep?: number
  /** Where the averaged model folder is written (replaced atomically). */
  out: string
}

export async function averageTranslationSnapshots(
  opts: AverageOptions,
): Promise<{ out: string; steps: number[] }> {
  if (!Number.isInteger(opts.last) || opts.last < 1)
    throw new Error(`--last must be a positive integer, got ${opts.last}`)
  for (const runFile of ['state', 'snapshots'])
    if (existsSync(join(opts.out, runFile)))
      throw new Error(
        `${opts.out} holds a training run (${runFile}/), which writing the average there would delete: choose another output folder`,
      )
  const { manifest: base, modelJson } = verifyCheckpoint(opts.model, { task: 'translation' })
  const config = translationConfig(opts.model, modelJson.modelConfig)
  const vocabFile = base.files.vocab!
  const vocabPath = join(opts.model, vocabFile)
  const snapDir = opts.snapshots ?? join(defaultTrainingDir(opts.model), 'snapshots')
  const all = listSnapshots(snapDir).filter((s) => opts.upToStep === undefined || s.step <= opts.upToStep)
  if (all.length < opts.last)
    throw new Error(
      `${snapDir} holds ${all.length} snapshot(s)${opts.upToStep !== undefined ? ` up to step ${opts.upToStep}` : ''}; ${opts.last} asked for`,
    )
  const chosen = all.slice(-opts.last)
  const steps = chosen.map((s) => s.step)
  const { tf } = await getTf()
  const weights = new Map(
    averageSnapshots(chosen.map((s) => s.dir)).map((t) => [t.name, tf.tensor(t.data, t.shape, 'float32')]),
  )
  try {
    const release = base.version.split('+')[0]
    const manifest: ManifestInput = {
      ...manifestInput(base),
      version: `${release}+avg${steps[0]}-${steps[steps.length - 1]}x${steps.length}`,
      createdAt: new Date().toISOString(),
      training: { ...(base.training as Record<string, unknown>), steps: steps[steps.length - 1]! },
      averaged: { steps },
      metrics: {},
    }
    saveTranslationCheckpoint(
      opts.out,
      manifest,
      config,
      weights,
      JSON.parse(readFileSync(vocabPath, 'utf8')) as BpeVocabJson,
      vocabFile,
    )
  } finally {
    tf.dispose([...weights.values()])
  }
  return { out: opts.out, steps }
}
