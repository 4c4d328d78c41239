/**
 * Translation ensembles: networks over one vocabulary searched as one model (the mean of their
 * next-token distributions), stored as one model folder whose members are complete checkpoints in
 * subfolders. The one loader reads them and checks every member; fine-tuning an ensemble
 * fine-tunes every member; a single network decodes exactly as before.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type * as TF from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getTf } from '../../../../src-main/engine/backend'
import { readManifest, verifyCheckpoint } from '../../../../src-main/engine/models/checkpoint'
import { loadTranslationModel, readTranslationNetwork } from '../../../../src-main/engine/models/translation'
import {
  TranslationEnsemble,
  writeEnsembleFolder,
} from '../../../../src-main/engine/models/translation/ensemble'
import { finetuneTranslation } from '../../../../src-main/engine/models/translation/finetune'
import { trainToyTranslation } from '../helpers/toy-translation'

const NOUNS = ['dog', 'cat', 'man', 'woman', 'child', 'bird']
const DE = ['Hund', 'Katze', 'Mann', 'Frau', 'Kind', 'Vogel']
const VERBS = [
  ['runs', 'läuft'],
  ['sleeps', 'schläft'],
  ['sings', 'singt'],
]
const pairs = NOUNS.flatMap((n, i) => VERBS.map(([v, dv]) => [`the ${n} ${v}.`, `der ${DE[i]} ${dv}.`]))
const sources = pairs.map((p) => p[0]!)

let tf: typeof TF
let tmp: string
const dir = (name: string) => path.join(tmp, name)

const train = (out: string, seed: number, vocabSize = 60) =>
  trainToyTranslation({ src: dir('train.en'), tgt: dir('train.de'), out, seed, vocabSize, maxSteps: 60 })

beforeAll(async () => {
  tf = (await getTf()).tf
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-ensemble-'))
  writeFileSync(dir('train.en'), pairs.map((p) => p[0]).join('\n') + '\n')
  writeFileSync(dir('train.de'), pairs.map((p) => p[1]).join('\n') + '\n')
  await train(dir('a'), 3)
  await train(dir('b'), 4)
  await train(dir('other-vocab'), 3, 50)
}, 300_000)
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

async function translations(folder: string): Promise<string[]> {
  const m = await loadTranslationModel(folder)
  try {
    return await m.translate(sources, { beam: 3, lengthPenalty: 1 })
  } finally {
    m.dispose()
  }
}

describe('translation ensembles', () => {
  it('searches the mean of the members’ next-token distributions', async () => {
    const [a, b] = [await readTranslationNetwork(dir('a')), await readTranslationNetwork(dir('b'))]
    const ensemble = new TranslationEnsemble(tf, [a.model, b.model])
    const src = tf.tensor2d([[5, 6, 7, 3]], [1, 4], 'int32')
    const caches = ensemble.beginDecoding(src, undefined)
    const single = [a.model.beginDecoding(src, undefined), b.model.beginDecoding(src, undefined)]
    const bos = tf.tensor1d([2], 'int32')
    const mixed = ensemble.decodeStep(bos, caches)
    const expected = tf.tidy(() =>
      tf
        .softmax(a.model.decodeStep(bos, single[0]!))
        .add(tf.softmax(b.model.decodeStep(bos, single[1]!)))
        .div(2)
        .log(),
    )
    const got = mixed.dataSync()
    const want = expected.dataSync()
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 4)
    ensemble.disposeCache(caches)
    single.forEach((c, i) => [a, b][i]!.model.disposeCache(c))
    tf.dispose([src, bos, mixed, expected])
    a.model.dispose()
    b.model.dispose()
  })

  it('is one model folder the one loader reads; a network with itself translates as it alone', async () => {
    await writeEnsembleFolder(dir('aa'), dir('a'), { 'members/a2': dir('a') }, { name: 'aa', version: '1' })
    expect(await translations(dir('aa'))).toEqual(await translations(dir('a')))
    const m = await writeEnsembleFolder(
      dir('ab'),
      dir('a'),
      { 'members/b': dir('b') },
      { name: 'ab', version: '2' },
    )
    expect(m.ensemble).toEqual([
      {
        dir: 'members/b',
        name: readManifest(dir('b')).name,
        version: readManifest(dir('b')).version,
        weightsSha256: readManifest(dir('b')).weights.sha256,
      },
    ])
    expect(m.files['member:members/b']).toBe('members/b/manifest.json')
    // The primary's own figures are not the ensemble's: measured again for it.
    expect(Object.keys(readManifest(dir('a')).metrics).length).toBeGreaterThan(0)
    expect(m.metrics).toEqual({})
    expect(m.decoding).toBeUndefined()
    const ab = await translations(dir('ab'))
    expect(ab).toHaveLength(sources.length)
    expect(ab.every((t) => t.length > 0)).toBe(true)
  })

  it('refuses a damaged, swapped or foreign member, and a member outside the folder', async () => {
    await writeEnsembleFolder(dir('bad'), dir('a'), { 'members/b': dir('b') }, { name: 'bad', version: '1' })
    // A flipped byte in a member's weights: that member's folder is named.
    const w = path.join(dir('bad'), 'members/b/weights.bin')
    const bytes = readFileSync(w)
    bytes[100] ^= 1
    writeFileSync(w, bytes)
    await expect(loadTranslationModel(dir('bad'))).rejects.toThrow(/members\/b: weights\.bin does not match/)
    // …as early as the check before a batch starts (select-models verifies the folder).
    expect(() => verifyCheckpoint(dir('bad'), { task: 'translation' })).toThrow(/members\/b: weights\.bin/)
    bytes[100] ^= 1
    writeFileSync(w, bytes)
    // The member's manifest replaced (e.g. by another model's): the ensemble's checksum catches it.
    const mf = path.join(dir('bad'), 'members/b/manifest.json')
    const original = readFileSync(mf)
    writeFileSync(mf, readFileSync(path.join(dir('a'), 'manifest.json')))
    await expect(loadTranslationModel(dir('bad'))).rejects.toThrow(
      /members\/b\/manifest\.json does not match the manifest/,
    )
    writeFileSync(mf, original)
    expect(await translations(dir('bad'))).toHaveLength(sources.length)
    // Another vocabulary is refused when the folder is written.
    await expect(
      writeEnsembleFolder(
        dir('mixed'),
        dir('a'),
        { 'members/x': dir('other-vocab') },
        { name: 'x', version: '1' },
      ),
    ).rejects.toThrow(/another vocabulary/)
    // A member path leaving the folder is not a valid manifest.
    const top = JSON.parse(readFileSync(path.join(dir('bad'), 'manifest.json'), 'utf8'))
    top.ensemble[0].dir = '../b'
    top.files = { ...top.files, 'member:../b': '../b/manifest.json' }
    writeFileSync(path.join(dir('bad'), 'manifest.json'), JSON.stringify(top))
    expect(() => readManifest(dir('bad'))).toThrow(/ensemble\.0\.dir: a subfolder of the model folder/)
  })

  it('fine-tunes every member and writes an ensemble again', { timeout: 120_000 }, async () => {
    await writeEnsembleFolder(
      dir('base'),
      dir('a'),
      { 'members/b': dir('b') },
      { name: 'ens', version: '1.0.0' },
    )
    const corrected = pairs.map(([src, tgt]) => ({ src: src!, tgt: tgt!.replace('der', 'ein') }))
    const out = dir('ft')
    const res = await finetuneTranslation({
      base: dir('base'),
      pairs: corrected,
      out,
      epochs: 2,
      lr: 1e-3,
      corpus: { role: 'finetune', name: 'corrections', sha256: 'ef'.repeat(32) },
    })
    const base = readManifest(dir('base'))
    const member = readManifest(path.join(out, 'members/b'))
    expect(res.manifest.parent).toMatchObject({ name: 'ens', weightsSha256: base.weights.sha256 })
    expect(member.parent).toEqual({
      name: readManifest(dir('b')).name,
      version: readManifest(dir('b')).version,
      weightsSha256: readManifest(dir('b')).weights.sha256,
    })
    expect(res.manifest.ensemble?.[0]?.weightsSha256).toBe(member.weights.sha256)
    expect(member.weights.sha256).not.toBe(readManifest(dir('b')).weights.sha256)
    expect(res.after.n).toBe(res.heldOutCount)
    expect(await translations(out)).toHaveLength(sources.length)
  })
})
