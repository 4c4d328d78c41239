/**
 * `npm run bench:fusion`: trains every fusion method (concat, TFN, LMF, attention, AutoFusion,
 * GAN-Fusion and its loss variants) and each single modality under corpus conditions (clean,
 * missing, corrupted, conflicting modalities, and a clean-train/degraded-test shift), over several
 * seeds, and writes a paper-style table (mean ± std test accuracy and macro F1 per method ×
 * condition, parameters, training time) as text, CSV and an SVG chart. Every (method, condition,
 * seed) cell is stored as JSON in the output folder as soon as it finishes; a rerun with the same
 * configuration skips finished cells, so a long run can be continued.
 *
 * Data (`--data synthetic`, default): the synthetic ambiguity corpus (label = text valence × speech
 * arousal; video brightness a 75% valence cue), features extracted through the real pipeline
 * (ffmpeg decode → fbank+pitch, sampled frames → visual descriptors; cached). Acceptance on the
 * clean condition: AutoFusion and GAN-Fusion ≥ 90% test accuracy, every single modality ≤ 60%.
 *
 * `--data meld`: real text (a seeded sample of `--n` MELD train utterances, default 600 and 10
 * epochs; class-weighted loss, selection on macro F1) with no media, to check that presence masks do what they should: conditions `absent` (the audio/visual
 * branches see no features: masked), `noise-present` (random audio/visual features flagged as
 * present, train and test) and `noise-test` (absent in training, noise at test).
 *
 * A seed sets the split, the model initialisation and the condition draws; the corpus is the same
 * for every seed. Conditions: a preset name (see PRESETS) or condition specs joined by '+'
 * (`missing-audio:0.5+noise-audio:5`, train and test), prefixed `test:` for a test-only shift.
 *
 *   npm run bench:fusion -- [--data synthetic|meld] [--corpus DIR] [--n 400] [--corpus-seed 1]
 *     [--seeds 3] [--seed 1] [--epochs 30] [--methods a,b] [--conditions clean,missing30,...]
 *     [--out DIR]
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { getTf } from '../src-main/engine/backend'
import { findDataFile, missingDataMessage } from '../src-main/engine/datasets'
import {
  FUSION_METHODS,
  isGanFusion,
  type FusionMethod,
  type FusionModule,
  type MethodFusionOptions,
  type Modality,
} from '../src-main/engine/fusion'
import { Rng } from '../src-main/engine/fusion/nn'
import { cacheDir } from '../src-main/engine/paths'
import { readCorpus, readMeldCsv } from '../src-main/engine/models/corpus'
import {
  applyConditions,
  describeCondition,
  parseConditions,
  type CorpusCondition,
} from '../src-main/engine/models/corpus-conditions'
import { corpusFeatures } from '../src-main/engine/models/corpus-features'
import {
  buildEmotionModel,
  DEFAULT_EMOTION_CONFIG,
  emotionExamples,
  type EmotionTrainConfig,
} from '../src-main/engine/models/emotion'
import type { EmotionExample, EmotionModel } from '../src-main/engine/models/emotion-model'
import { evaluateClassifier, trainClassifier, type TrainResult } from '../src-main/engine/models/trainer'
import {
  AUDIO_DIM,
  EXTRACTOR_VERSION,
  VISUAL_DIM,
  type UtteranceFeatures,
} from '../src-main/engine/features/types'
import { poolMeanStd } from '../src-main/engine/features/pool'
import { generateSyntheticCorpus, SYNTHETIC_LABELS } from '../scripts/corpus-synthetic'
import { aggregate, runCells, writeOutputs, type CellKey, type CellResult } from './fusion-table'

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def
}

const data = arg('--data', 'synthetic')
if (data !== 'synthetic' && data !== 'meld') {
  process.stderr.write(`bench:fusion: --data must be synthetic or meld, got '${data}'\n`)
  process.exit(2)
}
const meld = data === 'meld'
const n = Number(arg('--n', meld ? '600' : '400'))
const corpusSeed = Number(arg('--corpus-seed', '1'))
const firstSeed = Number(arg('--seed', '1'))
const seedCount = Number(arg('--seeds', '1'))
const epochs = Number(arg('--epochs', meld ? '10' : '30'))
const corpusDir = arg('--corpus', path.join(cacheDir(), 'bench', `synthetic-v2-n${n}-seed${corpusSeed}`))
const methods = arg('--methods', FUSION_METHODS.join(',')).split(',') as FusionMethod[]
const conditionNames = arg('--conditions', meld ? 'absent,noise-present,noise-test' : 'clean').split(',')
const seeds = Array.from({ length: seedCount }, (_, i) => firstSeed + i)
const corpusName = meld ? `meld-train-n${n}-seed${corpusSeed}` : path.basename(corpusDir)
const outDir = arg('--out', path.join(cacheDir(), 'bench', 'fusion-results', `${corpusName}-e${epochs}`))

const BATCH = 16
const LR = 0.005
const PATIENCE = 8
/** MELD is imbalanced (neutral ≈ half): class-weighted loss and selection on macro F1 there. */
const CLASS_WEIGHTING = meld ? ('sqrt' as const) : ('none' as const)
const SELECT = meld ? ('macroF1' as const) : ('accuracy' as const)
const FUSION_OPTIONS: MethodFusionOptions = { rank: 4, tfnProjDim: 6, heads: 2, ganLambda: 0.1 }

const MISSING30 = 'missing-audio:0.3,missing-visual:0.3,missing-text:0.3'
/** Named conditions: what the training/validation and the test split go through. */
const PRESETS: Record<string, { train: string; test: string; about: string }> = {
  clean: { train: '', test: '', about: 'no change' },
  missing30: {
    train: MISSING30,
    test: MISSING30,
    about: 'text, audio and visual each absent in 30% of utterances (independent draws), train and test',
  },
  'noise-audio': {
    train: 'noise-audio:0',
    test: 'noise-audio:0',
    about: 'audio mixed with noise at 0 dB SNR (filterbank energies), train and test',
  },
  corrupt30: {
    train: 'swap-audio:0.3,swap-visual:0.3,swap-text:0.3',
    test: 'swap-audio:0.3,swap-visual:0.3,swap-text:0.3',
    about: "each modality replaced by another utterance's in 30% of utterances, train and test",
  },
  conflict: {
    train: 'conflict-visual:0.5',
    test: 'conflict-visual:0.5',
    about: 'visual stream from an utterance with another label in 50% of utterances, train and test',
  },
  shift: {
    train: '',
    test: `${MISSING30},noise-audio:0`,
    about: 'clean training and validation; test with missing30 and the remaining audio at 0 dB SNR',
  },
}
/** The MELD (text-only data) conditions: how absent and present-but-meaningless branches behave. */
const MELD_PRESETS: Record<string, { train: 'absent' | 'noise'; test: 'absent' | 'noise'; about: string }> = {
  absent: { train: 'absent', test: 'absent', about: 'no audio/visual features (branches masked)' },
  'noise-present': {
    train: 'noise',
    test: 'noise',
    about: 'random audio/visual features flagged present, train and test',
  },
  'noise-test': { train: 'absent', test: 'noise', about: 'absent in training, random features at test' },
}

interface ConditionPlan {
  meld?: undefined
  name: string
  train: CorpusCondition[]
  test: CorpusCondition[]
  about: string
}
type Plan = ConditionPlan | { meld: true; name: string; about: string }

function planCondition(name: string): ConditionPlan {
  const p = PRESETS[name]
  if (p) return { name, train: parseConditions([p.train]), test: parseConditions([p.test]), about: p.about }
  const testOnly = name.startsWith('test:')
  const spec = parseConditions([(testOnly ? name.slice(5) : name).replace(/\+/g, ',')])
  return {
    name,
    train: testOnly ? [] : spec,
    test: spec,
    about: `${spec.map(describeCondition).join(' + ')}${testOnly ? ' (test only)' : ', train and test'}`,
  }
}

/** The options a row's fusion module actually ran with (GAN-Fusion: every setting, defaults filled in). */
function describeOptions(f: FusionModule, o: MethodFusionOptions, latentDim: number): string {
  if (isGanFusion(f)) {
    const s = f.settings
    return `λ=${s.ganLambda} σ=${s.ganNoise} H=${s.ganHidden} G=${s.ganGeneratorLoss} real=${s.ganRealGrad} dSteps=${s.ganDSteps}`
  }
  switch (f.method) {
    case 'lmf':
      return `rank=${o.rank ?? 4}`
    case 'tfn':
      return `proj=${o.tfnProjDim ?? 8}`
    case 'attention':
      return `heads=${o.heads ?? 2}`
    case 'autofusion':
      return `hidden=${o.autoFusionHidden ?? Math.round((f.modalities.length * latentDim) / 2)}`
    default:
      return '-'
  }
}

function config(
  fusion: FusionMethod,
  modalities: Modality[],
  labels: string[],
  seed: number,
  extra: MethodFusionOptions = {},
): EmotionTrainConfig {
  return {
    ...DEFAULT_EMOTION_CONFIG,
    fusion,
    modalities,
    labels,
    latentDim: 32,
    fusedDim: 32,
    headHidden: 32,
    dropout: 0.1,
    modalityDropout: 0.1,
    fusionOptions: { ...FUSION_OPTIONS, ...extra },
    text: {
      ...DEFAULT_EMOTION_CONFIG.text,
      embDim: 32,
      hidden: 16,
      contextTurns: 0,
      pretrained: false,
      freezeEmbedding: false,
    },
    seqHidden: 16,
    maxFrames: { audio: 150, visual: 20 },
    seed,
  }
}

/** Stratified split: 70% train, 10% validation, 20% test (seeded). */
function split(
  ex: EmotionExample[],
  labels: string[],
  seed: number,
): { train: EmotionExample[]; val: EmotionExample[]; test: EmotionExample[] } {
  const rng = new Rng(seed * 31 + 7)
  const out = { train: [] as EmotionExample[], val: [] as EmotionExample[], test: [] as EmotionExample[] }
  for (const label of labels) {
    const list = rng.shuffle(ex.filter((e) => e.label === label))
    const nt = Math.round(list.length * 0.2)
    const nv = Math.round(list.length * 0.1)
    out.test.push(...list.slice(0, nt))
    out.val.push(...list.slice(nt, nt + nv))
    out.train.push(...list.slice(nt + nv))
  }
  return out
}

/** Random audio/visual features flagged present (MELD: present but carrying nothing). */
function noiseFeatures(e: EmotionExample, i: number, rng: Rng): EmotionExample {
  const ta = 60 + rng.int(90)
  const tv = 2 + rng.int(4)
  const a = Float32Array.from({ length: ta * AUDIO_DIM }, () => rng.normal() * 2 - 5)
  const v = Float32Array.from({ length: tv * VISUAL_DIM }, () => rng.next())
  const f: UtteranceFeatures = {
    utteranceId: `noise${i}`,
    start: 0,
    end: ta / 100,
    text: e.text,
    textPresent: e.text.length > 0,
    audio: { frames: ta, dims: AUDIO_DIM, seq: a, pooled: poolMeanStd(a, ta, AUDIO_DIM), present: true },
    visual: {
      frames: tv,
      dims: VISUAL_DIM,
      seq: v,
      pooled: poolMeanStd(v, tv, VISUAL_DIM),
      present: true,
      facePresent: true,
      times: Float32Array.from({ length: tv }, (_, k) => k),
    },
    extractorVersion: EXTRACTOR_VERSION,
  }
  return { ...e, features: f }
}

interface Run {
  name: string
  fusion: FusionMethod
  mods: Modality[]
  extra?: MethodFusionOptions
}

function runsFor(): Run[] {
  const all3: Modality[] = ['text', 'audio', 'visual']
  return [
    ...methods.map((m) => ({ name: m, fusion: m, mods: all3 })),
    ...(methods.includes('ganfusion')
      ? [
          { name: 'gan nonsat', extra: { ganGeneratorLoss: 'non-saturating' as const } },
          { name: 'gan realtrn', extra: { ganRealGrad: 'trained' as const } },
          {
            name: 'gan before',
            extra: { ganGeneratorLoss: 'non-saturating' as const, ganRealGrad: 'trained' as const },
          },
        ].map((r) => ({ ...r, fusion: 'ganfusion' as const, mods: all3 }))
      : []),
    { name: 'text only', fusion: 'concat', mods: ['text'] },
    ...(meld
      ? []
      : ([
          { name: 'audio only', fusion: 'concat', mods: ['audio'] },
          { name: 'visual only', fusion: 'concat', mods: ['visual'] },
        ] as Run[])),
  ]
}

async function loadExamples(): Promise<{ all: EmotionExample[]; labels: string[] }> {
  if (meld) {
    const file = findDataFile('meld', 'train_sent_emo.csv')
    if (!file) throw new Error(missingDataMessage('meld'))
    const corpus = readMeldCsv(file)
    const labelled = emotionExamples(corpus).filter((e) => e.text.length > 0)
    const sample = new Rng(corpusSeed).shuffle(labelled).slice(0, n)
    const labels = [...new Set(sample.map((e) => e.label!))].sort()
    // a class needs a test item: keep classes with at least 5 utterances
    const keep = labels.filter((l) => sample.filter((e) => e.label === l).length >= 5)
    return { all: sample.filter((e) => keep.includes(e.label!)), labels: keep }
  }
  if (!existsSync(path.join(corpusDir, 'manifest.json'))) {
    process.stderr.write(
      `generating the synthetic corpus (${n} utterances, seed ${corpusSeed}) in ${corpusDir} …\n`,
    )
    await generateSyntheticCorpus({
      out: corpusDir,
      n,
      seed: corpusSeed,
      onProgress: (f) => process.stderr.write(`\r  ${Math.round(f * 100)}%`),
    })
    process.stderr.write('\n')
  }
  const corpus = readCorpus(corpusDir)
  process.stderr.write(`extracting features (cached per file) for ${corpus.utterances.length} utterances …\n`)
  const tf0 = Date.now()
  // 0.5 frame/s (2-3 frames per 5 s utterance) is plenty for a brightness cue and keeps face detection cheap.
  const feats = await corpusFeatures(corpus, {
    fps: 0.5,
    onProgress: (f, stage) => process.stderr.write(`\r  ${Math.round(f * 100)}% ${stage}        `),
  })
  process.stderr.write(`\n  features in ${((Date.now() - tf0) / 1000).toFixed(1)} s\n`)
  return { all: emotionExamples(corpus, { features: feats }), labels: [...SYNTHETIC_LABELS] }
}

async function main(): Promise<void> {
  const { choice } = await getTf()
  const t0 = Date.now()
  if (!(seedCount >= 1) || !(epochs >= 1) || !(n >= 8))
    throw new Error(`--seeds and --epochs must be ≥ 1 and --n ≥ 8 (got ${seedCount}, ${epochs}, ${n})`)
  const plans: Plan[] = meld
    ? conditionNames.map((c) => {
        const p = MELD_PRESETS[c]
        if (!p)
          throw new Error(`--data meld: unknown condition '${c}' (${Object.keys(MELD_PRESETS).join(', ')})`)
        return { meld: true as const, name: c, about: p.about }
      })
    : conditionNames.map(planCondition)
  const { all, labels } = await loadExamples()
  const runs = runsFor()
  const sizes = split(all, labels, firstSeed)
  const header = [
    `bench:fusion — ${meld ? `MELD train text, a seeded sample of ${all.length} utterances (${labels.length} classes; no media)` : `synthetic ambiguity corpus ${corpusName} (${all.length} utterances)`}; split 70/10/20 stratified per seed (train ${sizes.train.length}, validation ${sizes.val.length}, test ${sizes.test.length}); backend ${choice.name}`,
    `seeds ${seeds.join(', ')} (a seed sets the split, the initialisation and the condition draws; the corpus is the same)`,
    `same for every method: encoders text BiGRU(emb 32, hidden 16), audio/visual GRU(16) → latent 32, fused 32, head 32, dropout 0.1, modality dropout 0.1; Adam lr ${LR}, batch ${BATCH}, at most ${epochs} epochs, early stop after ${PATIENCE} epochs without improvement; class weighting ${CLASS_WEIGHTING}; selection: the epoch with the best validation ${SELECT === 'accuracy' ? 'accuracy' : 'macro F1'} (validation under the training condition); metrics on the test split`,
    'conditions:',
    ...plans.map((p) =>
      !p.meld
        ? `  ${p.name}: ${p.about} [train: ${p.train.map(describeCondition).join(' ') || 'clean'}; test: ${p.test.map(describeCondition).join(' ') || 'clean'}]`
        : `  ${p.name}: ${p.about}`,
    ),
  ]
  process.stderr.write(header.join('\n') + '\n')

  // Conditions that train alike (clean and shift; MELD absent and noise-test) share their trained
  // models: training is deterministic per seed, so this equals training again, only faster.
  const trainingOf = (p: Plan) =>
    JSON.stringify(p.meld ? MELD_PRESETS[p.name]!.train : p.train.map(describeCondition))
  const usesLeft = new Map<string, number>()
  for (const p of plans) usesLeft.set(trainingOf(p), (usesLeft.get(trainingOf(p)) ?? 0) + 1)
  type Trained = { model: EmotionModel; res: TrainResult; cfg: EmotionTrainConfig }
  /** Per training: the models kept for later conditions, by method and seed. */
  const trained = new Map<string, Map<string, Trained>>()
  const cells: CellResult[] = []
  for (const plan of plans) {
    const training = trainingOf(plan)
    const keepForLater = usesLeft.get(training)! > 1
    const fingerprint = JSON.stringify({
      corpus: corpusName,
      n: all.length,
      epochs,
      batch: BATCH,
      lr: LR,
      patience: PATIENCE,
      ...(meld ? { classWeighting: CLASS_WEIGHTING, select: SELECT } : {}),
      condition: !plan.meld ? [plan.train, plan.test] : plan.name,
      v: 1,
    })
    const keys: CellKey[] = seeds.flatMap((seed) =>
      runs.map((r) => ({ method: r.name, condition: plan.name, seed })),
    )
    const prepared = new Map<
      number,
      { train: EmotionExample[]; val: EmotionExample[]; test: EmotionExample[] }
    >()
    const prepare = (seed: number) => {
      let p = prepared.get(seed)
      if (p) return p
      const s = split(all, labels, seed)
      if (!plan.meld) {
        const cs = (x: EmotionExample[], c: CorpusCondition[], k: number) =>
          applyConditions(x, c, seed * 3 + k)
        p = {
          train: cs(s.train, plan.train, 0),
          val: cs(s.val, plan.train, 1),
          test: cs(s.test, plan.test, 2),
        }
      } else {
        const m = MELD_PRESETS[plan.name]!
        const rng = new Rng(seed * 977 + 5)
        const as = (x: EmotionExample[], how: 'absent' | 'noise') =>
          how === 'absent'
            ? x.map((e) => ({ ...e, features: null }))
            : x.map((e, i) => noiseFeatures(e, i, rng))
        p = { train: as(s.train, m.train), val: as(s.val, m.train), test: as(s.test, m.test) }
      }
      prepared.set(seed, p)
      return p
    }
    const got = await runCells(
      outDir,
      keys,
      fingerprint,
      async (k) => {
        const r = runs.find((x) => x.name === k.method)!
        const { train, val, test } = prepare(k.seed)
        const memo = `${k.method}/${k.seed}`
        let t = trained.get(training)?.get(memo)
        if (!t) {
          const cfg = config(r.fusion, r.mods, labels, k.seed, r.extra)
          const { model } = await buildEmotionModel(cfg, train)
          try {
            const res = await trainClassifier(model, train, val, {
              epochs,
              batchSize: BATCH,
              lr: LR,
              seed: k.seed,
              patience: PATIENCE,
              metric: SELECT,
              classWeighting: CLASS_WEIGHTING,
              lengthOf: (e) => e.text.length,
            })
            t = { model, res, cfg }
          } catch (e) {
            model.dispose()
            throw e
          }
          if (keepForLater) {
            if (!trained.has(training)) trained.set(training, new Map())
            trained.get(training)!.set(memo, t)
          }
        }
        try {
          const rep = evaluateClassifier(t.model, test)
          return {
            accuracy: rep.accuracy,
            macroF1: rep.macroF1,
            params: t.model.parameterCount(),
            trainSec: t.res.trainSec,
            epochs: t.res.epochsRun,
            bestEpoch: t.res.bestEpoch,
            options: describeOptions(t.model.fusion, t.cfg.fusionOptions, t.cfg.latentDim),
          }
        } finally {
          if (!keepForLater) t.model.dispose()
        }
      },
      (c, reused) =>
        process.stderr.write(
          `  ${c.condition.padEnd(12)} seed ${c.seed}  ${c.method.padEnd(12)} test acc ${c.accuracy.toFixed(3)} F1 ${c.macroF1.toFixed(3)} (best val epoch ${c.bestEpoch}/${c.epochs}, ${c.trainSec.toFixed(1)} s)${reused ? ' [stored]' : ''}\n`,
        ),
    )
    cells.push(...got)
    usesLeft.set(training, usesLeft.get(training)! - 1)
    if (usesLeft.get(training) === 0) {
      for (const t of trained.get(training)?.values() ?? []) t.model.dispose()
      trained.delete(training)
    }
  }

  const names = runs.map((r) => r.name)
  const conds = plans.map((p) => p.name)
  const agg = aggregate(cells, names, conds)
  const title = `${meld ? 'MELD text (no media)' : 'Synthetic ambiguity corpus'}: test accuracy, mean ± std over ${seeds.length} seed(s)`
  const options = runs.map((r) => {
    const c = cells.find((x) => x.method === r.name)
    return `  ${r.name}: ${c?.options ?? '-'}`
  })
  const files = writeOutputs(outDir, agg, names, conds, [...header, 'fusion options:', ...options], title)
  const lines = [
    ...header,
    '',
    ...readTable(files.table),
    '',
    `table ${files.table}`,
    `csv   ${files.csv}`,
    `chart ${files.svg}`,
    `cells ${path.join(outDir, 'cells')} (rerun the same command to continue or reuse)`,
  ]
  const checks: [string, boolean][] = []
  if (!meld && conds.includes('clean')) {
    const acc = (m: string) => agg.find((a) => a.method === m && a.condition === 'clean')?.accMean
    for (const m of ['autofusion', 'ganfusion']) {
      const a = acc(m)
      if (a !== undefined) checks.push([`${m} clean test accuracy ${a.toFixed(3)} ≥ 0.90`, a >= 0.9])
    }
    for (const m of ['text only', 'audio only', 'visual only']) {
      const a = acc(m)
      if (a !== undefined) checks.push([`${m} clean test accuracy ${a.toFixed(3)} ≤ 0.60`, a <= 0.6])
    }
  }
  lines.push(
    ...checks.map(([s, ok]) => `${ok ? 'PASS' : 'FAIL'}  ${s}`),
    `total ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  )
  process.stdout.write(lines.join('\n') + '\n')
  if (checks.some(([, ok]) => !ok)) process.exitCode = 1
}

function readTable(file: string): string[] {
  const text = readFileSync(file, 'utf8').trimEnd().split('\n')
  return text.slice(text.indexOf('') + 1)
}

main().catch((err) => {
  process.stderr.write(`bench:fusion: ${(err as Error).message}\n`)
  process.exit(1)
})
