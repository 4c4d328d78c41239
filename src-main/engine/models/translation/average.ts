/**
 * Checkpoint averaging for the translator: a model folder whose weights are the element-wise mean
 * of the last snapshots a training run kept (`--snapshot-every`). Owns choosing the snapshots and
 * writing the averaged folder; the arithmetic and the snapshot format live in checkpoint.ts.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { getTf } from '../../backend'
import type { BpeVocabJson } from '../../features/text/bpe'
import { averageWeights, listSnapshots, readManifest, saveModelFolder } from './checkpoint'

export interface AverageOptions {
  /** Model folder of the run (manifest and vocabulary are taken from it). */
  model: string
  /** Snapshot folder. Default `<model>/snapshots`. */
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
  const base = readManifest(opts.model)
  const vocabPath = join(opts.model, base.vocab)
  if (!existsSync(vocabPath)) throw new Error(`${opts.model}: vocabulary ${base.vocab} is missing`)
  const snapDir = opts.snapshots ?? join(opts.model, 'snapshots')
  const all = listSnapshots(snapDir).filter((s) => opts.upToStep === undefined || s.step <= opts.upToStep)
  if (all.length < opts.last)
    throw new Error(
      `${snapDir} holds ${all.length} snapshot(s)${opts.upToStep !== undefined ? ` up to step ${opts.upToStep}` : ''}; ${opts.last} asked for`,
    )
  const chosen = all.slice(-opts.last)
  const steps = chosen.map((s) => s.step)
  const { tf } = await getTf()
  const weights = averageWeights(
    tf,
    chosen.map((s) => s.dir),
  )
  try {
    const release = base.version.split('+')[0]
    saveModelFolder(
      opts.out,
      {
        ...base,
        version: `${release}+avg${steps[0]}-${steps[steps.length - 1]}x${steps.length}`,
        createdAt: new Date().toISOString(),
        training: { ...base.training, steps: steps[steps.length - 1]! },
        averaged: { steps },
        metrics: {},
      },
      weights,
      JSON.parse(readFileSync(vocabPath, 'utf8')) as BpeVocabJson,
    )
  } finally {
    tf.dispose([...weights.values()])
  }
  return { out: opts.out, steps }
}
