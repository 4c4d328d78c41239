/**
 * Model checkpoints on disk: the one format of every model folder (emotion and translation).
 * Owns the folder format and its validation:
 *   manifest.json  what the model is (task, fusion method, modalities + feature dims + whether
 *                  each was trained, label set / vocabulary file, training data by file name +
 *                  sha256 (never a path), hyperparameters, metrics, parent model with its weights'
 *                  checksum, created-at, version; for translation the languages and the decoding
 *                  settings tuned on val) and the size + sha256 of the weights (required);
 *   model.json     the model configuration + a tfjs-style weights manifest (names, shapes, dtypes);
 *   weights.bin    float32 weights, concatenated in model.json order;
 *   other files    named by the manifest (e.g. vocab.json).
 * `loadCheckpoint` validates the manifest, the model.json, the file size and the checksum BEFORE
 * any weight is read into a model, and names the first thing that is wrong.
 * Files are written to a temporary name and renamed, weights first and manifest last, so a crash
 * mid-save leaves either the previous checkpoint or a detectably incomplete one.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { z } from 'zod'
import { tfm, type ParamStore } from '../fusion/nn'
import { packFloat32, unpackFloat32, type NamedTensor } from './training/tensor-file'

export type { NamedTensor }

export const CHECKPOINT_FORMAT = 'fws-checkpoint'
export const CHECKPOINT_FORMAT_VERSION = 2

const SHA256 = /^[0-9a-f]{64}$/

const modalityInfo = z.object({
  /** Feature columns per frame (null for text). */
  dim: z.number().int().positive().nullable(),
  /** Whether training data had this modality (false: branch present but trained only as "absent"). */
  trained: z.boolean(),
})

/** One training-data file: its name (no folder: manifests never record the machine's paths) and content hash. */
const dataFile = z.object({
  role: z.string().min(1),
  name: z
    .string()
    .min(1)
    .refine((n) => !n.includes('/') && !n.includes('\\'), 'a file name, not a path'),
  sha256: z.string().regex(SHA256),
  /** Lines / items read from it, when counted. */
  lines: z.number().int().min(0).optional(),
})

/** A further network of a translation ensemble: its subfolder, what it is, the checksum of its weights. */
const ensembleMember = z.object({
  dir: z
    .string()
    .min(1)
    .refine(
      (d) =>
        !path.isAbsolute(d) && !d.split(/[\\/]/).some((part) => part === '..' || part === '.' || part === ''),
      'a subfolder of the model folder',
    ),
  name: z.string().min(1),
  version: z.string().min(1),
  weightsSha256: z.string().regex(SHA256),
})
export type EnsembleMember = z.infer<typeof ensembleMember>

/** The key under `files` of an ensemble member's manifest. */
export const memberManifestKey = (dir: string) => `member:${dir}`

/** Decoding settings tuned on val (translation): used when a caller gives none. */
export const decodingSchema = z.object({
  beam: z.number().int().min(1),
  lengthPenalty: z.number().finite(),
  /** How the values were chosen (scripts/tune-decoding.ts): data, sentences, BLEU per α tried (val, and the confirmation set). */
  selection: z
    .object({
      data: z.string(),
      sentences: z.number(),
      candidates: z.array(z.object({ lengthPenalty: z.number(), bleu: z.number() })),
      /** The same settings measured on a confirmation set, and the rule that chose from both. */
      confirm: z
        .object({
          data: z.string(),
          sentences: z.number(),
          candidates: z.array(z.object({ lengthPenalty: z.number(), bleu: z.number() })),
        })
        .optional(),
      rule: z.string().optional(),
    })
    .optional(),
})
export type DecodingSettings = z.infer<typeof decodingSchema>

const manifestObject = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  formatVersion: z.literal(CHECKPOINT_FORMAT_VERSION),
  name: z.string().min(1).max(200),
  task: z.enum(['emotion', 'translation']),
  version: z.string().min(1).max(200),
  fusion: z.string().min(1).max(64),
  modalities: z.partialRecord(z.enum(['text', 'audio', 'visual']), modalityInfo),
  labels: z.array(z.string().min(1)).min(2).optional(),
  /** Extra files of the checkpoint (e.g. { vocab: 'vocab.json' }). */
  files: z.record(z.string(), z.string().min(1)).default({}),
  /** sha256 of model.json and of each file listed in `files`, by file name (checked at load like the weights). */
  fileSha256: z.record(z.string(), z.string().regex(SHA256)).default({}),
  /** sha256 over the data entries (role, name, sha256), "sha256:<hex>". */
  dataHash: z.string().min(1),
  data: z.array(dataFile),
  hyperparameters: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.unknown()),
  /** The model this one was fine-tuned from, with the checksum of the weights it started from. */
  parent: z
    .object({ name: z.string().min(1), version: z.string().min(1), weightsSha256: z.string().regex(SHA256) })
    .nullable(),
  createdAt: z.string().min(1),
  weights: z.object({
    file: z.string().min(1),
    bytes: z.number().int().min(0),
    sha256: z.string().regex(SHA256),
  }),
  /** Translation: languages and decoding settings. */
  sourceLanguage: z.string().min(1).optional(),
  targetLanguage: z.string().min(1).optional(),
  decoding: decodingSchema.optional(),
  /**
   * Translation: further networks decoded together with this folder's own (engine/models/
   * translation/ensemble.ts), each a complete checkpoint in a subfolder `dir`, whose manifest.json
   * this manifest lists under `files` (so its checksum, and through it every file of the member,
   * is checked at load).
   */
  ensemble: z.array(ensembleMember).optional(),
})

export const manifestSchema = manifestObject.passthrough().superRefine((m, ctx) => {
  if (m.task === 'translation') {
    for (const k of ['sourceLanguage', 'targetLanguage'] as const)
      if (!m[k]) ctx.addIssue({ code: 'custom', path: [k], message: 'required for a translation model' })
    if (!m.files.vocab)
      ctx.addIssue({ code: 'custom', path: ['files', 'vocab'], message: 'required for a translation model' })
  }
  for (const f of ['model.json', ...Object.values(m.files)])
    if (!m.fileSha256[f])
      ctx.addIssue({
        code: 'custom',
        path: ['fileSha256', f],
        message: 'checksum of a listed file is missing',
      })
  for (const member of m.ensemble ?? [])
    if (m.files[memberManifestKey(member.dir)] !== `${member.dir}/manifest.json`)
      ctx.addIssue({
        code: 'custom',
        path: ['files', memberManifestKey(member.dir)],
        message: `must list ${member.dir}/manifest.json (the ensemble member's checksum)`,
      })
  if (m.ensemble && m.task !== 'translation')
    ctx.addIssue({ code: 'custom', path: ['ensemble'], message: 'only translation models are ensembles' })
  if (m.task === 'emotion' && !m.labels)
    ctx.addIssue({ code: 'custom', path: ['labels'], message: 'required for an emotion model' })
})
export type CheckpointManifest = z.infer<typeof manifestSchema>
/** What a writer gives saveCheckpoint: the manifest minus what saving computes; extra fields are kept. */
export type ManifestInput = Omit<
  z.input<typeof manifestObject>,
  'format' | 'formatVersion' | 'weights' | 'createdAt' | 'files' | 'fileSha256' | 'dataHash'
> & {
  createdAt?: string
  files?: Record<string, string>
  [extra: string]: unknown
}
export type DataFile = z.infer<typeof dataFile>

/** A saved manifest as input for saving a derived model (what saving computes left out). */
export function manifestInput(m: CheckpointManifest): ManifestInput {
  const input: Record<string, unknown> = { ...m }
  for (const k of ['format', 'formatVersion', 'weights', 'files', 'fileSha256', 'dataHash']) delete input[k]
  return input as ManifestInput
}

/** The manifest's dataHash: sha256 over its data entries (role, file name, content hash), in order. */
export function dataHashOf(data: DataFile[]): string {
  const h = createHash('sha256')
  for (const d of data) h.update(`${d.role}\t${d.name}\t${d.sha256}\n`)
  return `sha256:${h.digest('hex')}`
}

/** sha256 (hex) of a file's bytes. */
export function fileSha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex')
}

const weightSpec = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().min(0)),
  dtype: z.literal('float32'),
})
const modelJsonSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  modelConfig: z.record(z.string(), z.unknown()),
  weightsManifest: z
    .array(z.object({ paths: z.array(z.string()).length(1), weights: z.array(weightSpec) }))
    .length(1),
})

export interface LoadedCheckpoint {
  dir: string
  manifest: CheckpointManifest
  modelConfig: Record<string, unknown>
  tensors: Map<string, NamedTensor>
  /** Reads a file the manifest lists under `files`. */
  readFile(key: string): string
  /** An ensemble's members (manifest `ensemble`, in order), checked and read with the folder. */
  members: LoadedCheckpoint[]
}

/** What verifyCheckpoint checked of a folder: the parsed parts, the raw weights, its members likewise. */
export interface VerifiedCheckpoint {
  dir: string
  manifest: CheckpointManifest
  modelJson: z.infer<typeof modelJsonSchema>
  weights: Buffer
  members: VerifiedCheckpoint[]
}

export class CheckpointError extends Error {
  constructor(dir: string, problem: string, cause?: unknown) {
    super(`checkpoint ${dir}: ${problem}`, cause === undefined ? undefined : { cause })
    this.name = 'CheckpointError'
  }
}

function writeAtomic(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp-${process.pid}`
  writeFileSync(tmp, data)
  renameSync(tmp, file)
}

/** Snapshot of every variable of a store, by logical name. */
export function storeTensors(store: ParamStore): NamedTensor[] {
  return store
    .list()
    .map((e) => ({ name: e.name, shape: [...e.variable.shape], data: e.variable.dataSync() as Float32Array }))
}

/** Writes a checkpoint folder. `extraFiles` maps manifest keys to { file name: content }. */
export function saveCheckpoint(
  dir: string,
  opts: {
    manifest: ManifestInput
    modelConfig: Record<string, unknown>
    tensors: NamedTensor[]
    extraFiles?: Record<string, { file: string; content: string | Buffer }>
  },
): CheckpointManifest {
  mkdirSync(dir, { recursive: true })
  for (const t of opts.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1)
    if (n !== t.data.length)
      throw new Error(`saveCheckpoint: ${t.name} has ${t.data.length} values for shape [${t.shape}]`)
  }
  const buf = packFloat32(opts.tensors)
  const files: Record<string, string> = { ...(opts.manifest.files ?? {}) }
  for (const [key, f] of Object.entries(opts.extraFiles ?? {})) {
    writeAtomic(path.join(dir, f.file), f.content)
    files[key] = f.file
  }
  writeAtomic(path.join(dir, 'weights.bin'), buf)
  const modelJson = {
    format: CHECKPOINT_FORMAT,
    modelConfig: opts.modelConfig,
    weightsManifest: [
      {
        paths: ['weights.bin'],
        weights: opts.tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: 'float32' })),
      },
    ],
  }
  writeAtomic(path.join(dir, 'model.json'), JSON.stringify(modelJson))
  const manifest = manifestSchema.parse({
    ...opts.manifest,
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    createdAt: opts.manifest.createdAt ?? new Date().toISOString(),
    files,
    fileSha256: Object.fromEntries(
      ['model.json', ...Object.values(files)].map((f) => [f, fileSha256(path.join(dir, f))]),
    ),
    dataHash: dataHashOf(opts.manifest.data),
    weights: {
      file: 'weights.bin',
      bytes: buf.length,
      sha256: createHash('sha256').update(buf).digest('hex'),
    },
  })
  writeAtomic(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
  return manifest
}

function readJson(dir: string, file: string): unknown {
  const p = path.join(dir, file)
  if (!existsSync(p)) throw new CheckpointError(dir, `${file} is missing`)
  try {
    return JSON.parse(readFileSync(p, 'utf8'))
  } catch (err) {
    throw new CheckpointError(dir, `${file} is not valid JSON (${(err as Error).message})`, err)
  }
}

function issues(e: z.ZodError): string {
  return e.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ')
}

/** Reads and checks only manifest.json (what lists and the registry need). */
export function readManifest(dir: string, expectTask?: 'emotion' | 'translation'): CheckpointManifest {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CheckpointError(dir, 'no such folder')
  const raw = readJson(dir, 'manifest.json') as { task?: unknown } | null
  // The wrong kind of model is named as such, before what that kind would require.
  if (expectTask && raw && typeof raw === 'object' && typeof raw.task === 'string' && raw.task !== expectTask)
    throw new CheckpointError(dir, `is a ${raw.task} model, not a ${expectTask} model`)
  const r = manifestSchema.safeParse(raw)
  if (!r.success) throw new CheckpointError(dir, `manifest.json is invalid: ${issues(r.error)}`)
  return r.data
}

/** Throws unless `file` in the checkpoint folder has the sha256 the manifest records for it. */
function checkFile(dir: string, manifest: CheckpointManifest, file: string, buf?: Buffer): void {
  const p = path.join(dir, file)
  if (!existsSync(p)) throw new CheckpointError(dir, `${file} is missing`)
  const sha = createHash('sha256')
    .update(buf ?? readFileSync(p))
    .digest('hex')
  const want = file === manifest.weights.file ? manifest.weights.sha256 : manifest.fileSha256[file]
  if (sha !== want)
    throw new CheckpointError(
      dir,
      `${file} does not match the manifest (sha256 ${sha.slice(0, 12)}… ≠ recorded ${want?.slice(0, 12) ?? 'none'}…): the file is corrupt or was replaced`,
    )
}

/**
 * An ensemble member: a complete checkpoint in its subfolder (verified like any), the one the
 * manifest names (weights checksum), over the same vocabulary (vocab.json checksum).
 */
function verifyMember(dir: string, manifest: CheckpointManifest, member: EnsembleMember): VerifiedCheckpoint {
  const verified = verifyCheckpoint(path.join(dir, member.dir), { task: 'translation' })
  const m = verified.manifest
  if (m.ensemble) throw new CheckpointError(dir, `ensemble member ${member.dir} is an ensemble itself`)
  if (m.weights.sha256 !== member.weightsSha256)
    throw new CheckpointError(
      dir,
      `ensemble member ${member.dir} is not the one the manifest names (weights checksum differs)`,
    )
  const vocabSha = (x: CheckpointManifest) => x.fileSha256[x.files.vocab ?? '']
  if (vocabSha(m) !== vocabSha(manifest))
    throw new CheckpointError(
      dir,
      `ensemble member ${member.dir} has another vocabulary; members must share one`,
    )
  return verified
}

/**
 * Validates a checkpoint folder: the manifest, the task, and every file against its recorded
 * size / sha256 (model.json, the weights, each listed file), and each ensemble member's folder
 * likewise. Returns the parsed parts and the raw weights (the folder's own); throws a
 * CheckpointError naming the first file that does not match.
 */
export function verifyCheckpoint(
  dir: string,
  expect: { task?: 'emotion' | 'translation' } = {},
): VerifiedCheckpoint {
  const manifest = readManifest(dir, expect.task)
  checkFile(dir, manifest, 'model.json')
  const mj = modelJsonSchema.safeParse(readJson(dir, 'model.json'))
  if (!mj.success) throw new CheckpointError(dir, `model.json is invalid: ${issues(mj.error)}`)
  const group = mj.data.weightsManifest[0]!
  const wFile = group.paths[0]!
  if (wFile !== manifest.weights.file)
    throw new CheckpointError(
      dir,
      `model.json names ${wFile} but the manifest names ${manifest.weights.file}`,
    )
  const expectedBytes = group.weights.reduce((s, w) => s + 4 * w.shape.reduce((a, b) => a * b, 1), 0)
  if (expectedBytes !== manifest.weights.bytes)
    throw new CheckpointError(
      dir,
      `model.json describes ${expectedBytes} bytes of weights but the manifest records ${manifest.weights.bytes}`,
    )
  const wPath = path.join(dir, wFile)
  if (!existsSync(wPath)) throw new CheckpointError(dir, `${wFile} is missing`)
  const size = statSync(wPath).size
  if (size !== expectedBytes)
    throw new CheckpointError(
      dir,
      `${wFile} has ${size} bytes, expected ${expectedBytes} (truncated or wrong file)`,
    )
  const buf = readFileSync(wPath)
  checkFile(dir, manifest, wFile, buf)
  for (const f of Object.values(manifest.files)) checkFile(dir, manifest, f)
  const members = (manifest.ensemble ?? []).map((member) => verifyMember(dir, manifest, member))
  return { dir, manifest, modelJson: mj.data, weights: buf, members }
}

/**
 * Validates a checkpoint folder (verifyCheckpoint) and reads its weights. `expect.task` guards
 * against loading a translation model as an emotion model (and vice versa).
 */
export function loadCheckpoint(
  dir: string,
  expect: { task?: 'emotion' | 'translation' } = {},
): LoadedCheckpoint {
  return readVerified(verifyCheckpoint(dir, expect))
}

/** The weights (and members) of a verified folder, read into tensors. */
function readVerified(v: VerifiedCheckpoint): LoadedCheckpoint {
  const { dir, manifest, modelJson, weights: buf } = v
  const specs = modelJson.weightsManifest[0]!.weights
  const tensors = new Map<string, NamedTensor>()
  for (const t of unpackFloat32(buf, specs)) {
    if (tensors.has(t.name)) throw new CheckpointError(dir, `weight ${t.name} appears twice`)
    tensors.set(t.name, t)
  }
  return {
    dir,
    manifest,
    modelConfig: modelJson.modelConfig,
    tensors,
    readFile: (key: string) => {
      const f = manifest.files[key]
      if (!f) throw new CheckpointError(dir, `the manifest lists no '${key}' file`)
      return readFileSync(path.join(dir, f), 'utf8')
    },
    members: v.members.map(readVerified),
  }
}

/**
 * Copies checkpoint tensors into a freshly built model's variables. Every variable must be in the
 * checkpoint with the same shape, and every checkpoint tensor must belong to a variable.
 */
export function assignTensors(store: ParamStore, tensors: Map<string, NamedTensor>, dir = '(memory)'): void {
  const entries = store.list()
  const names = new Set(entries.map((e) => e.name))
  for (const e of entries) {
    const t = tensors.get(e.name)
    if (!t)
      throw new CheckpointError(
        dir,
        `has no weight for ${e.name} (the checkpoint does not match this model configuration)`,
      )
    if (t.shape.join('x') !== e.variable.shape.join('x'))
      throw new CheckpointError(
        dir,
        `weight ${e.name} has shape [${t.shape}] but the model expects [${e.variable.shape}]`,
      )
  }
  for (const name of tensors.keys())
    if (!names.has(name)) throw new CheckpointError(dir, `has a weight ${name} the model does not define`)
  const tf = tfm()
  for (const e of entries) {
    const t = tensors.get(e.name)!
    const value = tf.tensor(t.data, t.shape)
    e.variable.assign(value)
    value.dispose()
  }
}

/** A short description of this machine for manifests and model cards. */
export function machineInfo(): string {
  const cpus = os.cpus()
  return `${cpus.length}× ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`
}
