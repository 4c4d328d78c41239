/**
 * An emotion model's checkpoint folder: saving a model with its manifest and vocabulary, and
 * loading one for prediction (validated before any weight is read; branches the manifest marks
 * untrained read nothing).
 */
import { z } from 'zod'
import type { Modality } from '../fusion/types'
import type { UtteranceFeatures } from '../features/types'
import {
  assignTensors,
  loadCheckpoint,
  machineInfo,
  saveCheckpoint,
  storeTensors,
  type CheckpointManifest,
  type DataFile,
} from './checkpoint'
import { EMOTION_MODEL_KIND } from './emotion-config'
import { EmotionModel, type EmotionExample, type EmotionModelConfig } from './emotion-model'
import { gateFeatures, noEvidenceReason, trainedModalities } from './evidence'
import type { ClassificationReport } from './metrics/classification'
import { evaluateClassifier } from './trainer'
import { WordVocab } from './word-vocab'

const modelConfigSchema = z
  .object({
    kind: z.literal(EMOTION_MODEL_KIND),
    labels: z.array(z.string().min(1)).min(2),
    modalities: z.array(z.enum(['text', 'audio', 'visual'])).min(1),
    fusion: z.enum(['concat', 'tfn', 'lmf', 'attention', 'autofusion', 'ganfusion']),
    latentDim: z.number().int().positive(),
    fusedDim: z.number().int().positive(),
  })
  .passthrough()

export interface SaveEmotionOptions {
  name: string
  version: string
  parent: CheckpointManifest['parent']
  data: DataFile[]
  hyperparameters: Record<string, unknown>
  metrics: Record<string, unknown>
  trained: Record<Modality, boolean>
  extra?: Record<string, unknown>
}

export function saveEmotionModel(
  dir: string,
  model: EmotionModel,
  o: SaveEmotionOptions,
): CheckpointManifest {
  const c = model.config
  const modalities: Partial<Record<Modality, { dim: number | null; trained: boolean }>> = {}
  for (const m of c.modalities)
    modalities[m] = { dim: m === 'text' ? null : (c[m]?.dim ?? null), trained: o.trained[m] }
  return saveCheckpoint(dir, {
    manifest: {
      name: o.name,
      task: 'emotion',
      version: o.version,
      fusion: c.fusion,
      modalities,
      labels: c.labels,
      data: o.data,
      hyperparameters: o.hyperparameters,
      metrics: o.metrics,
      parent: o.parent,
      parameters: model.parameterCount(),
      machine: machineInfo(),
      ...o.extra,
    },
    modelConfig: c as unknown as Record<string, unknown>,
    tensors: storeTensors(model.store),
    extraFiles: model.vocab
      ? { vocab: { file: 'vocab.json', content: JSON.stringify(model.vocab.words) } }
      : {},
  })
}

export interface EmotionPredictionItem {
  text: string
  context?: string[]
  /** Dialogue key and turn (see EmotionExample): items of one dialogue are read together. */
  dialogue?: string | null
  turn?: number
  features?: UtteranceFeatures | null
}

export interface EmotionPredictionResult {
  label: string
  probabilities: Record<string, number>
  /** 1 − (p1 − p2): 0 = sure, 1 = torn between the top two labels. */
  uncertainty: number
}

/** What the model says for an utterance none of whose trained modalities is present. */
export interface NoEvidence {
  label: null
  /** e.g. "no evidence: the model was trained on text only and this utterance has no transcript". */
  reason: string
}

export interface LoadedEmotionModel {
  dir: string
  manifest: CheckpointManifest
  model: EmotionModel
  labels: string[]
  /** "name@version", what predictions record as their model version. */
  versionTag: string
  /**
   * One prediction per item. Branches the manifest marks untrained see their modality as absent;
   * an item with none of the trained modalities present gets NoEvidence instead of a label.
   */
  predict(items: EmotionPredictionItem[]): (EmotionPredictionResult | NoEvidence)[]
  /** Class probabilities [n·K] with the same gating (every item gets a row; no evidence check). */
  predictProbs(items: EmotionPredictionItem[]): Float32Array
  /** Metrics on labelled examples, read as predict reads them (untrained branches absent). */
  evaluate(examples: EmotionExample[]): ClassificationReport
  dispose(): void
}

/**
 * Loads an emotion checkpoint (validated before any weight is read). Call `getTf()` first so the
 * backend is chosen. Throws a CheckpointError naming the problem for corrupt or mismatched folders.
 */
export function loadEmotionModel(dir: string): LoadedEmotionModel {
  const ck = loadCheckpoint(dir, { task: 'emotion' })
  const parsed = modelConfigSchema.safeParse(ck.modelConfig)
  if (!parsed.success)
    throw new Error(
      `checkpoint ${dir}: model.json is not an emotion model configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    )
  const config = ck.modelConfig as unknown as EmotionModelConfig
  if (ck.manifest.labels && ck.manifest.labels.join('\n') !== config.labels.join('\n'))
    throw new Error(
      `checkpoint ${dir}: manifest labels (${ck.manifest.labels.join(', ')}) differ from model.json labels (${config.labels.join(', ')})`,
    )
  let vocab: WordVocab | null = null
  if (config.modalities.includes('text')) {
    const words = JSON.parse(ck.readFile('vocab')) as unknown
    if (!Array.isArray(words) || !words.every((w) => typeof w === 'string'))
      throw new Error(`checkpoint ${dir}: vocab.json is not a list of words`)
    vocab = new WordVocab(words as string[])
  }
  const model = new EmotionModel(config, vocab)
  try {
    assignTensors(model.store, ck.tensors, dir)
  } catch (err) {
    model.dispose()
    throw err
  }
  const labels = config.labels
  const trained = trainedModalities(ck.manifest.modalities)
  const gate = <T extends { text: string; context?: string[]; features?: UtteranceFeatures | null }>(
    e: T,
  ): T => ({
    ...e,
    // A text branch that was never trained reads nothing either.
    ...(trained.text ? {} : { text: '', context: [] }),
    features: gateFeatures(e.features, trained),
  })
  const predictProbs = (items: EmotionPredictionItem[]) =>
    model.predictProbs(items.map((i) => ({ ...gate(i), label: null })))
  return {
    dir,
    manifest: ck.manifest,
    model,
    labels,
    versionTag: `${ck.manifest.name}@${ck.manifest.version}`,
    predictProbs,
    predict(items) {
      const K = labels.length
      const probs = predictProbs(items)
      return items.map((item, n) => {
        const reason = noEvidenceReason(trained, item)
        if (reason) return { label: null, reason }
        const row = Array.from(probs.subarray(n * K, (n + 1) * K))
        const order = [...row.keys()].sort((a, b) => row[b]! - row[a]!)
        return {
          label: labels[order[0]!]!,
          probabilities: Object.fromEntries(labels.map((l, k) => [l, row[k]!])),
          uncertainty: 1 - (row[order[0]!]! - (row[order[1]!] ?? 0)),
        }
      })
    },
    evaluate: (examples) => evaluateClassifier(model, examples.map(gate)),
    dispose: () => model.dispose(),
  }
}
