/**
 * A tiny synthetic emotion task for model tests: label = word valence (text) × loudness (audio),
 * so a model needs both modalities; a small model configuration for it; save options.
 */
import { AUDIO_DIM, type UtteranceFeatures } from '../../../../src-main/engine/features/types'
import { Rng } from '../../../../src-main/engine/fusion/nn'
import type { FusionMethod } from '../../../../src-main/engine/fusion/types'
import { DEFAULT_EMOTION_CONFIG, type EmotionTrainConfig } from '../../../../src-main/engine/models/emotion'
import type { EmotionExample } from '../../../../src-main/engine/models/emotion-model'

/**
 * Label = word valence (text) × loudness (audio): needs both modalities. `words` per valence and
 * `frameSpread` (4 to 4 + spread − 1 audio frames) vary the task; the defaults are the usual one.
 */
export function dataset(
  n: number,
  seed: number,
  o: { pos?: string[]; neg?: string[]; frameSpread?: number } = {},
): EmotionExample[] {
  const rng = new Rng(seed)
  const pos = o.pos ?? ['great', 'lovely', 'nice', 'wonderful']
  const neg = o.neg ?? ['awful', 'terrible', 'bad', 'horrible']
  const out: EmotionExample[] = []
  for (let i = 0; i < n; i++) {
    const v = rng.next() < 0.5
    const a = rng.next() < 0.5
    const words = v ? pos : neg
    const w = words[rng.int(words.length)]!
    const frames = 4 + rng.int(o.frameSpread ?? 4)
    const seq = new Float32Array(frames * AUDIO_DIM)
    for (let j = 0; j < seq.length; j++) seq[j] = (a ? 1 : -1) + rng.normal() * 0.3
    const features = {
      utteranceId: `u${i}`,
      start: 0,
      end: 1,
      text: `this is ${w}`,
      textPresent: true,
      audio: { frames, dims: AUDIO_DIM, seq, pooled: new Float32Array(2 * AUDIO_DIM), present: true },
      visual: {
        frames: 0,
        dims: 161,
        seq: new Float32Array(0),
        pooled: new Float32Array(322),
        present: false,
        facePresent: false,
        times: new Float32Array(0),
      },
      extractorVersion: 'test',
    } satisfies UtteranceFeatures
    out.push({ text: `this is ${w}`, features, label: v ? (a ? 'joy' : 'neutral') : a ? 'anger' : 'sadness' })
  }
  return out
}

export function config(fusion: FusionMethod): EmotionTrainConfig {
  return {
    ...DEFAULT_EMOTION_CONFIG,
    fusion,
    labels: ['joy', 'neutral', 'anger', 'sadness'],
    latentDim: 16,
    fusedDim: 16,
    headHidden: 16,
    dropout: 0.1,
    modalityDropout: 0,
    text: {
      ...DEFAULT_EMOTION_CONFIG.text,
      embDim: 16,
      hidden: 8,
      contextTurns: 0,
      pretrained: false,
      freezeEmbedding: false,
    },
    seqHidden: 8,
    seed: 3,
  }
}

export const saveOpts = {
  name: 'tiny',
  version: '1.0.0',
  parent: null,
  data: [],
  hyperparameters: {},
  metrics: {},
  trained: { text: true, audio: true, visual: false },
}
