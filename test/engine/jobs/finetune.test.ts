/**
 * Fine-tuning from corrections, end to end at small scale on real MELD text: a project's corpus
 * export is read by the training side's corpus reader; a tiny base model is fine-tuned on the
 * human-confirmed labels only, and the new version names its parent.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getTf } from '../../../src-main/engine/backend'
import { findDataFile, missingDataMessage } from '../../../src-main/engine/datasets'
import { exportProject } from '../../../src-main/engine/exchange/export'
import { correctionItems } from '../../../src-main/engine/exchange/corrections'
import { finetuneFromCorpus } from '../../../src-main/engine/jobs/finetune'
import { dataFileEntry, readCorpus, readLabelled, writeCorpus } from '../../../src-main/engine/models/corpus'
import {
  DEFAULT_EMOTION_CONFIG,
  emotionExamples,
  loadEmotionModel,
  trainEmotion,
} from '../../../src-main/engine/models/emotion'
import { ProjectStore } from '../../../src-main/engine/project/store'
import { EMOTIONS } from '../../../src-main/contract/contract'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-ft-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const meld = findDataFile('meld', 'train_sent_emo.csv') ?? ''
const haveMeld = meld !== ''
if (!haveMeld) console.log(`${missingDataMessage('meld')}: the fine-tuning test is skipped`)

describe('corpus export ↔ training corpus reader', () => {
  it('a project corpus export is accepted by readCorpus, and only human labels count as corrections', async () => {
    const store = ProjectStore.create(path.join(tmp, 'p.fwsproj'))
    const m = store.addMedia(
      {
        absPath: path.join(tmp, 'media', 'a.mp4'),
        sha256: 'x',
        sizeBytes: 1,
        durationSec: 30,
        hasAudio: true,
        hasVideo: true,
        probe: {},
      },
      [0, 1, 2, 3].map((i) => ({ start: i * 5, end: i * 5 + 4, text: `utterance ${i}, “ü”`, source: 'srt' })),
    )
    const u = store.listUtterances(m.id)
    store.writePredictions(
      u.map((r) => ({
        utteranceId: r.id,
        task: 'emotion' as const,
        modelVersion: 'emo@1',
        probabilities: { joy: 0.8, neutral: 0.2 },
      })),
    )
    store.applyEdit({ kind: 'label', utteranceId: u[0].id, emotion: 'anger' })
    store.applyEdit({ kind: 'accept', utteranceId: u[1].id })
    const dir = path.join(tmp, 'corpus')
    await exportProject(store, { format: 'corpus', out: dir })
    store.close()
    // The media stay where the project has them (outside the export folder): named as a media root.
    expect(() => readCorpus(dir)).toThrow(/is outside the corpus folder/)
    const c = readCorpus(dir, { mediaRoots: [path.join(tmp, 'media')] })
    expect(c.utterances).toHaveLength(4)
    expect(c.utterances.map((x) => [x.labels.emotion, x.provenance?.emotion])).toEqual([
      ['anger', 'corrected'],
      ['joy', 'accepted'],
      ['joy', 'model'],
      ['joy', 'model'],
    ])
    const human = correctionItems(c)
    expect(human.utterances.filter((x) => x.labels.emotion).map((x) => x.labels.emotion)).toEqual([
      'anger',
      'joy',
    ])
    expect(correctionItems(c, 'all').utterances.filter((x) => x.labels.emotion)).toHaveLength(4)
  })
})

describe.skipIf(!haveMeld)('fws finetune on MELD text', () => {
  const base = path.join(tmp, 'base')
  beforeAll(async () => {
    await getTf()
    const all = readLabelled(meld)
    const ex = emotionExamples({ ...all, utterances: all.utterances.slice(0, 160) }, { contextTurns: 0 })
    await trainEmotion({
      config: {
        ...DEFAULT_EMOTION_CONFIG,
        labels: [...EMOTIONS],
        fusion: 'concat',
        text: {
          ...DEFAULT_EMOTION_CONFIG.text,
          contextTurns: 0,
          pretrained: false,
          embDim: 32,
          freezeEmbedding: false,
        },
      },
      train: ex.slice(0, 140),
      dev: ex.slice(140),
      out: base,
      name: 'tiny-emotion',
      version: '0.1.0',
      data: [dataFileEntry('train (first 160)', meld)],
      training: { epochs: 1, batchSize: 32, lr: 0.002, patience: 1, metric: 'weightedF1' },
    })
  }, 120_000)

  it(
    'trains on corrected labels only, reports held-out metrics before/after, names the parent',
    { timeout: 120_000 },
    async () => {
      const all = readLabelled(meld)
      const items = all.utterances.slice(200, 320).map((u, i) => ({
        ...u,
        // Every third label is a model prediction: it must not be learned from.
        provenance: { emotion: i % 3 === 2 ? 'model' : 'corrected', annotator: 'test' },
      }))
      const data = path.join(tmp, 'corrections')
      writeCorpus(data, { name: 'c', labelSets: { emotion: [...EMOTIONS] } }, items)
      const out = path.join(tmp, 'ft')
      const res = await finetuneFromCorpus({ base, data, out, epochs: 1, heldOutFraction: 0.2, seed: 3 })
      if (res.task !== 'emotion') throw new Error('expected an emotion fine-tune')
      expect(res.labelled).toBe(120)
      expect(res.used).toBe(80)
      expect(res.trainCount + res.devCount + res.heldOutCount).toBe(80)
      expect(res.devCount).toBeGreaterThan(0)
      expect(res.before.n).toBe(res.heldOutCount)
      expect(res.after.n).toBe(res.heldOutCount)
      // Provenance: the parent with the checksum of its weights, the corrections corpus by content hash.
      const parent = loadEmotionModel(base)
      expect(res.manifest.parent).toEqual({
        name: 'tiny-emotion',
        version: '0.1.0',
        weightsSha256: parent.manifest.weights.sha256,
      })
      parent.dispose()
      const m = loadEmotionModel(out)
      expect(m.manifest.parent).toEqual(res.manifest.parent)
      expect(m.manifest.data.at(-1)).toEqual(dataFileEntry('finetune', data))
      expect(m.manifest.data.at(-1)!.sha256).toMatch(/^[0-9a-f]{64}$/)
      expect(m.manifest.version).toMatch(/^0\.1\.0\.ft\d{14}$/)
      m.dispose()
      await expect(finetuneFromCorpus({ base, data, out })).rejects.toThrow(/already holds a model/)
      await expect(finetuneFromCorpus({ base: data, data, out: path.join(tmp, 'x') })).rejects.toThrow()
    },
  )
})
