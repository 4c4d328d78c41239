/**
 * `npm run bench:fusion`: trains every fusion method, and each single modality, on the synthetic
 * ambiguity corpus (label = text valence × speech arousal; video brightness a 75% valence cue),
 * with features extracted through the real pipeline (ffmpeg decode → fbank+pitch, sampled frames
 * → visual descriptors; cached), and prints: method, test accuracy, macro F1, parameters, train
 * time, inference ms per utterance, with time ratios against early concatenation measured in the
 * same run. Acceptance: AutoFusion and GAN-Fusion ≥ 90% test accuracy, every single modality ≤ 60%.
 * With ganfusion among the methods, GAN-Fusion's variants get rows too (non-saturating generator
 * loss, real sample trained by D's loss, and both: the behaviour before the method's defaults),
 * and every row prints the fusion options it ran with.
 *
 *   npm run bench:fusion -- [--corpus DIR] [--n 400] [--seed 1] [--epochs 30] [--methods a,b]
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { getTf } from '../src-main/engine/backend'
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
import { readCorpus } from '../src-main/engine/models/corpus'
import { corpusFeatures } from '../src-main/engine/models/corpus-features'
import {
  buildEmotionModel,
  DEFAULT_EMOTION_CONFIG,
  emotionExamples,
  type EmotionTrainConfig,
} from '../src-main/engine/models/emotion'
import type { EmotionExample } from '../src-main/engine/models/emotion-model'
import { evaluateClassifier, trainClassifier } from '../src-main/engine/models/trainer'
import { generateSyntheticCorpus, SYNTHETIC_LABELS } from '../scripts/corpus-synthetic'

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def
}

const n = Number(arg('--n', '400'))
const seed = Number(arg('--seed', '1'))
const epochs = Number(arg('--epochs', '30'))
const corpusDir = arg('--corpus', path.join(cacheDir(), 'bench', `synthetic-v2-n${n}-seed${seed}`))
const methods = arg('--methods', FUSION_METHODS.join(',')).split(',') as FusionMethod[]

const FUSION_OPTIONS: MethodFusionOptions = { rank: 4, tfnProjDim: 6, heads: 2, ganLambda: 0.1 }

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
  extra: MethodFusionOptions = {},
): EmotionTrainConfig {
  return {
    ...DEFAULT_EMOTION_CONFIG,
    fusion,
    modalities,
    labels: [...SYNTHETIC_LABELS],
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
function split(ex: EmotionExample[]): {
  train: EmotionExample[]
  val: EmotionExample[]
  test: EmotionExample[]
} {
  const rng = new Rng(seed * 31 + 7)
  const out = { train: [] as EmotionExample[], val: [] as EmotionExample[], test: [] as EmotionExample[] }
  for (const label of SYNTHETIC_LABELS) {
    const list = rng.shuffle(ex.filter((e) => e.label === label))
    const nt = Math.round(list.length * 0.2)
    const nv = Math.round(list.length * 0.1)
    out.test.push(...list.slice(0, nt))
    out.val.push(...list.slice(nt, nt + nv))
    out.train.push(...list.slice(nt + nv))
  }
  return out
}

interface Row {
  name: string
  accuracy: number
  macroF1: number
  params: number
  trainSec: number
  msPerUtt: number
  epochs: number
  options: string
}

async function main(): Promise<void> {
  const { choice } = await getTf()
  const t0 = Date.now()
  if (!existsSync(path.join(corpusDir, 'manifest.json'))) {
    process.stderr.write(
      `generating the synthetic corpus (${n} utterances, seed ${seed}) in ${corpusDir} …\n`,
    )
    await generateSyntheticCorpus({
      out: corpusDir,
      n,
      seed,
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
  const all = emotionExamples(corpus, { features: feats })
  const { train, val, test } = split(all)
  process.stderr.write(
    `train ${train.length}, validation ${val.length}, test ${test.length} (backend ${choice.name})\n`,
  )

  const all3: Modality[] = ['text', 'audio', 'visual']
  const runs: { name: string; fusion: FusionMethod; mods: Modality[]; extra?: MethodFusionOptions }[] = [
    ...methods.map((m) => ({ name: m, fusion: m, mods: all3 })),
    ...(methods.includes('ganfusion')
      ? [
          {
            name: 'gan nonsat',
            fusion: 'ganfusion' as const,
            mods: all3,
            extra: { ganGeneratorLoss: 'non-saturating' as const },
          },
          {
            name: 'gan realtrn',
            fusion: 'ganfusion' as const,
            mods: all3,
            extra: { ganRealGrad: 'trained' as const },
          },
          {
            name: 'gan before',
            fusion: 'ganfusion' as const,
            mods: all3,
            extra: { ganGeneratorLoss: 'non-saturating' as const, ganRealGrad: 'trained' as const },
          },
        ]
      : []),
    { name: 'text only', fusion: 'concat', mods: ['text'] },
    { name: 'audio only', fusion: 'concat', mods: ['audio'] },
    { name: 'visual only', fusion: 'concat', mods: ['visual'] },
  ]
  const rows: Row[] = []
  for (const r of runs) {
    const cfg = config(r.fusion, r.mods, r.extra)
    const { model } = await buildEmotionModel(cfg, train)
    const ts = Date.now()
    const res = await trainClassifier(model, train, val, {
      epochs,
      batchSize: 16,
      lr: 0.005,
      seed,
      patience: 8,
      metric: 'accuracy',
      lengthOf: (e) => e.text.length,
    })
    const trainSec = (Date.now() - ts) / 1000
    const ti = Date.now()
    const rep = evaluateClassifier(model, test)
    const msPerUtt = (Date.now() - ti) / test.length
    rows.push({
      name: r.name,
      accuracy: rep.accuracy,
      macroF1: rep.macroF1,
      params: model.parameterCount(),
      trainSec,
      msPerUtt,
      epochs: res.epochsRun,
      options: describeOptions(model.fusion, cfg.fusionOptions, cfg.latentDim),
    })
    process.stderr.write(
      `  ${r.name.padEnd(12)} test acc ${rep.accuracy.toFixed(3)} (best val epoch ${res.bestEpoch}/${res.epochsRun}, ${trainSec.toFixed(1)} s)\n`,
    )
    model.dispose()
  }

  const base = rows.find((r) => r.name === 'concat') ?? rows[0]!
  const lines = [
    `bench:fusion — synthetic ambiguity corpus ${path.basename(corpusDir)} (${all.length} utterances; test ${test.length}), backend ${choice.name}, seed ${seed}`,
    'method        test acc  macro F1   params  train s  (× concat)  infer ms/utt  (× concat)  epochs  options',
    ...rows.map(
      (r) =>
        `${r.name.padEnd(12)}  ${r.accuracy.toFixed(3).padStart(8)}  ${r.macroF1.toFixed(3).padStart(8)}  ${String(r.params).padStart(7)}  ${r.trainSec.toFixed(1).padStart(7)}  ${(r.trainSec / base.trainSec).toFixed(2).padStart(10)}  ${r.msPerUtt.toFixed(2).padStart(12)}  ${(r.msPerUtt / base.msPerUtt).toFixed(2).padStart(10)}  ${String(r.epochs).padStart(6)}  ${r.options}`,
    ),
  ]
  const checks: [string, boolean][] = []
  for (const m of ['autofusion', 'ganfusion']) {
    const r = rows.find((x) => x.name === m)
    if (r) checks.push([`${m} test accuracy ${r.accuracy.toFixed(3)} ≥ 0.90`, r.accuracy >= 0.9])
  }
  for (const m of ['text only', 'audio only', 'visual only']) {
    const r = rows.find((x) => x.name === m)!
    checks.push([`${m} test accuracy ${r.accuracy.toFixed(3)} ≤ 0.60`, r.accuracy <= 0.6])
  }
  lines.push(
    '',
    ...checks.map(([s, ok]) => `${ok ? 'PASS' : 'FAIL'}  ${s}`),
    `total ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  )
  process.stdout.write(lines.join('\n') + '\n')
  if (checks.some(([, ok]) => !ok)) process.exitCode = 1
}

main().catch((err) => {
  process.stderr.write(`bench:fusion: ${(err as Error).stack ?? err}\n`)
  process.exit(1)
})
