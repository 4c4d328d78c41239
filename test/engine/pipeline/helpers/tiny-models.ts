/**
 * Tiny but real models for the batch tests, trained in the test's setup with the project's own
 * training code (models/emotion.ts) on a slice of MELD when the data lookup (datasets.ts) finds it, else on a
 * handful of labelled sentences. They are small so the test stays fast; what they predict is
 * whatever they learned, never a fixed answer.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { getTf } from '../../../../src-main/engine/backend'
import { findDataFile, missingDataMessage } from '../../../../src-main/engine/datasets'
import { DEFAULT_EMOTION_CONFIG, trainEmotion } from '../../../../src-main/engine/models/emotion'
import type { EmotionExample } from '../../../../src-main/engine/models/emotion-model'
import { TINY_TRANSFORMER } from '../../models/helpers/toy-translation'

/** Label, text pairs: the first `n` usable MELD rows (simple CSV read), or a small fixed set. */
function labelledText(n: number): EmotionExample[] {
  const meld = findDataFile('meld', 'train_sent_emo.csv')
  if (meld) {
    const out: EmotionExample[] = []
    const lines = readFileSync(meld, 'utf8').split('\n').slice(1)
    for (const line of lines) {
      // Sr No.,Utterance,Speaker,Emotion,...: the utterance may be quoted and contain commas.
      const m = /^\d+,(?:"((?:[^"]|"")*)"|([^,]*)),[^,]*,(\w+),/.exec(line)
      if (!m) continue
      out.push({ text: (m[1] ?? m[2] ?? '').replace(/""/g, '"'), label: m[3]!, context: [] })
      if (out.length >= n) break
    }
    if (out.length >= 50) return out
  }
  const fixed: [string, string][] = [
    ['I am so happy to see you!', 'joy'],
    ['This is wonderful news.', 'joy'],
    ['Get out of my room right now!', 'anger'],
    ['I hate it when you do that.', 'anger'],
    ['The meeting is at three.', 'neutral'],
    ['A man is walking down the street.', 'neutral'],
    ['Oh no, I miss her so much.', 'sadness'],
    ['What? You did what?', 'surprise'],
  ]
  return Array.from({ length: 64 }, (_, i) => ({
    text: fixed[i % fixed.length]![0],
    label: fixed[i % fixed.length]![1],
    context: [],
  }))
}

export interface TinyModels {
  /** Folder holding the model folders (what --models takes). */
  dir: string
  tasks: ('emotion' | 'translation')[]
  labels: string[]
  emotionName: string
  version: string
}

/** Trains the tiny models into `dir` (one sub-folder per model). */
export async function trainTinyModels(dir: string): Promise<TinyModels> {
  const labels = await trainTinyEmotionModel(path.join(dir, 'emotion-tiny'))
  const translation = await trainTinyTranslationModel(path.join(dir, 'translation-tiny'))
  return {
    dir,
    tasks: translation ? ['emotion', 'translation'] : ['emotion'],
    labels,
    emotionName: 'emotion-tiny-test',
    version: '0.0.1',
  }
}

/**
 * Trains a small AutoFusion text+audio+visual emotion model with dialogue context into `out`
 * (≈ seconds on wasm); returns its labels.
 */
export async function trainTinyEmotionModel(out: string): Promise<string[]> {
  await getTf()
  const examples = labelledText(400)
  const labels = [...new Set(examples.map((e) => e.label!))].sort()
  await trainEmotion({
    config: {
      ...DEFAULT_EMOTION_CONFIG,
      labels,
      latentDim: 16,
      fusedDim: 16,
      headHidden: 16,
      seqHidden: 8,
      dialogueHidden: 8,
      text: {
        ...DEFAULT_EMOTION_CONFIG.text,
        embDim: 16,
        hidden: 16,
        pretrained: false,
        extraVocab: 0,
        contextTurns: 1,
      },
    },
    train: examples.slice(0, Math.floor(examples.length * 0.8)),
    dev: examples.slice(Math.floor(examples.length * 0.8)),
    out,
    name: 'emotion-tiny-test',
    version: '0.0.1',
    data: [],
    training: { epochs: 1, batchSize: 32, lr: 3e-3 },
  })
  return labels
}

/**
 * Trains a very small translation model (Transformer + AutoFusion, C2's trainer) on the first
 * lines of Multi30K en→de into `out`, for a handful of steps: real weights, real beam search, and
 * (at this size) mostly wrong German. Models of two seeds share the vocabulary (an ensemble's
 * members). Returns false when the Multi30K files are absent.
 */
export async function trainTinyTranslationModel(out: string, seed = 1): Promise<boolean> {
  const { trainTranslation } = await import('../../../../src-main/engine/models/translation/train')
  const zlib = await import('node:zlib')
  const fs = await import('node:fs')
  const src = findDataFile('multi30k', 'train.en.gz')
  const tgt = findDataFile('multi30k', 'train.de.gz')
  if (!src || !tgt) {
    console.log(`${missingDataMessage('multi30k')}: the batch tests run without a translation model`)
    return false
  }
  const data = path.join(path.dirname(out), 'tiny-multi30k')
  fs.mkdirSync(data, { recursive: true })
  const head = (f: string, n: number) =>
    zlib.gunzipSync(readFileSync(f)).toString('utf8').split('\n').slice(0, n).join('\n') + '\n'
  fs.writeFileSync(path.join(data, 'train.en'), head(src, 400))
  fs.writeFileSync(path.join(data, 'train.de'), head(tgt, 400))
  fs.writeFileSync(path.join(data, 'val.en'), head(src, 20))
  fs.writeFileSync(path.join(data, 'val.de'), head(tgt, 20))
  await trainTranslation({
    trainSrc: path.join(data, 'train.en'),
    trainTgt: path.join(data, 'train.de'),
    valSrc: path.join(data, 'val.en'),
    valTgt: path.join(data, 'val.de'),
    out,
    vocabSize: 400,
    model: { ...TINY_TRANSFORMER, maxLen: 64 },
    batchTokens: 2000,
    maxSteps: 4,
    validateEvery: 4,
    workers: 0,
    seed,
    command: 'test setup: tiny translation model',
  })
  return true
}
