/**
 * The emotion model + training loop on a tiny synthetic task: learning happens, checkpoints
 * round-trip to identical outputs, corrupt or mismatched checkpoints are refused before any weight
 * is read, training resumes from its saved state, no tensor leaks across epochs, GAN-Fusion's
 * stages update only their own variables, and fine-tuning writes a child version.
 */
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type * as TF from '@tensorflow/tfjs'
import { getTf } from '../../../src-main/engine/backend'
import { GanFusion } from '../../../src-main/engine/fusion/adaptive'
import {
  buildEmotionModel,
  finetuneEmotion,
  loadEmotionModel,
  saveEmotionModel,
} from '../../../src-main/engine/models/emotion'
import { Adam } from '../../../src-main/engine/models/training/adam'
import { ganStage, trainClassifier } from '../../../src-main/engine/models/trainer'
import { config, dataset, saveOpts } from './helpers/emotion-task'

let tf: typeof TF
beforeAll(async () => {
  tf = (await getTf()).tf
})

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'fws-emo-'))

describe('emotion model training', () => {
  const train = dataset(160, 1)
  const dev = dataset(60, 2)

  it('learns a task that needs text and audio, without leaking tensors, and round-trips its checkpoint', async () => {
    const { model } = await buildEmotionModel(config('autofusion'), train)
    const before = tf.memory().numTensors
    const counts: number[] = []
    const r = await trainClassifier(model, train, dev, {
      epochs: 8,
      batchSize: 16,
      lr: 0.01,
      seed: 1,
      patience: 8,
      onImproved: () => {},
      log: () => counts.push(tf.memory().numTensors),
    })
    expect(r.best.accuracy).toBeGreaterThan(0.9)
    // Flat tensor count across epochs (only the model's variables and encoder constants live on).
    expect(new Set(counts).size).toBe(1)
    expect(tf.memory().numTensors).toBe(before)
    const dir = tmp()
    saveEmotionModel(dir, model, saveOpts)
    const p1 = model.predictProbs(dev.slice(0, 10))
    model.dispose()
    const loaded = loadEmotionModel(dir)
    const p2 = loaded.model.predictProbs(dev.slice(0, 10))
    expect(Array.from(p2)).toEqual(Array.from(p1))
    const pred = loaded.predict([{ text: dev[0]!.text, features: dev[0]!.features }])[0]!
    if (pred.label === null) throw new Error(pred.reason)
    expect(Object.keys(pred.probabilities)).toEqual(['joy', 'neutral', 'anger', 'sadness'])
    expect(pred.uncertainty).toBeGreaterThanOrEqual(0)
    expect(loaded.manifest.task).toBe('emotion')
    expect(loaded.manifest.modalities.audio).toEqual({ dim: 43, trained: true })

    // Its audio branch is trained: audio features change its predictions.
    const items = dev.slice(0, 10).map((e) => ({ text: e.text, features: e.features }))
    const bare = items.map((i) => ({ ...i, features: null }))
    const maxDiff = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))
    expect(items.some((i) => i.features?.audio.present)).toBe(true)
    expect(maxDiff(loaded.predictProbs(items), loaded.predictProbs(bare))).toBeGreaterThan(1e-3)
    // The same weights saved as a text-only model: its audio/visual branches always see "absent",
    // so predictions are identical with and without the features.
    const textOnlyDir = tmp()
    saveEmotionModel(textOnlyDir, loaded.model, {
      ...saveOpts,
      trained: { text: true, audio: false, visual: false },
    })
    const textOnly = loadEmotionModel(textOnlyDir)
    expect(Array.from(textOnly.predictProbs(items))).toEqual(Array.from(textOnly.predictProbs(bare)))
    expect(Array.from(textOnly.predictProbs(items))).toEqual(Array.from(loaded.predictProbs(bare)))
    // An utterance with none of the trained modalities (no transcript) gets no label, with the reason.
    expect(textOnly.predict([{ text: '  ', features: items[0]!.features }])[0]).toEqual({
      label: null,
      reason: 'no evidence: the model was trained on text only and this utterance has no transcript',
    })
    textOnly.dispose()
    loaded.dispose()

    // Fine-tuning: a child version naming its parent, metrics before/after on the held-out part.
    const corpus = { role: 'finetune', name: 'corrections', sha256: 'ab'.repeat(32) }
    const out = path.join(tmp(), 'ft')
    const ft = await finetuneEmotion({
      base: dir,
      examples: dataset(40, 9),
      out,
      epochs: 2,
      version: '1.0.1',
      corpus,
    })
    // Provenance: the parent with the checksum of its weights, the corrections by content hash.
    expect(ft.manifest.parent).toEqual({
      name: 'tiny',
      version: '1.0.0',
      weightsSha256: loaded.manifest.weights.sha256,
    })
    expect(ft.manifest.data.at(-1)).toEqual(corpus)
    expect(ft.manifest.version).toBe('1.0.1')
    expect(ft.heldOutCount).toBeGreaterThan(0)
    expect(typeof ft.before.weightedF1).toBe('number')
    await expect(finetuneEmotion({ base: dir, examples: dataset(10, 9), out: dir, corpus })).rejects.toThrow(
      /new folder/,
    )
  })

  it('refuses corrupt or mismatched checkpoints with a clear error', async () => {
    const { model } = await buildEmotionModel(config('concat'), train.slice(0, 20))
    const dir = tmp()
    saveEmotionModel(dir, model, saveOpts)
    model.dispose()
    const w = path.join(dir, 'weights.bin')
    const good = readFileSync(w)
    const bad = Buffer.from(good)
    bad[10] = bad[10]! ^ 0xff
    writeFileSync(w, bad)
    expect(() => loadEmotionModel(dir)).toThrow(/weights.bin does not match the manifest/)
    writeFileSync(w, good.subarray(0, good.length - 4))
    expect(() => loadEmotionModel(dir)).toThrow(/truncated/)
    writeFileSync(w, good)
    const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'))
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...m, task: 'translation' }))
    expect(() => loadEmotionModel(dir)).toThrow(/is a translation model, not a emotion model/)
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...m, dataHash: undefined }))
    expect(() => loadEmotionModel(dir)).toThrow(/manifest.json is invalid: dataHash/)
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m))
    const mj = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'))
    mj.modelConfig.latentDim = 32
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(mj))
    expect(() => loadEmotionModel(dir)).toThrow(/model.json does not match the manifest/)
    // A model.json edited together with its recorded checksum still has to fit the weights.
    m.fileSha256['model.json'] = createHash('sha256').update(JSON.stringify(mj)).digest('hex')
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m))
    expect(() => loadEmotionModel(dir)).toThrow(/shape/)
    expect(() => loadEmotionModel(path.join(dir, 'nope'))).toThrow(/no such folder/)
  })

  it('resumes from its saved state to the same result as an uninterrupted run', async () => {
    const opts = { epochs: 3, batchSize: 32, lr: 0.01, seed: 5, patience: 5 }
    const full = await buildEmotionModel(config('lmf'), train)
    const r1 = await trainClassifier(full.model, train, dev, opts)
    const p1 = full.model.predictProbs(dev.slice(0, 5))
    full.model.dispose()

    const stateDir = tmp()
    const a = await buildEmotionModel(config('lmf'), train)
    const ac = new AbortController()
    await expect(
      trainClassifier(a.model, train, dev, {
        ...opts,
        stateDir,
        log: (l) => {
          if (l.startsWith('epoch 2/')) ac.abort()
        },
        signal: ac.signal,
      }),
    ).rejects.toThrow(/cancelled/)
    a.model.dispose()
    const b = await buildEmotionModel(config('lmf'), train)
    const r2 = await trainClassifier(b.model, train, dev, { ...opts, stateDir, resume: true })
    expect(r2.resumedFromEpoch).toBe(2)
    expect(r2.history.map((h) => h.val.weightedF1)).toEqual(r1.history.map((h) => h.val.weightedF1))
    expect(Array.from(b.model.predictProbs(dev.slice(0, 5)))).toEqual(Array.from(p1))
    b.model.dispose()
    const c = await buildEmotionModel(config('concat'), train)
    await expect(trainClassifier(c.model, train, dev, { ...opts, stateDir, resume: true })).rejects.toThrow(
      /different model configuration/,
    )
    c.model.dispose()
  })

  it('GAN-Fusion stages update only their own variables', async () => {
    const { model } = await buildEmotionModel(config('ganfusion'), train)
    const gan = model.fusion as GanFusion
    const batch = model.makeBatch(train.slice(0, 16))
    const adam = new Adam({ clipNorm: 5 })
    const all = model.store.trainable()
    const snap = () => new Map(all.map((v) => [v.name, v.dataSync().slice() as Float32Array]))
    const changed = (a: Map<string, Float32Array>, b: Map<string, Float32Array>) =>
      new Set([...a.keys()].filter((k) => a.get(k)!.some((x, i) => x !== b.get(k)![i])))
    const names = (vs: TF.Variable[]) => new Set(vs.map((v) => v.name))
    const D = names(gan.discriminatorVariables())
    const R = names(gan.realFusionVariables())
    const inputs = tf.tidy(
      () => model.encode(batch, true) as unknown as TF.TensorContainer,
    ) as unknown as Parameters<typeof gan.apply>[0]
    const ctx = {
      inputs,
      fullLoss: () => model.loss(batch, true),
      allVariables: all,
      adam,
      lr: 0.01,
    }
    let s0 = snap()
    ganStage(gan, 'd-real', ctx)
    let s1 = snap()
    let ch = changed(s0, s1)
    expect(ch.size).toBeGreaterThan(0)
    for (const k of ch) expect(D.has(k) || R.has(k), k).toBe(true)
    expect([...D].some((k) => ch.has(k))).toBe(true)
    s0 = s1
    ganStage(gan, 'd-fake', ctx)
    s1 = snap()
    ch = changed(s0, s1)
    expect(ch.size).toBeGreaterThan(0)
    for (const k of ch) expect(D.has(k), k).toBe(true)
    s0 = s1
    ganStage(gan, 'g', ctx)
    s1 = snap()
    ch = changed(s0, s1)
    for (const k of ch) expect(D.has(k), k).toBe(false)
    expect([...names(gan.generatorVariables())].every((k) => ch.has(k))).toBe(true)
    expect(ch.has(all.find((v) => v.name.includes('enc_text/embedding'))!.name)).toBe(true)
    tf.dispose([...Object.values(inputs.latents), ...Object.values(inputs.masks)] as TF.Tensor[])
    adam.dispose()
    model.dispose()
  })

  it("AutoFusion's reconstruction loss falls during training", async () => {
    const { model } = await buildEmotionModel(config('autofusion'), train)
    const af = model.fusion as unknown as { reconstructionLoss(i: unknown): TF.Scalar }
    const batch = model.makeBatch(dev)
    const jtr = () => tf.tidy(() => af.reconstructionLoss(model.encode(batch, false)).dataSync()[0]!)
    const j0 = jtr()
    await trainClassifier(model, train, dev, { epochs: 3, batchSize: 16, lr: 0.01, seed: 2, patience: 3 })
    const j1 = jtr()
    expect(j1).toBeLessThan(j0 * 0.7)
    model.dispose()
  })
})
