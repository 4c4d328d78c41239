/**
 * Translation commands: `fws train translation`, `fws eval translation` (registered on the
 * train/eval groups of train.ts / eval.ts) and `fws translate` (stdin lines → stdout lines, in
 * order). Owns argument parsing only; the work is in engine/models/translation.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { Command } from 'commander'
import { evaluateTranslation, loadTranslationModel } from '../../engine/models/translation'
import { readParallel, resolveTextPath } from '../../engine/models/translation/data'
import { averageTranslationSnapshots } from '../../engine/models/translation/average'
import { trainTranslation } from '../../engine/models/translation/train'
import { startGradientWorkers } from '../../engine/jobs/gradient-workers'
import { DEFAULT_TRANSLATION_CONFIG } from '../../engine/models/translation/model'
import { abortOnStopSignals, CliError, printJson, SIGNAL_EXIT } from '../output'
import {
  addNumberOptions,
  parseNumber,
  parseOptionalNumber,
  readNumberOptions,
  type NumberOptionTable,
} from '../number-options'
import { addGanOptions, fusionOptionsFromCli, type GanCliOptions } from '../fusion-options'
import { parseFusionMethod } from '../../engine/fusion'

/** The numeric options of `fws train translation`, in the order --help lists them. */
const TRAIN_NUMBERS = {
  vocabSize: { flag: '--vocab-size <n>', help: 'joint BPE vocabulary size', default: '8000', int: true },
  batchTokens: {
    flag: '--batch-tokens <n>',
    help: 'max rows × padded length per batch',
    default: '1200',
    int: true,
  },
  lr: {
    flag: '--lr <x>',
    help: 'peak learning rate (Adam, warmup then inverse square root)',
    default: '0.001',
  },
  warmup: { flag: '--warmup <n>', help: 'warmup steps', default: '400', int: true },
  epochs: { flag: '--epochs <n>', help: 'maximum epochs', default: '40', int: true },
  maxSteps: { flag: '--max-steps <n>', help: 'stop after this many steps (total)', int: true },
  maxMinutes: { flag: '--max-minutes <n>', help: 'stop (state saved) after this many minutes of this run' },
  checkpointEvery: {
    flag: '--checkpoint-every <n>',
    help: 'save the resumable state every N steps',
    default: '100',
    int: true,
  },
  validateEvery: {
    flag: '--validate-every <n>',
    help: 'validation BLEU every N steps (0 = each epoch)',
    default: '300',
    int: true,
  },
  valLimit: {
    flag: '--val-limit <n>',
    help: 'validation sentences used for selection (0 = all)',
    default: '500',
    int: true,
  },
  dModel: { flag: '--d-model <n>', help: 'model width', default: '128', int: true },
  latent: {
    flag: '--latent <n>',
    help: 'size of each modality latent and of the fused vector (default 128)',
    int: true,
  },
  layers: { flag: '--layers <n>', help: 'encoder and decoder layers', default: '4', int: true },
  ff: { flag: '--ff <n>', help: 'feed-forward width', default: '512', int: true },
  dropout: { flag: '--dropout <x>', help: 'dropout', default: '0.1' },
  workers: {
    flag: '--workers <n>',
    help: 'extra gradient worker threads (data parallel)',
    default: '0',
    int: true,
  },
  seed: { flag: '--seed <n>', help: 'random seed', default: '1', int: true },
  patience: {
    flag: '--patience <n>',
    help: 'stop after N validations without a new best',
    default: '8',
    int: true,
  },
  snapshotEvery: {
    flag: '--snapshot-every <n>',
    help: 'also keep the weights every N steps in <train-dir>/snapshots (0 = never)',
    default: '0',
    int: true,
  },
  keepSnapshots: {
    flag: '--keep-snapshots <n>',
    help: 'how many snapshots to keep',
    default: '10',
    int: true,
  },
} as const satisfies NumberOptionTable

interface TrainTranslationCli extends GanCliOptions, Partial<Record<keyof typeof TRAIN_NUMBERS, string>> {
  trainSrc: string
  trainTgt: string
  valSrc: string
  valTgt: string
  out: string
  fusion: string
  resume?: boolean
  log?: string
  trainDir?: string
}

export function registerTrainTranslation(train: Command): void {
  const cmd = train.command('translation')
  addGanOptions(cmd)
  cmd
    .description(
      'train the En→De (or any pair) Transformer translator, with any fusion of the text/audio/visual latents, on parallel text',
    )
    .option('--train-src <file>', 'training source sentences (Multi30K name or path, .gz ok)', 'train.en')
    .option('--train-tgt <file>', 'training target sentences', 'train.de')
    .option('--val-src <file>', 'validation source sentences (model selection)', 'val.en')
    .option('--val-tgt <file>', 'validation target sentences', 'val.de')
    .requiredOption('--out <dir>', 'model folder: the best model (model files only)')
    .option(
      '--train-dir <dir>',
      "the run's training folder: resumable state (state/), snapshots, STOP file (default <out>.training)",
    )
    .option(
      '--fusion <method>',
      'fusion of the text/audio/visual latents: concat | tfn | lmf | attention | autofusion | ganfusion',
      'autofusion',
    )
    .option('--resume', 'continue the training state in <train-dir>/state')
  addNumberOptions(cmd, TRAIN_NUMBERS)
    .option('--log <file>', 'append progress lines to this file')
    .action(async (o: TrainTranslationCli) => {
      let fusion
      try {
        fusion = parseFusionMethod(o.fusion)
      } catch (err) {
        throw new CliError(`--fusion: ${(err as Error).message}`)
      }
      const n = readNumberOptions(o, TRAIN_NUMBERS)
      const fusionOptions = fusionOptionsFromCli(fusion, o, n.latent ?? DEFAULT_TRANSLATION_CONFIG.latentDim)
      if (o.log) mkdirSync(path.dirname(path.resolve(o.log)), { recursive: true })
      const log = (line: string): void => {
        const s = `${new Date().toISOString()} ${line}`
        process.stderr.write(s + '\n')
        if (o.log) appendFileSync(o.log, s + '\n')
      }
      const stop = abortOnStopSignals((sig) =>
        log(`${sig}: stopping after the current step (state saved; rerun with --resume)`),
      )
      try {
        const r = await trainTranslation({
          trainSrc: o.trainSrc,
          trainTgt: o.trainTgt,
          valSrc: o.valSrc,
          valTgt: o.valTgt,
          out: o.out,
          ...(o.trainDir ? { trainDir: o.trainDir } : {}),
          gradientWorkers: startGradientWorkers,
          resume: o.resume,
          vocabSize: n.vocabSize,
          batchTokens: n.batchTokens,
          peakLr: n.lr,
          warmupSteps: n.warmup,
          maxEpochs: n.epochs,
          maxSteps: n.maxSteps,
          maxMinutes: n.maxMinutes,
          checkpointEvery: n.checkpointEvery,
          validateEvery: n.validateEvery,
          valLimit: n.valLimit,
          workers: n.workers,
          patience: n.patience,
          snapshotEvery: n.snapshotEvery,
          keepSnapshots: n.keepSnapshots,
          model: {
            dModel: n.dModel,
            encLayers: n.layers,
            decLayers: n.layers,
            ffDim: n.ff,
            dropout: n.dropout,
            ...(n.latent !== undefined ? { latentDim: n.latent, fusedDim: n.latent } : {}),
            fusion,
            fusionOptions,
          },
          seed: n.seed,
          command: `fws train translation ${process.argv.slice(4).join(' ')}`,
          signal: stop.abortSignal,
          onProgress: (p) => log(`[${p.stage}] ${p.message}`),
        })
        printJson({ out: o.out, bestValBleu: r.bestValBleu, steps: r.steps, history: r.history })
        // Stopped by a signal: the state is saved; the exit code says the run did not finish.
        const sig = stop.signal()
        if (sig) process.exitCode = SIGNAL_EXIT[sig]
      } finally {
        stop.off()
      }
    })
}

export function registerEvalTranslation(evalCmd: Command): void {
  evalCmd
    .command('translation')
    .description('corpus BLEU (sacreBLEU 13a) and chrF of a translation model on parallel text')
    .requiredOption('--model <dir>', 'translation model folder')
    .requiredOption(
      '--src <file>',
      'source sentences (path, or a Multi30K name like test_2016_flickr.en; .gz ok)',
    )
    .requiredOption('--ref <file>', 'raw reference translations, one per line')
    .option('--beam <n>', "beam width, 1 = greedy (default: the model's, else 5)")
    .option('--length-penalty <x>', "GNMT length penalty α (default: the model's, else 0.6)")
    .option('--limit <n>', 'only the first N sentences')
    .option('--hyp-out <file>', 'also write the detokenised hypotheses here')
    .option('--json', 'print JSON {bleu, chrf, n, ...}')
    .action(
      async (o: {
        model: string
        src: string
        ref: string
        beam?: string
        lengthPenalty?: string
        limit?: string
        hypOut?: string
        json?: boolean
      }) => {
        const m = await loadTranslationModel(o.model)
        try {
          let { src, tgt: ref } = readParallel(resolveTextPath(o.src), resolveTextPath(o.ref))
          const limit = parseOptionalNumber(o.limit, 'limit', true)
          if (limit !== undefined) {
            src = src.slice(0, limit)
            ref = ref.slice(0, limit)
          }
          const { result, hypotheses } = await evaluateTranslation(m, src, ref, {
            beam: parseOptionalNumber(o.beam, 'beam', true),
            lengthPenalty: parseOptionalNumber(o.lengthPenalty, 'length-penalty'),
            onProgress: o.json ? undefined : (d, t) => process.stderr.write(`\rtranslated ${d}/${t}`),
          })
          if (o.hypOut) {
            mkdirSync(path.dirname(path.resolve(o.hypOut)), { recursive: true })
            writeFileSync(o.hypOut, hypotheses.join('\n') + '\n')
          }
          const summary = { model: o.model, version: m.manifest.version, src: o.src, ref: o.ref, ...result }
          if (o.json) printJson(summary)
          else
            process.stdout.write(
              `\nBLEU ${result.bleu.toFixed(2)}  chrF ${result.chrf.toFixed(2)}  (${result.n} sentences, beam ${result.beam}, ${result.msPerSentence.toFixed(0)} ms/sentence)\n${result.bleuSignature}\n`,
            )
        } finally {
          m.dispose()
        }
      },
    )
}

export function registerTranslate(program: Command): void {
  program
    .command('translate')
    .description('translate stdin lines to stdout, in order (one sentence per line)')
    .requiredOption('--model <dir>', 'translation model folder')
    .option('--beam <n>', "beam width, 1 = greedy (default: the model's, else 5)")
    .option('--length-penalty <x>', "GNMT length penalty α (default: the model's, else 0.6)")
    .action(async (o: { model: string; beam?: string; lengthPenalty?: string }) => {
      const m = await loadTranslationModel(o.model)
      try {
        const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
        const batch: string[] = []
        const flush = async (): Promise<void> => {
          if (!batch.length) return
          const out = await m.translate(batch.splice(0), {
            beam: parseOptionalNumber(o.beam, 'beam', true),
            lengthPenalty: parseOptionalNumber(o.lengthPenalty, 'length-penalty'),
          })
          process.stdout.write(out.map((s) => s + '\n').join(''))
        }
        for await (const line of rl) {
          batch.push(line)
          if (batch.length >= 32) await flush()
        }
        await flush()
      } finally {
        m.dispose()
      }
    })
}

export function registerAverageCheckpoints(program: Command): void {
  program
    .command('average-checkpoints')
    .description(
      'write a translation model whose weights are the mean of the last N training snapshots (checkpoint averaging)',
    )
    .requiredOption('--model <dir>', 'model folder of the run (manifest and vocabulary come from it)')
    .option('--snapshots <dir>', 'snapshot folder (default: <model>.training/snapshots)')
    .requiredOption('--last <n>', 'average the newest N snapshots')
    .option('--up-to-step <n>', 'ignore snapshots after this step')
    .requiredOption('--out <dir>', 'folder to write the averaged model to')
    .option('--json', 'print JSON {out, steps}')
    .action(
      async (o: {
        model: string
        snapshots?: string
        last: string
        upToStep?: string
        out: string
        json?: boolean
      }) => {
        const r = await averageTranslationSnapshots({
          model: o.model,
          snapshots: o.snapshots,
          last: parseNumber(o.last, 'last', true),
          upToStep: parseOptionalNumber(o.upToStep, 'up-to-step', true),
          out: o.out,
        })
        if (o.json) printJson(r)
        else process.stdout.write(`averaged steps ${r.steps.join(', ')} → ${r.out}\n`)
      },
    )
}
