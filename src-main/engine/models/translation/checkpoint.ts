/**
 * Translation model folders in the one checkpoint format of every model (../checkpoint.ts:
 * manifest.json validated before any weight is read, model.json with the TranslationConfig and the
 * weights manifest, weights.bin, vocab.json, each checked against its recorded sha256), plus what
 * only translation training needs: the training record a run fills in (TranslationManifest) and its
 * conversion into a checkpoint manifest, the resumable training state and snapshots (`state/`,
 * `snapshots/`: bare weights files), and checkpoint averaging. Writes are atomic (temp folder +
 * rename) so a kill mid-save never leaves a half-written model folder.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type * as TF from '@tensorflow/tfjs'
import { z } from 'zod'
import type { BpeVocabJson } from '../../features/text/bpe'
import { FUSION_METHODS, type FusionMethod } from '../../fusion/types'
import {
  CheckpointError,
  readManifest as readCheckpointManifest,
  saveCheckpoint,
  type CheckpointManifest,
  type DecodingSettings,
  type ManifestInput,
} from '../checkpoint'
import type { TranslationConfig } from './model'

/** Tag of the training record below (what train.ts fills in); on disk every model is `fws-checkpoint`. */
export const TRANSLATION_FORMAT = 'fws-translation-1'

/**
 * What a translation training run records about the model it writes. saveModelFolder turns it into
 * the checkpoint manifest: data files by name + sha256 (never the training machine's paths), the
 * config into model.json, the weights' checksum computed.
 */
export interface TranslationManifest {
  format: typeof TRANSLATION_FORMAT
  task: 'translation'
  name: string
  version: string
  createdAt: string
  sourceLanguage: string
  targetLanguage: string
  architecture: 'transformer'
  fusion: string
  modalities: {
    text: { vocab: string; vocabSize: number; normalization: string }
    audio: { input: 'pooled'; dim: number; trained: boolean }
    visual: { input: 'pooled'; dim: number; trained: boolean }
  }
  config: TranslationConfig
  vocab: string
  weights: string
  parameters: number
  data: Record<string, { path: string; sha256: string; lines: number }>
  hyperparameters: Record<string, unknown>
  training: { steps: number; epochs: number; seconds: number; machine: string; command: string }
  metrics: Record<string, unknown>
  /** The model this one continues from, with the checksum of its weights (null: trained from scratch). */
  parentModel: CheckpointManifest['parent']
  /** Decoding settings tuned on val for this model (beam width, GNMT length penalty α); used when a caller gives none. */
  decoding?: DecodingSettings
  /**
   * Set when the weights are the element-wise mean of training snapshots: their steps, and how
   * many were chosen (scripts/average-translation.ts: greedy BLEU on val per count tried).
   */
  averaged?: {
    steps: number[]
    selection?: {
      data: string
      sentences: number
      /** Greedy val BLEU of the model the average replaced. */
      current: number
      candidates: Array<{ last: number; bleu: number }>
    }
  }
}

/** The checkpoint manifest (minus what saving computes) for a training record. */
export function translationManifestInput(r: TranslationManifest): ManifestInput {
  return {
    name: r.name,
    task: 'translation',
    version: r.version,
    createdAt: r.createdAt,
    fusion: r.fusion,
    modalities: {
      text: { dim: null, trained: true },
      audio: { dim: r.modalities.audio.dim, trained: r.modalities.audio.trained },
      visual: { dim: r.modalities.visual.dim, trained: r.modalities.visual.trained },
    },
    data: Object.entries(r.data).map(([role, d]) => ({
      role,
      name: basename(d.path),
      sha256: d.sha256,
      lines: d.lines,
    })),
    hyperparameters: r.hyperparameters,
    metrics: r.metrics,
    parent: r.parentModel,
    sourceLanguage: r.sourceLanguage,
    targetLanguage: r.targetLanguage,
    ...(r.decoding ? { decoding: r.decoding } : {}),
    architecture: r.architecture,
    normalization: r.modalities.text.normalization,
    parameters: r.parameters,
    training: r.training,
    ...(r.averaged ? { averaged: r.averaged } : {}),
  }
}

/** model.json's modelConfig of a translation checkpoint, checked before a model is built from it. */
export const translationConfigSchema = z
  .object({
    vocabSize: z.number().int().positive(),
    dModel: z.number().int().positive(),
    heads: z.number().int().positive(),
    ffDim: z.number().int().positive(),
    encLayers: z.number().int().positive(),
    decLayers: z.number().int().positive(),
    latentDim: z.number().int().positive(),
    fusedDim: z.number().int().positive(),
    dropout: z.number().min(0).max(1),
    maxLen: z.number().int().positive(),
    audioDim: z.number().int().positive(),
    visualDim: z.number().int().positive(),
    /** Absent in models made before the fusion choice: AutoFusion with hidden size floor(k/2). */
    fusion: z.enum(FUSION_METHODS as [FusionMethod, ...FusionMethod[]]).optional(),
    fusionOptions: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough()
  .refine((c) => c.dModel % c.heads === 0, 'dModel must be divisible by heads')

/** A translation model folder's configuration from its model.json (CheckpointError naming the problem). */
export function translationConfig(dir: string, modelConfig: Record<string, unknown>): TranslationConfig {
  const r = translationConfigSchema.safeParse(modelConfig)
  if (!r.success)
    throw new CheckpointError(
      dir,
      `model.json is not a translation model configuration: ${r.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ')}`,
    )
  return r.data as unknown as TranslationConfig
}

interface WeightsManifestJson {
  format: 'fws-weights-1'
  weightsManifest: Array<{
    paths: string[]
    weights: Array<{ name: string; shape: number[]; dtype: 'float32' }>
  }>
}

/** Writes named float32 tensors as model.json + weights.bin into `dir` (which must exist). */
export function writeWeights(dir: string, tensors: Map<string, TF.Tensor>, base = 'model'): void {
  const specs: Array<{ name: string; shape: number[]; dtype: 'float32' }> = []
  const parts: Buffer[] = []
  for (const [name, t] of tensors) {
    if (t.dtype !== 'float32') throw new Error(`weight "${name}" is ${t.dtype}; only float32 is stored`)
    const data = t.dataSync() as Float32Array
    parts.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
    specs.push({ name, shape: t.shape, dtype: 'float32' })
  }
  const bin = base === 'model' ? 'weights.bin' : `${base}.bin`
  const json: WeightsManifestJson = {
    format: 'fws-weights-1',
    weightsManifest: [{ paths: [bin], weights: specs }],
  }
  writeFileSync(join(dir, bin), Buffer.concat(parts))
  writeFileSync(join(dir, `${base}.json`), JSON.stringify(json))
}

/** Reads tensors written by writeWeights; checks the byte length against the declared shapes. */
export function readWeights(tf: typeof TF, dir: string, base = 'model'): Map<string, TF.Tensor> {
  const jsonPath = join(dir, `${base}.json`)
  if (!existsSync(jsonPath)) throw new Error(`${jsonPath} is missing`)
  let json: WeightsManifestJson
  try {
    json = JSON.parse(readFileSync(jsonPath, 'utf8')) as WeightsManifestJson
  } catch (err) {
    throw new Error(`${jsonPath} is not valid JSON: ${(err as Error).message}`, { cause: err })
  }
  const group = json.weightsManifest?.[0]
  if (!group?.paths?.[0] || !Array.isArray(group.weights))
    throw new Error(`${jsonPath} has no weights manifest`)
  const binPath = join(dir, group.paths[0])
  if (!existsSync(binPath)) throw new Error(`${binPath} is missing`)
  const buf = readFileSync(binPath)
  const expected = group.weights.reduce((a, w) => a + 4 * w.shape.reduce((x, y) => x * y, 1), 0)
  if (buf.length !== expected)
    throw new Error(
      `${binPath} holds ${buf.length} bytes but ${jsonPath} declares ${expected}: the checkpoint is corrupt`,
    )
  const out = new Map<string, TF.Tensor>()
  let off = 0
  for (const w of group.weights) {
    const n = w.shape.reduce((x, y) => x * y, 1)
    const arr = new Float32Array(n)
    Buffer.from(arr.buffer).set(buf.subarray(off, off + 4 * n))
    off += 4 * n
    out.set(w.name, tf.tensor(arr, w.shape, 'float32'))
  }
  return out
}

/** Reads and validates a translation model folder's manifest (CheckpointError naming the problem). */
export function readManifest(dir: string): CheckpointManifest {
  return readCheckpointManifest(dir, 'translation')
}

/** Replaces `dir` atomically with the folder `fill` writes: temp sibling, then rename. */
export function writeDirAtomic(dir: string, fill: (tmp: string) => void): void {
  mkdirSync(dirname(dir), { recursive: true })
  const tmp = `${dir}.tmp-${process.pid}`
  const old = `${dir}.old-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  fill(tmp)
  if (existsSync(dir)) renameSync(dir, old)
  renameSync(tmp, dir)
  rmSync(old, { recursive: true, force: true })
}

/** Writes a complete model folder in the checkpoint format from a training record. */
export function saveModelFolder(
  dir: string,
  record: TranslationManifest,
  weights: Map<string, TF.Tensor>,
  vocab: BpeVocabJson,
): void {
  saveTranslationCheckpoint(
    dir,
    translationManifestInput(record),
    record.config,
    weights,
    vocab,
    record.vocab,
  )
}

/** Writes a translation model folder (replaced atomically): manifest, model.json, weights, vocabulary. */
export function saveTranslationCheckpoint(
  dir: string,
  manifest: ManifestInput,
  config: TranslationConfig,
  weights: Map<string, TF.Tensor>,
  vocab: BpeVocabJson,
  vocabFile = 'vocab.json',
): void {
  writeDirAtomic(dir, (tmp) =>
    saveCheckpoint(tmp, {
      manifest: { ...manifest, files: {} },
      modelConfig: config as unknown as Record<string, unknown>,
      tensors: [...weights].map(([name, t]) => {
        if (t.dtype !== 'float32') throw new Error(`weight "${name}" is ${t.dtype}; only float32 is stored`)
        return { name, shape: t.shape, data: t.dataSync() as Float32Array }
      }),
      extraFiles: { vocab: { file: vocabFile, content: JSON.stringify(vocab) } },
    }),
  )
}

/**
 * Moves the model files of folder `from` (weights, vocabulary, manifest last) into `dir`, replacing
 * its model there one file at a time while leaving the rest of `dir` (a training run's `state/`,
 * `snapshots/`) alone; `from` must be on the same file system. Removes `from`.
 */
export function installModelFiles(from: string, dir: string): void {
  const manifest = readManifest(from)
  for (const f of [...Object.values(manifest.files), 'model.json', manifest.weights.file, 'manifest.json'])
    renameSync(join(from, f), join(dir, f))
  rmSync(from, { recursive: true, force: true })
}

const SNAPSHOT_DIR = /^step-(\d+)$/

/** The snapshot folders in `dir` (written by writeSnapshot), oldest first. */
export function listSnapshots(dir: string): Array<{ step: number; dir: string }> {
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .map((name) => ({ m: SNAPSHOT_DIR.exec(name), name }))
    .filter((e): e is { m: RegExpExecArray; name: string } => e.m !== null)
    .map((e) => ({ step: Number(e.m[1]), dir: join(dir, e.name) }))
    .sort((a, b) => a.step - b.step)
}

/** Keeps the weights of training step `step` as `<dir>/step-NNNNNNN/`; prunes all but the newest `keep`. */
export function writeSnapshot(
  dir: string,
  step: number,
  weights: Map<string, TF.Tensor>,
  keep: number,
): void {
  writeDirAtomic(join(dir, `step-${String(step).padStart(7, '0')}`), (tmp) => writeWeights(tmp, weights))
  const all = listSnapshots(dir)
  for (const old of all.slice(0, Math.max(0, all.length - keep)))
    rmSync(old.dir, { recursive: true, force: true })
}

/**
 * Element-wise mean of the weights in `dirs` (checkpoint averaging: Vaswani et al. 2017 average the
 * last checkpoints of a run). Every folder must hold the same names and shapes.
 */
export function averageWeights(tf: typeof TF, dirs: string[]): Map<string, TF.Tensor> {
  if (dirs.length === 0) throw new Error('no snapshots to average')
  const sum = new Map<string, Float32Array>()
  const shapes = new Map<string, number[]>()
  for (const dir of dirs) {
    const w = readWeights(tf, dir)
    try {
      if (sum.size > 0 && (w.size !== sum.size || [...w.keys()].some((k) => !sum.has(k))))
        throw new Error(`${dir} holds other weights than ${dirs[0]}: snapshots of different models`)
      for (const [name, t] of w) {
        const data = t.dataSync() as Float32Array
        const acc = sum.get(name)
        if (!acc) {
          sum.set(name, Float32Array.from(data))
          shapes.set(name, t.shape)
        } else if (acc.length !== data.length) throw new Error(`${dir}: weight "${name}" has another shape`)
        else for (let i = 0; i < data.length; i++) acc[i]! += data[i]!
      }
    } finally {
      tf.dispose([...w.values()])
    }
  }
  const out = new Map<string, TF.Tensor>()
  for (const [name, acc] of sum) {
    for (let i = 0; i < acc.length; i++) acc[i]! /= dirs.length
    out.set(name, tf.tensor(acc, shapes.get(name), 'float32'))
  }
  return out
}
