/**
 * `npm run bench:finetune`: does fine-tuning on corrections help, measured on real labels?
 *
 * 1. Base: an emotion model (text branch, MELD's 7 labels) trained on a SMALL part of MELD train
 *    (whole dialogues, seeded choice).
 * 2. Corrections: a FURTHER, disjoint part of MELD train written as a corpus folder whose emotion
 *    labels carry provenance "corrected" (what `fws export --format corpus --only-corrected` writes).
 * 3. `finetuneFromCorpus` (the code behind `fws finetune`): held-out split of the corrections,
 *    metrics before/after on it, new model version whose manifest names its parent.
 * 4. Weighted F1 (and macro F1, accuracy) of base and fine-tuned model on the whole MELD dev set,
 *    which neither training step saw; printed with the ratio after/before.
 *
 * Sizes: FWS_BENCH_BASE (default 800 utterances), FWS_BENCH_CORRECTIONS (default 3000),
 * FWS_BENCH_EPOCHS (base, default 8), FWS_BENCH_FT_EPOCHS (default 6), FWS_BENCH_FT_LR (default 0.001). Data: MELD
 * train and dev from the data lookup (data/ after `npm run data`, then the mirror).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { getTf } from '../src-main/engine/backend'
import { findDataFile, missingDataMessage } from '../src-main/engine/datasets'
import { finetuneFromCorpus } from '../src-main/engine/jobs/finetune'
import { Rng } from '../src-main/engine/fusion/nn'
import {
  dataFileEntry,
  readLabelled,
  writeCorpus,
  type CorpusUtterance,
} from '../src-main/engine/models/corpus'
import {
  DEFAULT_EMOTION_CONFIG,
  emotionExamples,
  loadEmotionModel,
  trainEmotion,
} from '../src-main/engine/models/emotion'
import { EMOTIONS } from '../src-main/contract/contract'

const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d)
const BASE_N = env('FWS_BENCH_BASE', 800)
const FT_N = env('FWS_BENCH_CORRECTIONS', 3000)
const EPOCHS = env('FWS_BENCH_EPOCHS', 8)
const FT_EPOCHS = env('FWS_BENCH_FT_EPOCHS', 6)
const FT_LR = env('FWS_BENCH_FT_LR', 0.001)

async function main() {
  const trainCsv = findDataFile('meld', 'train_sent_emo.csv')
  const devCsv = findDataFile('meld', 'dev_sent_emo.csv')
  if (!trainCsv || !devCsv) {
    console.error(missingDataMessage('meld'))
    process.exit(2)
  }
  const t0 = Date.now()
  const { choice } = await getTf()
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-bench-ft-'))
  const log = (s: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0)} s] ${s}\n`)
  try {
    const train = readLabelled(trainCsv)
    const dev = readLabelled(devCsv)
    // Whole dialogues, seeded order: base and corrections never share a dialogue.
    const byDialogue = new Map<string, CorpusUtterance[]>()
    for (const u of train.utterances) {
      const d = u.dialogue ?? u.id
      byDialogue.set(d, [...(byDialogue.get(d) ?? []), u])
    }
    const dialogues = new Rng(20261127).shuffle([...byDialogue.keys()])
    const base: CorpusUtterance[] = []
    const corr: CorpusUtterance[] = []
    for (const d of dialogues) {
      const list = byDialogue.get(d)!
      if (base.length < BASE_N) base.push(...list)
      else if (corr.length < FT_N) corr.push(...list)
      else break
    }
    const cfg = {
      ...DEFAULT_EMOTION_CONFIG,
      // MELD here is text only: the audio/visual branches exist but are trained as "absent"
      // (C1's checkpoint manifest records all three modalities).
      fusion: 'concat' as const,
      labels: [...EMOTIONS],
    }
    const turns = cfg.text.contextTurns
    const baseCorpus = { ...train, utterances: base }
    const baseEx = emotionExamples(baseCorpus, { contextTurns: turns })
    // Model selection for the base uses 10% of ITS OWN small part (never MELD dev).
    const rng = new Rng(7)
    const idx = rng.shuffle([...baseEx.keys()])
    const held = new Set(idx.slice(0, Math.round(baseEx.length * 0.1)))
    const baseDir = path.join(tmp, 'base')
    log(
      `backend ${choice.name}; base: ${baseEx.length - held.size} train + ${held.size} selection utterances; corrections: ${corr.length}; MELD dev: ${dev.utterances.length}`,
    )
    await trainEmotion({
      config: cfg,
      train: baseEx.filter((_, i) => !held.has(i)),
      dev: baseEx.filter((_, i) => held.has(i)),
      out: baseDir,
      name: 'bench-emotion',
      version: '1.0.0',
      // A subset of this file (the first utterances): recorded as the file it came from.
      data: [dataFileEntry(`train (first ${base.length} utterances)`, trainCsv)],
      training: {
        epochs: EPOCHS,
        batchSize: 32,
        lr: 0.002,
        patience: 3,
        classWeighting: 'sqrt',
        metric: 'weightedF1',
      },
      log: (s) => log(`base: ${s}`),
    })

    // The further part as a corpus of corrections (human provenance), as the project export writes it.
    const corrDir = path.join(tmp, 'corrections')
    writeCorpus(
      corrDir,
      { name: 'meld-corrections', labelSets: { emotion: [...EMOTIONS] } },
      corr.map((u) => ({ ...u, provenance: { ...u.provenance, emotion: 'corrected', annotator: 'meld' } })),
    )
    const ftDir = path.join(tmp, 'finetuned')
    const ft = await finetuneFromCorpus({
      base: baseDir,
      data: corrDir,
      out: ftDir,
      epochs: FT_EPOCHS,
      lr: FT_LR,
      heldOutFraction: 0.1,
      log: (s) => log(`finetune: ${s}`),
    })
    if (ft.task !== 'emotion') throw new Error('expected an emotion fine-tune')

    const devEx = emotionExamples(dev, { contextTurns: turns })
    const score = (dir: string) => {
      const m = loadEmotionModel(dir)
      try {
        return { r: m.evaluate(devEx), tag: m.versionTag, parent: m.manifest.parent }
      } finally {
        m.dispose()
      }
    }
    const b = score(baseDir)
    const a = score(ftDir)
    const f = (x: number) => x.toFixed(4)
    console.log(
      `\nfine-tuning from corrections — MELD dev (${devEx.length} utterances), backend ${choice.name}`,
    )
    console.log(`base       ${b.tag.padEnd(34)} trained on ${baseEx.length} MELD-train utterances`)
    console.log(
      `fine-tuned ${a.tag.padEnd(34)} parent ${a.parent}; ${ft.trainCount} corrections trained, ${ft.heldOutCount} held out`,
    )
    console.log(
      `settings: base ${EPOCHS} epochs max (early stop on its own 10% split); fine-tune ${FT_EPOCHS} epochs max, lr ${FT_LR}, early stop on 10% of the corrections`,
    )
    console.log('')
    console.log('metric (MELD dev)     base     fine-tuned   ratio')
    for (const k of ['weightedF1', 'macroF1', 'accuracy'] as const)
      console.log(`${k.padEnd(18)} ${f(b.r[k])}   ${f(a.r[k])}       ${(a.r[k] / b.r[k]).toFixed(3)}×`)
    console.log('')
    console.log(
      `held-out corrections (fws finetune's own report): weightedF1 before ${f(ft.before.weightedF1)} → after ${f(ft.after.weightedF1)}`,
    )
    console.log(`total ${((Date.now() - t0) / 1000).toFixed(0)} s`)
    if (!(a.r.weightedF1 > b.r.weightedF1)) {
      console.log('RESULT: no gain in weighted F1 on MELD dev')
      process.exitCode = 1
    } else console.log(`RESULT: weighted F1 on MELD dev rose by ${f(a.r.weightedF1 - b.r.weightedF1)}`)
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

await main()
