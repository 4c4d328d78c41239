// End-to-end tests of the translator on a tiny synthetic language pair (word-for-word dictionary
// with a reordering rule), small enough to train in seconds on wasm: the trainer (BPE, batches,
// Adam, checkpoints, resume, best-model selection), loading with validation, greedy and beam
// search, BLEU, the audio/visual inputs, corrupt checkpoints and tensor hygiene.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type * as TF from '@tensorflow/tfjs'
import { getTf } from '../../../../src-main/engine/backend'
import { evaluateTranslation, loadTranslationModel } from '../../../../src-main/engine/models/translation'
import { trainTranslation } from '../../../../src-main/engine/models/translation/train'
import { averageTranslationSnapshots } from '../../../../src-main/engine/models/translation/average'
import { namedTensors } from '../../../../src-main/engine/models/translation/checkpoint'
import { readTensorFile, writeTensorFile } from '../../../../src-main/engine/models/training/tensor-file'
import { listSnapshots } from '../../../../src-main/engine/models/training/snapshots'
import {
  TranslationModel,
  DEFAULT_TRANSLATION_CONFIG,
} from '../../../../src-main/engine/models/translation/model'
import { beamDecode, greedyDecode, lengthNorm } from '../../../../src-main/engine/models/translation/decode'

const EN = ['red', 'blue', 'green', 'dog', 'cat', 'man', 'woman', 'runs', 'sleeps', 'eats', 'big', 'small']
const DE: Record<string, string> = {
  red: 'rote',
  blue: 'blaue',
  green: 'grüne',
  dog: 'Hund',
  cat: 'Katze',
  man: 'Mann',
  woman: 'Frau',
  runs: 'läuft',
  sleeps: 'schläft',
  eats: 'frisst',
  big: 'große',
  small: 'kleine',
}
const ADJ = ['red', 'blue', 'green', 'big', 'small']
const NOUN = ['dog', 'cat', 'man', 'woman']
const VERB = ['runs', 'sleeps', 'eats']

/** "the big dog runs ." → "der große Hund läuft ." (plus an adverb moved to the front sometimes). */
function pair(i: number): [string, string] {
  const a = ADJ[i % ADJ.length]!
  const n = NOUN[Math.floor(i / ADJ.length) % NOUN.length]!
  const v = VERB[Math.floor(i / (ADJ.length * NOUN.length)) % VERB.length]!
  if (i % 2 === 0) return [`the ${a} ${n} ${v}.`, `der ${DE[a]} ${DE[n]} ${DE[v]}.`]
  return [`today the ${a} ${n} ${v}.`, `heute ${DE[v]} der ${DE[a]} ${DE[n]}.`]
}

let tf: typeof TF
let dir: string
/** A bare tensor file as tfjs tensors (the caller disposes them). */
const readWeights = (d: string): Map<string, TF.Tensor> =>
  new Map(readTensorFile(d).map((t) => [t.name, tf.tensor(t.data, t.shape, 'float32')]))
const tiny = { dModel: 32, heads: 2, ffDim: 64, encLayers: 1, decLayers: 1, dropout: 0 }

beforeAll(async () => {
  tf = (await getTf()).tf
  dir = mkdtempSync(join(tmpdir(), 'fws-translation-'))
  const all = Array.from({ length: 120 }, (_, i) => pair(i))
  const train = all.filter((_, i) => i % 6 !== 0)
  const val = all.filter((_, i) => i % 6 === 0)
  writeFileSync(join(dir, 'train.en'), train.map((p) => p[0]).join('\n') + '\n')
  writeFileSync(join(dir, 'train.de'), train.map((p) => p[1]).join('\n') + '\n')
  writeFileSync(join(dir, 'val.en'), val.map((p) => p[0]).join('\n') + '\n')
  writeFileSync(join(dir, 'val.de'), val.map((p) => p[1]).join('\n') + '\n')
  void EN
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('trainTranslation → loadTranslationModel', () => {
  const common = () => ({
    trainSrc: join(dir, 'train.en'),
    trainTgt: join(dir, 'train.de'),
    valSrc: join(dir, 'val.en'),
    valTgt: join(dir, 'val.de'),
    out: join(dir, 'model'),
    vocabSize: 60,
    model: tiny,
    batchTokens: 200,
    peakLr: 4e-3,
    warmupSteps: 20,
    validateEvery: 60,
    checkpointEvery: 50,
    labelSmoothing: 0.1,
    seed: 3,
    snapshotEvery: 60,
    keepSnapshots: 3,
  })

  it('learns the toy pair, checkpoints, resumes at the saved step and keeps the best model', async () => {
    const lines: string[] = []
    const first = await trainTranslation({
      ...common(),
      maxSteps: 60,
      onProgress: (p) => lines.push(p.message),
    })
    expect(first.steps).toBe(60)
    expect(lines.some((l) => l.includes('val BLEU'))).toBe(true)
    const state = JSON.parse(readFileSync(join(dir, 'model.training', 'state', 'trainer.json'), 'utf8'))
    expect(state.step).toBe(60)
    await expect(trainTranslation({ ...common(), maxSteps: 80 })).rejects.toThrow(/--resume/)
    // Decoding settings tuned for the run survive the trainer writing a new best model.
    const manifestPath = join(dir, 'model', 'manifest.json')
    const firstManifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
    writeFileSync(manifestPath, JSON.stringify({ ...firstManifest, decoding: { beam: 2, lengthPenalty: 1 } }))
    const second = await trainTranslation({
      ...common(),
      resume: true,
      maxSteps: 240,
      onProgress: (p) => lines.push(p.message),
    })
    expect(second.steps).toBe(240)
    expect(lines.some((l) => l.includes('starting at step 60'))).toBe(true)
    expect(second.history.length).toBeGreaterThanOrEqual(4)
    expect(second.bestValBleu).toBeGreaterThan(60)

    const m = await loadTranslationModel(join(dir, 'model'))
    try {
      expect(m.manifest.version).not.toBe(firstManifest.version)
      expect(m.manifest.decoding).toEqual({ beam: 2, lengthPenalty: 1 })
      expect(m.manifest.task).toBe('translation')
      expect(m.manifest.fusion).toBe('autofusion')
      const val = readFileSync(join(dir, 'val.en'), 'utf8').trim().split('\n')
      const ref = readFileSync(join(dir, 'val.de'), 'utf8').trim().split('\n')
      const greedy = await evaluateTranslation(m, val, ref, { beam: 1 })
      const beam = await evaluateTranslation(m, val, ref, { beam: 4 })
      expect(greedy.result.bleu).toBeGreaterThan(60)
      expect(beam.result.bleu).toBeGreaterThan(60)
      expect(beam.result.n).toBe(val.length)
      const out = await m.translate(['', 'today the red dog sleeps.'])
      expect(out[0]).toBe('')
      expect(out[1]).toMatch(/^heute/)
      // The toy model was trained on text only (manifest: audio/visual untrained): audio/visual
      // inputs are accepted and never reach the model, whatever they hold.
      expect(m.manifest.modalities.audio).toEqual({ dim: m.config.audioDim, trained: false })
      const withFeat = await m.translate(['the big cat eats.'], {
        features: {
          audio: { pooled: [new Float32Array(m.config.audioDim).fill(0.5)], present: [true] },
          visual: { pooled: [new Float32Array(m.config.visualDim).fill(3)], present: [true] },
        },
      })
      expect(withFeat).toEqual(await m.translate(['the big cat eats.']))
    } finally {
      m.dispose()
    }
  }, 240_000)

  it('keeps the newest snapshots and averages them into a loadable model', async () => {
    const snaps = listSnapshots(join(dir, 'model.training', 'snapshots'))
    expect(snaps.map((s) => s.step)).toEqual([120, 180, 240])
    const out = join(dir, 'averaged')
    const r = await averageTranslationSnapshots({ model: join(dir, 'model'), last: 2, out })
    expect(r.steps).toEqual([180, 240])
    const a = readWeights(snaps[1]!.dir)
    const b = readWeights(snaps[2]!.dir)
    const avg = readWeights(out)
    try {
      for (const name of ['emb', [...avg.keys()].at(-1)!]) {
        const expected = tf.tidy(() => tf.div(tf.add(a.get(name)!, b.get(name)!), 2))
        expect(tf.max(tf.abs(tf.sub(avg.get(name)!, expected))).dataSync()[0]).toBeLessThan(1e-6)
        expected.dispose()
      }
    } finally {
      tf.dispose([...a.values(), ...b.values(), ...avg.values()])
    }
    const m = await loadTranslationModel(out)
    try {
      expect((m.manifest.averaged as { steps: number[] } | undefined)?.steps).toEqual([180, 240])
      expect(m.manifest.version).toMatch(/\+avg180-240x2$/)
      const val = readFileSync(join(dir, 'val.en'), 'utf8').trim().split('\n')
      const ref = readFileSync(join(dir, 'val.de'), 'utf8').trim().split('\n')
      expect((await evaluateTranslation(m, val, ref, { beam: 1 })).result.bleu).toBeGreaterThan(60)
    } finally {
      m.dispose()
    }
    await expect(averageTranslationSnapshots({ model: join(dir, 'model'), last: 4, out })).rejects.toThrow(
      /holds 3 snapshot\(s\); 4 asked for/,
    )
    // A folder holding a training run of the layout before the one training core is never replaced.
    mkdirSync(join(dir, 'old-run', 'state'), { recursive: true })
    await expect(
      averageTranslationSnapshots({ model: join(dir, 'model'), last: 2, out: join(dir, 'old-run') }),
    ).rejects.toThrow(/holds a training run \(state\/\)/)
    expect(
      (await averageTranslationSnapshots({ model: join(dir, 'model'), last: 1, upToStep: 200, out })).steps,
    ).toEqual([180])
  })

  it('refuses corrupt or mismatched model folders with a clear message', async () => {
    const src = join(dir, 'model')
    const bad = join(dir, 'bad')
    rmSync(bad, { recursive: true, force: true })
    const { cpSync } = await import('node:fs')
    cpSync(src, bad, { recursive: true })
    const manifest = JSON.parse(readFileSync(join(bad, 'manifest.json'), 'utf8'))
    writeFileSync(join(bad, 'manifest.json'), JSON.stringify({ ...manifest, task: 'emotion' }))
    await expect(loadTranslationModel(bad)).rejects.toThrow(/is a emotion model, not a translation model/)
    writeFileSync(join(bad, 'manifest.json'), JSON.stringify({ ...manifest, decoding: { beam: 0 } }))
    await expect(loadTranslationModel(bad)).rejects.toThrow(/manifest.json is invalid: decoding.beam/)
    // The model's own decoding settings are what evaluation uses when the caller gives none.
    writeFileSync(
      join(bad, 'manifest.json'),
      JSON.stringify({ ...manifest, decoding: { beam: 3, lengthPenalty: 1.5 } }),
    )
    const tuned = await loadTranslationModel(bad)
    try {
      const r = await evaluateTranslation(tuned, ['the big cat eats.'], ['die große katze frisst.'])
      expect([r.result.beam, r.result.lengthPenalty]).toEqual([3, 1.5])
    } finally {
      tuned.dispose()
    }
    writeFileSync(join(bad, 'manifest.json'), JSON.stringify(manifest))
    const w = readFileSync(join(bad, 'weights.bin'))
    writeFileSync(join(bad, 'weights.bin'), w.subarray(0, w.length - 8))
    await expect(loadTranslationModel(bad)).rejects.toThrow(/weights.bin has \d+ bytes/)
    const flipped = Buffer.from(w)
    flipped[100] = flipped[100]! ^ 0xff
    writeFileSync(join(bad, 'weights.bin'), flipped)
    await expect(loadTranslationModel(bad)).rejects.toThrow(/weights.bin does not match the manifest/)
    await expect(loadTranslationModel(join(dir, 'nowhere'))).rejects.toThrow(/nowhere: no such folder/)
  })
})

describe('TranslationModel and search', () => {
  it('decodes without leaking tensors; beam 1 equals greedy; length norm is GNMT', () => {
    const m = new TranslationModel(tf, { ...DEFAULT_TRANSLATION_CONFIG, ...tiny, vocabSize: 40 }, { seed: 9 })
    try {
      const before = tf.memory().numTensors
      const srcs = [
        [5, 6, 7, 3],
        [8, 3],
      ]
      const g = greedyDecode(tf, m, srcs, { maxLen: 6 })
      const b1 = beamDecode(tf, m, srcs, { beam: 1, maxLen: 6 })
      const b3 = beamDecode(tf, m, srcs, { beam: 3, maxLen: 6 })
      expect(b1).toEqual(g)
      expect(b3.length).toBe(2)
      expect(tf.memory().numTensors).toBe(before)
      expect(lengthNorm(1, 0)).toBe(1)
      expect(lengthNorm(7, 1)).toBeCloseTo(2, 12)
    } finally {
      m.dispose()
    }
  })

  it('incremental (cached) decoding gives the same logits as re-running the full prefix', () => {
    const m = new TranslationModel(
      tf,
      { ...DEFAULT_TRANSLATION_CONFIG, ...tiny, vocabSize: 40 },
      { seed: 11 },
    )
    try {
      const src = tf.tensor2d(
        [
          [5, 6, 7, 3],
          [8, 9, 3, 0],
        ],
        [2, 4],
        'int32',
      )
      const prefix = [
        [2, 12, 17, 30],
        [2, 25, 4, 9],
      ]
      const enc = m.encode(src, undefined, false)
      const full = m.decode(
        tf.tensor2d(prefix.flat(), [2, 4], 'int32'),
        enc.memory,
        enc.memBias,
        enc.fz,
        false,
      )
      const fullLogits = m
        .logits(full.reshape([8, 32]))
        .reshape([2, 4, 40])
        .arraySync() as number[][][]
      const cache = m.initCache(enc.memory, enc.memBias, enc.fz)
      for (let t = 0; t < 4; t++) {
        const step = m
          .decodeStep(tf.tensor1d([prefix[0]![t]!, prefix[1]![t]!], 'int32'), cache)
          .arraySync() as number[][]
        for (let r = 0; r < 2; r++)
          for (let v = 0; v < 40; v++) expect(step[r]![v]!).toBeCloseTo(fullLogits[r]![t]![v]!, 4)
      }
      // re-parenting keeps the chosen rows' history
      m.reorderCache(cache, [1, 1, 0])
      expect(cache.selfK[0]!.shape[0]).toBe(3)
      m.disposeCache(cache)
    } finally {
      m.dispose()
    }
  })

  it('checkpoint weights round-trip to identical outputs', async () => {
    const cfg = { ...DEFAULT_TRANSLATION_CONFIG, ...tiny, vocabSize: 40 }
    const a = new TranslationModel(tf, cfg, { seed: 4 })
    const d = join(dir, 'rt')
    mkdirSync(d, { recursive: true })
    writeTensorFile(d, namedTensors(a.vars))
    const w = readWeights(d)
    const b = new TranslationModel(tf, cfg, { weights: w })
    tf.dispose([...w.values()])
    const src = tf.tensor2d([[5, 6, 7, 3]], [1, 4], 'int32')
    const tin = tf.tensor2d([[2, 9, 10]], [1, 3], 'int32')
    const la = a.loss(src, tin, tin, { training: false }).total.dataSync()[0]
    const lb = b.loss(src, tin, tin, { training: false }).total.dataSync()[0]
    expect(lb).toBe(la)
    a.dispose()
    b.dispose()
  })
})
