/**
 * Translation model folders in the one checkpoint format of every model (../checkpoint.ts:
 * manifest.json validated before any weight is read, model.json with the TranslationConfig and the
 * weights manifest, weights.bin, vocab.json, each checked against its recorded sha256), plus what
 * only translation training needs: the training record a run fills in (TranslationManifest) and its
 * conversion into a checkpoint manifest, and tfjs views of the core's bare tensor files (resumable
 * state and snapshots live in ../training/). Writes are atomic (temp folder + rename) so a kill
 * mid-save never leaves a half-written model folder.
 */
import { renameSync, rmSync } from 'node:fs'
import { basename, join } from 'node:path'
import type * as TF from '@tensorflow/tfjs'
import { z } from 'zod'
import type { BpeVocabJson } from '../../features/text/bpe'
import { FUSION_METHODS, type FusionMethod } from '../../fusion/types'
import {
  CheckpointError,
  memberManifestKey,
  readManifest as readCheckpointManifest,
  saveCheckpoint,
  type CheckpointManifest,
  type DecodingSettings,
  type EnsembleMember,
  type ManifestInput,
  type NamedTensor,
} from '../checkpoint'
import { writeDirAtomic } from '../training/tensor-file'
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

/** Named float32 tensors as the core's tensor records (data copied out of tfjs). */
export function namedTensors(tensors: Map<string, TF.Tensor>): NamedTensor[] {
  return [...tensors].map(([name, t]) => {
    if (t.dtype !== 'float32') throw new Error(`weight "${name}" is ${t.dtype}; only float32 is stored`)
    return { name, shape: t.shape, data: t.dataSync() as Float32Array }
  })
}

/** Reads and validates a translation model folder's manifest (CheckpointError naming the problem). */
export function readManifest(dir: string): CheckpointManifest {
  return readCheckpointManifest(dir, 'translation')
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

/** One network of a translation folder: what its manifest says, its configuration and weights. */
export interface TranslationNetworkFiles {
  manifest: ManifestInput
  config: TranslationConfig
  weights: Map<string, TF.Tensor>
}

/**
 * Writes a translation model folder (replaced atomically): manifest, model.json, weights,
 * vocabulary. With `members` (subfolder → network), an ensemble: each member is written as a
 * complete model folder in its subfolder (same vocabulary), and the manifest names them
 * (`ensemble`, with their weights' checksums) and lists their manifests under `files`.
 */
export function saveTranslationCheckpoint(
  dir: string,
  manifest: ManifestInput,
  config: TranslationConfig,
  weights: Map<string, TF.Tensor>,
  vocab: BpeVocabJson,
  vocabFile = 'vocab.json',
  members: Record<string, TranslationNetworkFiles> = {},
): void {
  const write = (folder: string, net: TranslationNetworkFiles, files: Record<string, string> = {}) =>
    saveCheckpoint(folder, {
      manifest: { ...net.manifest, files },
      modelConfig: net.config as unknown as Record<string, unknown>,
      tensors: namedTensors(net.weights),
      extraFiles: { vocab: { file: vocabFile, content: JSON.stringify(vocab) } },
    })
  writeDirAtomic(dir, (tmp) => {
    const files: Record<string, string> = {}
    const ensemble: EnsembleMember[] = []
    for (const [sub, net] of Object.entries(members)) {
      const m = write(join(tmp, sub), net)
      ensemble.push({ dir: sub, name: m.name, version: m.version, weightsSha256: m.weights.sha256 })
      files[memberManifestKey(sub)] = `${sub}/manifest.json`
    }
    const { ensemble: _previous, ...own } = manifest
    void _previous
    write(tmp, { manifest: ensemble.length ? { ...own, ensemble } : own, config, weights }, files)
  })
}

/**
 * Moves the model files of folder `from` (weights, vocabulary, manifest last) into `dir`, replacing
 * its model there one file at a time while leaving the rest of `dir` alone (a card, a folder of an
 * older layout's training run); `from` must be on the same file system. Removes `from`.
 */
export function installModelFiles(from: string, dir: string): void {
  const manifest = readManifest(from)
  if (manifest.ensemble) throw new Error(`${from} is an ensemble: install it as a whole folder`)
  for (const f of [...Object.values(manifest.files), 'model.json', manifest.weights.file, 'manifest.json'])
    renameSync(join(from, f), join(dir, f))
  rmSync(from, { recursive: true, force: true })
}
