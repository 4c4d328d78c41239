/**
 * Dialogue context in the emotion model: the rows of a batch are placed in their dialogues in
 * turn order, batches keep dialogues whole, a model with dialogue context learns a label that
 * only the *next* turn reveals, its predictions depend on its own dialogue and on nothing else in
 * the batch, and its checkpoint round-trips.
 */
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { getTf } from '../../../src-main/engine/backend'
import { Rng } from '../../../src-main/engine/fusion/nn'
import {
  buildEmotionModel,
  DEFAULT_EMOTION_CONFIG,
  emotionExamples,
  loadEmotionModel,
  saveEmotionModel,
  type EmotionTrainConfig,
} from '../../../src-main/engine/models/emotion'
import { packDialogues, type EmotionExample } from '../../../src-main/engine/models/emotion-model'
import { dialogueBatch } from '../../../src-main/engine/models/encoders'
import { trainClassifier } from '../../../src-main/engine/models/trainer'

beforeAll(async () => {
  await getTf()
})

/**
 * Dialogues of four turns: "well then" (a filler that says nothing) followed by a turn with a
 * happy or angry word. The filler's label is the emotion of the turn after it, so only a model
 * that reads the following turn can get fillers right.
 */
function dialogues(n: number, seed: number): EmotionExample[] {
  const rng = new Rng(seed)
  const words = { joy: ['wonderful', 'lovely', 'great'], anger: ['furious', 'outrageous', 'awful'] }
  const out: EmotionExample[] = []
  for (let d = 0; d < n; d++) {
    const turns: EmotionExample[] = []
    for (let pair = 0; pair < 2; pair++) {
      const label = rng.next() < 0.5 ? 'joy' : 'anger'
      const word = words[label][rng.int(3)]!
      turns.push({ text: 'well then', label }, { text: `that is ${word}`, label })
    }
    turns.forEach((t, turn) => out.push({ ...t, dialogue: `d${seed}-${d}`, turn }))
  }
  return out
}

function config(dialogueHidden: number): EmotionTrainConfig {
  return {
    ...DEFAULT_EMOTION_CONFIG,
    fusion: 'concat',
    modalities: ['text'],
    labels: ['joy', 'anger'],
    latentDim: 16,
    fusedDim: 16,
    headHidden: 16,
    dropout: 0,
    modalityDropout: 0,
    text: { ...DEFAULT_EMOTION_CONFIG.text, embDim: 16, hidden: 8, contextTurns: 0, pretrained: false },
    dialogueHidden,
    seed: 5,
  }
}

const fillerAccuracy = (probs: Float32Array, examples: EmotionExample[]) => {
  let right = 0
  let n = 0
  examples.forEach((e, i) => {
    if (e.text !== 'well then') return
    n++
    const joy = probs[i * 2]! > probs[i * 2 + 1]!
    if (joy === (e.label === 'joy')) right++
  })
  return right / n
}

describe('dialogue batches', () => {
  it('places rows in their dialogues in turn order, padding shorter dialogues', () => {
    const b = dialogueBatch(['a', 'b', 'a', null, 'a'], [2, 0, 0, undefined, 1])
    expect(b.dialogues).toBe(3)
    expect(b.turns).toBe(3)
    // Dialogue a = rows 2, 4, 0 (turns 0, 1, 2); b = row 1; the keyless row 3 alone; 5 = padding.
    expect(Array.from(b.rows)).toEqual([2, 4, 0, 1, 5, 5, 3, 5, 5])
    expect(Array.from(b.mask)).toEqual([1, 1, 1, 1, 0, 0, 1, 0, 0])
    expect(Array.from(b.slot)).toEqual([2, 3, 0, 6, 1])
  })

  it('packs whole dialogues into batches and cuts only dialogues longer than a batch', () => {
    const ex = (dialogue: string, n: number) =>
      Array.from({ length: n }, (_, turn) => ({ text: 'x', dialogue, turn }))
    const examples = [...ex('a', 3), ...ex('b', 4), ...ex('c', 9), ...ex('d', 2)]
    const batches = packDialogues(examples, 6)
    for (const b of batches) expect(b.length).toBeLessThanOrEqual(6)
    expect(batches.flat().sort((x, y) => x - y)).toEqual([...examples.keys()])
    const batchOf = (i: number) => batches.findIndex((b) => b.includes(i))
    for (const d of ['a', 'b', 'd']) {
      const rows = [...examples.keys()].filter((i) => examples[i]!.dialogue === d)
      expect(new Set(rows.map(batchOf)).size).toBe(1)
    }
    // Dialogue c (9 turns) is read as windows of 6 and 3 consecutive turns.
    const c = [...examples.keys()].filter((i) => examples[i]!.dialogue === 'c')
    expect(c.map(batchOf)).toEqual([...Array(6).fill(batchOf(c[0]!)), ...Array(3).fill(batchOf(c[8]!))])
  })

  it('gives corpus examples their dialogue and turn', () => {
    const u = (id: string, dialogue: string | null, media: string | null, start: number) => ({
      id,
      text: id,
      start,
      end: start + 1,
      dialogue,
      media,
      labels: { emotion: 'joy' },
    })
    const corpus = {
      utterances: [
        u('m2', null, 'clip.mp4', 5),
        u('x1', 'd1', null, 0),
        u('m1', null, 'clip.mp4', 1),
        u('x2', 'd1', null, 0),
      ],
    } as unknown as Parameters<typeof emotionExamples>[0]
    const ex = emotionExamples(corpus)
    expect(ex.map((e) => [e.text, e.dialogue, e.turn])).toEqual([
      ['m2', 'media:clip.mp4', 1],
      ['x1', 'd1', 0],
      ['m1', 'media:clip.mp4', 0],
      ['x2', 'd1', 1],
    ])
  })
})

describe('emotion model with dialogue context', () => {
  const train = dialogues(80, 1)
  const dev = dialogues(30, 2)
  const training = { epochs: 30, batchSize: 32, lr: 0.01, seed: 1, patience: 30 }

  it('learns a label that only the following turn reveals, where the model without context cannot', async () => {
    const results: number[] = []
    for (const hidden of [0, 8]) {
      const { model } = await buildEmotionModel(config(hidden), train)
      await trainClassifier(model, train, dev, training)
      results.push(fillerAccuracy(model.predictProbs(dev), dev))
      model.dispose()
    }
    const [without, withDialogue] = results as [number, number]
    expect(without).toBeLessThan(0.75)
    expect(withDialogue).toBeGreaterThan(0.95)
  })

  it('reads its own dialogue only, in turn order whatever the input order, and round-trips its checkpoint', async () => {
    const { model } = await buildEmotionModel(config(8), train)
    await trainClassifier(model, train, dev, { ...training, epochs: 10 })
    const one = dev.slice(0, 4)
    const alone = model.predictProbs(one)
    // Other dialogues in the same call, and a shuffled input order, change nothing.
    const mixed = [...dev.slice(4, 12), ...one].reverse()
    const p = model.predictProbs(mixed)
    const fromMixed = one.map((e) => Array.from(p.subarray(mixed.indexOf(e) * 2, mixed.indexOf(e) * 2 + 2)))
    one.forEach((_, i) => {
      expect(fromMixed[i]![0]).toBeCloseTo(alone[i * 2]!, 5)
      expect(fromMixed[i]![1]).toBeCloseTo(alone[i * 2 + 1]!, 5)
    })
    // Changing the next turn changes the filler's prediction.
    const flipped = one.map((e, i) =>
      i === 1 ? { ...e, text: e.label === 'joy' ? 'that is furious' : 'that is lovely' } : e,
    )
    expect(Math.abs(model.predictProbs(flipped)[0]! - alone[0]!)).toBeGreaterThan(0.2)
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fws-dialogue-'))
    saveEmotionModel(dir, model, {
      name: 'dialogue',
      version: '1.0.0',
      parent: null,
      data: [],
      hyperparameters: {},
      metrics: {},
      trained: { text: true, audio: false, visual: false },
    })
    model.dispose()
    const loaded = loadEmotionModel(dir)
    expect(loaded.model.config.dialogue).toEqual({ hidden: 8 })
    const again = loaded.predict(one.map((e) => ({ text: e.text, dialogue: e.dialogue, turn: e.turn })))
    again.forEach((r, i) => {
      if (r.label === null) throw new Error(r.reason)
      expect(r.probabilities.joy).toBeCloseTo(alone[i * 2]!, 5)
    })
    loaded.dispose()
  })
})
