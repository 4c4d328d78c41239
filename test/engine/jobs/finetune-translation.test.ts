/**
 * Fine-tuning the translator from corrections: a tiny base model is trained on a toy language
 * pair; a corrections corpus (the `fws export --format corpus` layout) then teaches it another word
 * order. `fws finetune` prints BLEU and chrF before and after on a held-out part of the
 * corrections, and only human-corrected translations are learned from; the app's fine-tune job
 * does the same from a project's corrected translations.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { translationPairs } from '../../../src-main/engine/exchange/corrections'
import type { TranslationFinetuneSummary } from '../../../src-main/engine/jobs/finetune'
import { startFinetuneJob } from '../../../src-main/engine/jobs/finetune-job'
import { JobRegistry } from '../../../src-main/engine/jobs/registry'
import { ProjectStore } from '../../../src-main/engine/project/store'
import { readCorpus, writeCorpus, type CorpusUtterance } from '../../../src-main/engine/models/corpus'
import { loadTranslationModel } from '../../../src-main/engine/models/translation'
import { runFws } from '../../helpers/fws-cli'
import { trainToyTranslation } from '../models/helpers/toy-translation'

const fws = (args: string[]) => runFws(args, { timeoutMs: 300_000 })

const ADJ: Array<[string, string]> = [
  ['red', 'rote'],
  ['blue', 'blaue'],
  ['green', 'grüne'],
  ['big', 'große'],
  ['small', 'kleine'],
]
const NOUN: Array<[string, string]> = [
  ['dog', 'Hund'],
  ['cat', 'Katze'],
  ['man', 'Mann'],
  ['woman', 'Frau'],
]
const VERB: Array<[string, string]> = [
  ['runs', 'läuft'],
  ['sleeps', 'schläft'],
  ['eats', 'frisst'],
]
/** Base convention "der A N V." ; the corrections put the verb first: "V der A N.". */
function sentence(i: number, corrected: boolean): [string, string] {
  const [a, da] = ADJ[i % ADJ.length]!
  const [n, dn] = NOUN[Math.floor(i / ADJ.length) % NOUN.length]!
  const [v, dv] = VERB[Math.floor(i / (ADJ.length * NOUN.length)) % VERB.length]!
  return [`the ${a} ${n} ${v}.`, corrected ? `${dv} der ${da} ${dn}.` : `der ${da} ${dn} ${dv}.`]
}

let tmp: string
const base = () => path.join(tmp, 'base')
beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-ft-tr-'))
  const all = Array.from({ length: 60 }, (_, i) => sentence(i, false))
  writeFileSync(path.join(tmp, 'train.en'), all.map((p) => p[0]).join('\n') + '\n')
  writeFileSync(path.join(tmp, 'train.de'), all.map((p) => p[1]).join('\n') + '\n')
  writeFileSync(
    path.join(tmp, 'val.en'),
    all
      .slice(0, 8)
      .map((p) => p[0])
      .join('\n') + '\n',
  )
  writeFileSync(
    path.join(tmp, 'val.de'),
    all
      .slice(0, 8)
      .map((p) => p[1])
      .join('\n') + '\n',
  )
  await trainToyTranslation({
    src: path.join(tmp, 'train.en'),
    tgt: path.join(tmp, 'train.de'),
    val: { src: path.join(tmp, 'val.en'), tgt: path.join(tmp, 'val.de') },
    out: base(),
    seed: 3,
  })
}, 300_000)
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function corrections(dir: string): void {
  const items: CorpusUtterance[] = Array.from({ length: 60 }, (_, i) => {
    const [en, de] = sentence(i, true)
    // Every fourth translation is the model's own (not a correction): it must not be learned from.
    const model = i % 4 === 3
    return {
      id: `u${i}`,
      media: null,
      start: i,
      end: i + 1,
      text: en,
      labels: { translation: model ? sentence(i, false)[1] : de },
      provenance: { source: 'srt', translation: model ? 'model' : 'corrected', annotator: 'test' },
    }
  })
  writeCorpus(dir, { name: 'corrections' }, items)
}

describe('fine-tuning the translator from corrections', () => {
  it('translation pairs are the utterances whose translation a human corrected or accepted', () => {
    const dir = path.join(tmp, 'pairs')
    corrections(dir)
    const c = readCorpus(dir)
    const human = translationPairs(c)
    expect(human).toHaveLength(45)
    expect(human[0]).toEqual({ src: 'the red dog runs.', tgt: 'läuft der rote Hund.' })
    expect(translationPairs(c, 'all')).toHaveLength(60)
  })

  it('fws finetune --base <translation model> prints held-out BLEU/chrF before and after, and BLEU rises', async () => {
    const data = path.join(tmp, 'corrections')
    corrections(data)
    const out = path.join(tmp, 'ft')
    const { code, stdout, stderr } = await fws([
      'finetune',
      '--base',
      base(),
      '--data',
      data,
      '--out',
      out,
      '--epochs',
      '40',
      '--lr',
      '0.002',
      '--held-out',
      '0.2',
    ])
    expect(code, stderr).toBe(0)
    console.log(stdout)
    expect(stdout).toMatch(/45 corrected translations: 36 trained on, 9 held out/)
    const row = (k: string) => {
      const m = new RegExp(`^${k}\\s+([\\d.]+)\\s+([\\d.]+)$`, 'm').exec(stdout)
      expect(m, `${k} row in:\n${stdout}`).not.toBeNull()
      return { before: Number(m![1]), after: Number(m![2]) }
    }
    const bleu = row('BLEU')
    const chrf = row('chrF')
    expect(bleu.after).toBeGreaterThan(bleu.before + 10)
    expect(chrf.after).toBeGreaterThan(chrf.before)
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'))
    const parent = JSON.parse(readFileSync(path.join(base(), 'manifest.json'), 'utf8'))
    expect(manifest.parent).toEqual({
      name: parent.name,
      version: parent.version,
      weightsSha256: parent.weights.sha256,
    })
    expect(manifest.metrics.finetune.before.bleu).toBeCloseTo(bleu.before, 1)
    expect(manifest.metrics.finetune.after.bleu).toBeCloseTo(bleu.after, 1)
    // What the weights have seen: the parent's data, then the corrections corpus (name + sha256).
    expect(manifest.data.slice(0, -1)).toEqual(parent.data)
    expect(manifest.data.at(-1)).toMatchObject({
      role: 'finetune',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    })
    // The new version loads (checksum recorded) and uses the corrected word order.
    const m = await loadTranslationModel(out)
    try {
      const [hyp] = await m.translate(['the green cat sleeps.'], { beam: 1 })
      expect(hyp).toBe('schläft der grüne Katze.')
    } finally {
      m.dispose()
    }
    const again = await fws(['finetune', '--base', base(), '--data', data, '--out', out])
    expect(again.code).not.toBe(0)
    expect(again.stderr).toMatch(/already holds a model/)
  })

  it("the app's fine-tune job trains the translator on a project's corrected translations", async () => {
    const store = ProjectStore.create(path.join(tmp, 'p.fwsproj'))
    try {
      const m = store.addMedia(
        {
          absPath: path.join(tmp, 'media', 'talk.mp4'),
          sha256: 'x',
          sizeBytes: 1,
          durationSec: 100,
          hasAudio: true,
          hasVideo: false,
          probe: {},
        },
        Array.from({ length: 40 }, (_, i) => ({
          start: i * 2,
          end: i * 2 + 1,
          text: sentence(i, true)[0],
          source: 'srt',
        })),
      )
      const rows = store.listUtterances(m.id)
      for (const [i, r] of rows.entries())
        store.applyEdit({ kind: 'translation', utteranceId: r.id, text: sentence(i, true)[1] })
      const registry = new JobRegistry({ throttleMs: 0 })
      let summary: TranslationFinetuneSummary | null = null
      const snap = startFinetuneJob(
        registry,
        store,
        { baseModel: 'translation', epochs: 40, heldOutFraction: 0.2 },
        {
          models: { translation: base() },
          onDone: (s) => (summary = s.task === 'translation' ? s : null),
        },
      )
      const end = await registry.wait(snap.id)
      expect(end.error).toBeNull()
      expect(end.status).toBe('done')
      expect(summary).not.toBeNull()
      const s = summary!
      expect(s.used).toBe(40)
      expect(s.heldOutCount).toBe(8)
      expect(s.out.startsWith(path.join(tmp, 'models'))).toBe(true)
      // Base lr 1e-4 by default is gentle; 40 epochs still move the word order on held-out pairs.
      expect(s.after.bleu).toBeGreaterThan(s.before.bleu)
    } finally {
      store.close()
    }
  })
})
