/**
 * Translation checkpoint folders: `manifest.json` (validated before any weight is read),
 * `model.json` (tfjs weights manifest: names, shapes, dtypes, byte layout), `weights.bin`,
 * `vocab.json`. Also the resumable training state (`state/`: weights + Adam moments + trainer
 * position). Owns the on-disk format and its validation; writes are atomic (temp folder + rename)
 * so a kill mid-save never leaves a half-written checkpoint.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type * as TF from '@tensorflow/tfjs'
import type { BpeVocabJson } from '../../features/text/bpe'
import type { TranslationConfig } from './model'

export const TRANSLATION_FORMAT = 'fws-translation-1'

export interface TranslationManifest {
  format: typeof TRANSLATION_FORMAT
  task: 'translation'
  name: string
  version: string
  createdAt: string
  sourceLanguage: string
  targetLanguage: string
  architecture: 'transformer'
  fusion: 'autofusion'
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
  parentModel: string | null
  /** Decoding settings tuned on val for this model (beam width, GNMT length penalty α); used when a caller gives none. */
  decoding?: {
    beam: number
    lengthPenalty: number
    /** How the values were chosen (scripts/tune-decoding.ts): data, sentences, BLEU per α tried. */
    selection?: {
      data: string
      sentences: number
      candidates: Array<{ lengthPenalty: number; bleu: number }>
    }
  }
  /** sha256 of weights.bin, checked at load. */
  weightsSha256?: string
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

/** Validates a parsed manifest object; throws a message naming the first problem. */
export function validateManifest(m: unknown, where: string): TranslationManifest {
  const o = m as Partial<TranslationManifest> | null
  const fail = (why: string): never => {
    throw new Error(`${where}: not a usable translation model manifest (${why})`)
  }
  if (!o || typeof o !== 'object') fail('not an object')
  if (o!.task !== 'translation') fail(`task is "${String(o!.task)}", expected "translation"`)
  if (o!.format !== TRANSLATION_FORMAT)
    fail(`format is "${String(o!.format)}", expected "${TRANSLATION_FORMAT}"`)
  const c = o!.config
  if (!c || typeof c !== 'object') fail('config missing')
  for (const k of [
    'vocabSize',
    'dModel',
    'heads',
    'ffDim',
    'encLayers',
    'decLayers',
    'latentDim',
    'fusedDim',
    'maxLen',
    'audioDim',
    'visualDim',
  ] as const)
    if (!Number.isInteger(c![k]) || c![k] <= 0) fail(`config.${k} must be a positive integer`)
  if (c!.dModel % c!.heads !== 0) fail('config.dModel must be divisible by config.heads')
  const d = o!.decoding
  if (d !== undefined && !(Number.isInteger(d?.beam) && d.beam >= 1 && Number.isFinite(d.lengthPenalty)))
    fail('decoding must be {beam: integer ≥ 1, lengthPenalty: number}')
  if (typeof o!.vocab !== 'string' || typeof o!.weights !== 'string')
    fail('vocab / weights file names missing')
  return o as TranslationManifest
}

export function readManifest(dir: string): TranslationManifest {
  const p = join(dir, 'manifest.json')
  if (!existsSync(p)) throw new Error(`${dir} is not a translation model folder: manifest.json is missing`)
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(p, 'utf8'))
  } catch (err) {
    throw new Error(`${p} is not valid JSON: ${(err as Error).message}`, { cause: err })
  }
  return validateManifest(raw, p)
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

/** Writes a complete model folder (manifest with the weights' checksum, weights, vocabulary). */
export function saveModelFolder(
  dir: string,
  manifest: TranslationManifest,
  weights: Map<string, TF.Tensor>,
  vocab: BpeVocabJson,
): void {
  writeDirAtomic(dir, (tmp) => {
    writeWeights(tmp, weights)
    writeFileSync(join(tmp, manifest.vocab), JSON.stringify(vocab))
    const weightsSha256 = createHash('sha256')
      .update(readFileSync(join(tmp, 'weights.bin')))
      .digest('hex')
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify({ ...manifest, weightsSha256 }, null, 2) + '\n')
  })
}

/**
 * Moves the model files of folder `from` (weights, vocabulary, manifest last) into `dir`, replacing
 * its model there one file at a time while leaving the rest of `dir` (a training run's `state/`,
 * `snapshots/`) alone; `from` must be on the same file system. Removes `from`.
 */
export function installModelFiles(from: string, dir: string): void {
  const manifest = readManifest(from)
  for (const f of [manifest.vocab, 'model.json', 'weights.bin', 'manifest.json'])
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
