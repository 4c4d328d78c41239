// What was measured is what runs: `fws batch` (through bin/fws.mjs from source) on a real clip with
// a face, speech and a sidecar transcript gives, per utterance, the emotion probabilities
// `fws eval emotion` gives for the same utterances (the tiny emotion model is trained on text
// only, so the audio and face it sees in the clip must change nothing), and the translations
// `fws translate` gives for the same text — for one network and for an ensemble folder, whose
// translations `fws eval translation` scores too. On a clip without a transcript (utterances from voice
// activity) the text-only model gives no label and summary.json / the console count those
// utterances with the way out. A flipped byte in weights.bin is refused by the CLI entry points
// with the file named (the app's jobs: test/engine/jobs/service-jobs.test.ts). Models: tiny, trained in the setup with the project's own training code.
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeCorpus } from '../../src-main/engine/models/corpus'
import { writeEnsembleFolder } from '../../src-main/engine/models/translation/ensemble'
import type { BatchSummary } from '../../src-main/engine/pipeline/batch'
import { faceSpeechVideo, testPhotos } from '../engine/features/fixtures'
import { runFws } from '../helpers/fws-cli'
import { toSrt } from '../helpers/media-fixtures'
import {
  trainTinyModels,
  trainTinyTranslationModel,
  type TinyModels,
} from '../engine/pipeline/helpers/tiny-models'

let tmp: string
let models: TinyModels

const fws = (args: string[], stdin?: string) =>
  runFws(args, { env: { FWS_CACHE_DIR: path.join(tmp, 'cache') }, stdin })

const jsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, any>) // eslint-disable-line @typescript-eslint/no-explicit-any

/** Transcript of the face clip: speech + face on [0, 3), test pattern + silence after. */
const CUES = [
  { start: 0.2, end: 2.8, text: 'Hello there, this is a test of the feature extractor.' },
  { start: 3.3, end: 5.6, text: 'Where is the station?' },
]

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-runtime-'))
  const video = await faceSpeechVideo(testPhotos().face)
  mkdirSync(path.join(tmp, 'subs'))
  copyFileSync(video.file, path.join(tmp, 'subs', 'clip.mov'))
  writeFileSync(path.join(tmp, 'subs', 'clip.srt'), toSrt(CUES))
  mkdirSync(path.join(tmp, 'vad'))
  copyFileSync(video.file, path.join(tmp, 'vad', 'untranscribed.mov'))
  models = await trainTinyModels(path.join(tmp, 'models'))
}, 300_000)

/** `fws batch` on a fixture folder with the tiny models and every task they have. */
function batchWithModels(folder: string, out: string, ...extra: string[]) {
  return fws([
    'batch',
    path.join(tmp, folder),
    '--out',
    out,
    '--models',
    models.dir,
    '--tasks',
    models.tasks.join(','),
    ...extra,
  ])
}

afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('one model runtime for fws batch, fws eval and fws translate', () => {
  it('batch predictions equal eval emotion (text-only model, audio and face present) and translate', async () => {
    const out = path.join(tmp, 'out-subs')
    const r = await batchWithModels('subs', out, '--json')
    expect(r.code, r.stderr).toBe(0)
    const rows = jsonl(path.join(out, 'clip.utterances.jsonl'))
    expect(rows.map((u) => u.text)).toEqual(CUES.map((c) => c.text))
    // The first utterance really had audio and a face: the model was offered them.
    expect(rows[0]!.modalities).toMatchObject({ text: true, audio: true, face: true })
    expect(rows.every((u) => u.emotion !== null)).toBe(true)

    // The same utterances as a corpus (one dialogue, in order), evaluated on text alone.
    const corpus = path.join(tmp, 'corpus')
    writeCorpus(
      corpus,
      { name: 'clip', labelSets: { emotion: models.labels } },
      CUES.map((c, i) => ({
        id: `u${i}`,
        start: c.start,
        end: c.end,
        text: c.text,
        dialogue: 'clip',
        labels: { emotion: models.labels[0]! },
      })),
    )
    const preds = path.join(tmp, 'eval-preds.jsonl')
    const emotionDir = path.join(models.dir, 'emotion-tiny')
    const ev = await fws([
      'eval',
      'emotion',
      '--model',
      emotionDir,
      '--data',
      corpus,
      '--json',
      '--predictions',
      preds,
    ])
    expect(ev.code, ev.stderr).toBe(0)
    const evalRows = jsonl(preds)
    expect(evalRows).toHaveLength(rows.length)
    rows.forEach((u, i) => {
      for (const l of models.labels)
        expect(Math.abs(u.emotion.probabilities[l] - evalRows[i]!.probabilities[l])).toBeLessThan(1e-5)
      expect(u.emotion.label).toBe(evalRows[i]!.label)
    })

    if (models.tasks.includes('translation')) {
      const tr = await fws(
        ['translate', '--model', path.join(models.dir, 'translation-tiny')],
        CUES.map((c) => c.text).join('\n') + '\n',
      )
      expect(tr.code, tr.stderr).toBe(0)
      expect(rows.map((u) => u.translation)).toEqual(tr.stdout.trimEnd().split('\n'))
    }
  }, 300_000)

  it('gives no emotion label without evidence, and counts it in summary.json and on the console', async () => {
    const out = path.join(tmp, 'out-vad')
    const r = await batchWithModels('vad', out)
    expect(r.code, r.stderr).toBe(0)
    const rows = jsonl(path.join(out, 'untranscribed.utterances.jsonl'))
    expect(rows.length).toBeGreaterThan(0)
    for (const u of rows) {
      expect(u.text).toBe('')
      expect(u.emotion).toBeNull()
      expect(u.emotionReason).toMatch(/no evidence: the model was trained on text only .*no transcript/)
      expect(u.translation).toBeNull()
    }
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as BatchSummary
    expect(summary.files[0]!.noEvidence).toEqual({
      utterances: rows.length,
      hint: expect.stringMatching(/--subs-dir/),
    })
    expect(summary.totals.noEvidence).toBe(rows.length)
    expect(r.stdout).toContain(`${rows.length} without an emotion label (no evidence)`)
    expect(r.stdout).toMatch(/--subs-dir/)
    // The VTT (written when there is a translation model) holds no cue for them.
    if (models.tasks.includes('translation'))
      expect(readFileSync(path.join(out, 'untranscribed.vtt'), 'utf8').trim()).toBe('WEBVTT')
  }, 300_000)

  it('runs a translation ensemble folder the same in batch, translate and eval translation', async () => {
    // Needs Multi30K (npm run data), as the tiny translation model itself does. That the members'
    // distributions are averaged is test/engine/models/translation/ensemble.test.ts's part.
    if (!models.tasks.includes('translation')) return
    const primary = path.join(models.dir, 'translation-tiny')
    const second = path.join(tmp, 'translation-tiny-seed-2')
    await trainTinyTranslationModel(second, 2)
    const ensemble = path.join(tmp, 'translation-ensemble')
    await writeEnsembleFolder(
      ensemble,
      primary,
      { 'members/seed-2': second },
      {
        name: 'translation-tiny-ensemble',
        version: '0.0.1',
      },
    )
    const texts = CUES.map((c) => c.text)

    // Training into an ensemble folder is refused before any work; the folder is left as it was.
    const manifestBefore = readFileSync(path.join(ensemble, 'manifest.json'), 'utf8')
    const t = await fws(['train', 'translation', '--out', ensemble, '--epochs', '1'])
    expect(t.code).not.toBe(0)
    expect(t.stderr).toMatch(/is an ensemble folder: train each network into its own folder/)
    expect(readFileSync(path.join(ensemble, 'manifest.json'), 'utf8')).toBe(manifestBefore)

    const out = path.join(tmp, 'out-ensemble')
    const b = await fws([
      'batch',
      path.join(tmp, 'subs'),
      '--out',
      out,
      '--tasks',
      'translation',
      '--translation-model',
      ensemble,
    ])
    expect(b.code, b.stderr).toBe(0)
    const rows = jsonl(path.join(out, 'clip.utterances.jsonl'))
    expect(rows.map((u) => u.text)).toEqual(texts)
    expect(rows[0]!.models.translation).toBe('translation-tiny-ensemble@0.0.1')
    const batchTranslations = rows.map((u) => u.translation)

    const tr = await fws(['translate', '--model', ensemble], texts.join('\n') + '\n')
    expect(tr.code, tr.stderr).toBe(0)
    expect(tr.stdout.trimEnd().split('\n')).toEqual(batchTranslations)

    const src = path.join(tmp, 'ensemble.en')
    const ref = path.join(tmp, 'ensemble.de')
    const hyp = path.join(tmp, 'ensemble.hyp.de')
    writeFileSync(src, texts.join('\n') + '\n')
    writeFileSync(ref, 'Hallo, das ist ein Test.\nWo ist der Bahnhof?\n')
    const ev = await fws([
      'eval',
      'translation',
      '--model',
      ensemble,
      '--src',
      src,
      '--ref',
      ref,
      '--hyp-out',
      hyp,
      '--json',
    ])
    expect(ev.code, ev.stderr).toBe(0)
    expect(readFileSync(hyp, 'utf8').trimEnd().split('\n')).toEqual(batchTranslations)
  }, 300_000)

  it('refuses a flipped byte in weights.bin in eval, finetune, translate and batch, naming the file', async () => {
    const bad = path.join(tmp, 'bad-models')
    cpSync(models.dir, bad, { recursive: true })
    for (const name of [
      'emotion-tiny',
      ...(models.tasks.includes('translation') ? ['translation-tiny'] : []),
    ]) {
      const w = path.join(bad, name, 'weights.bin')
      const buf = readFileSync(w)
      buf[buf.length >> 1] = buf[buf.length >> 1]! ^ 0x01
      writeFileSync(w, buf)
    }
    const ev = await fws([
      'eval',
      'emotion',
      '--model',
      path.join(bad, 'emotion-tiny'),
      '--data',
      path.join(tmp, 'corpus'),
    ])
    expect(ev.code).not.toBe(0)
    expect(ev.stderr).toMatch(/weights\.bin does not match the manifest/)
    const ft = await fws([
      'finetune',
      '--base',
      path.join(bad, 'emotion-tiny'),
      '--data',
      path.join(tmp, 'corpus'),
      '--out',
      path.join(tmp, 'ft-bad'),
    ])
    expect(ft.code).not.toBe(0)
    expect(ft.stderr).toMatch(/emotion-tiny: weights\.bin does not match the manifest/)
    const b = await fws([
      'batch',
      path.join(tmp, 'subs'),
      '--out',
      path.join(tmp, 'out-bad'),
      '--models',
      bad,
    ])
    expect(b.code).not.toBe(0)
    expect(b.stderr).toMatch(/emotion-tiny: weights\.bin does not match the manifest/)
    if (models.tasks.includes('translation')) {
      const tr = await fws(['translate', '--model', path.join(bad, 'translation-tiny')], 'a dog.\n')
      expect(tr.code).not.toBe(0)
      expect(tr.stderr).toMatch(/translation-tiny: weights\.bin does not match the manifest/)
    }
  }, 120_000)
})
