/**
 * Tiny but real models for the batch tests, trained in the test's setup with the project's own
 * training code (models/emotion.ts) on a slice of MELD when the shared data is present, else on a
 * handful of labelled sentences. They are small so the test stays fast; what they predict is
 * whatever they learned, never a fixed answer.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { getTf } from '../../../../src-main/engine/backend'
import { DEFAULT_EMOTION_CONFIG, trainEmotion } from '../../../../src-main/engine/models/emotion'
import type { EmotionExample } from '../../../../src-main/engine/models/emotion-model'

const MELD = path.resolve(import.meta.dirname, '../../../../../shared/data/meld/train_sent_emo.csv')

/** Label, text pairs: the first `n` usable MELD rows (simple CSV read), or a small fixed set. */
function labelledText(n: number): EmotionExample[] {
  if (existsSync(MELD)) {
    const out: EmotionExample[] = []
    const lines = readFileSync(MELD, 'utf8').split('\n').slice(1)
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
  return { dir, tasks: ['emotion'], labels, emotionName: 'emotion-tiny-test', version: '0.0.1' }
}

/** Trains a small AutoFusion text+audio+visual emotion model into `out` (≈ seconds on wasm); returns its labels. */
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
    dataHash: 'test',
    training: { epochs: 1, batchSize: 32, lr: 3e-3 },
  })
  return labels
}
