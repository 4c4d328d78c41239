/**
 * Translation commands: `fws train translation`, `fws eval translation` (registered on the
 * train/eval groups of train.ts / eval.ts) and `fws translate` (stdin lines → stdout lines, in
 * order). Owns argument parsing only; the work is in engine/models/translation.
 */
import { appendFileSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { Command } from 'commander'
import { evaluateTranslation, loadTranslationModel } from '../../engine/models/translation'
import { readParallel, resolveTextPath } from '../../engine/models/translation/data'
import { averageTranslationSnapshots } from '../../engine/models/translation/average'
import { trainTranslation } from '../../engine/models/translation/train'
import { startGradientWorkers } from '../../engine/jobs/gradient-workers'
import { DEFAULT_TRANSLATION_CONFIG } from '../../engine/models/translation/model'
import { CliError, printJson, onStopSignals, SIGNAL_EXIT } from '../output'
import { addGanOptions, fusionOptionsFromCli, type GanCliOptions } from '../fusion-options'
import { parseFusionMethod } from '../../engine/fusion'

function num(v: string | undefined, name: string, int = false): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n) || (int && !Number.isInteger(n)))
    throw new CliError(`--${name} must be ${int ? 'an integer' : 'a number'}, got '${v}'`)
  return n
}

interface TrainTranslationCli extends GanCliOptions {
  trainSrc: string
  trainTgt: string
  valSrc: string
  valTgt: string
  out: string
  fusion: string
  resume?: boolean
  vocabSize: string
  batchTokens: string
  lr: string
  warmup: string
  epochs: string
  maxSteps?: string
  maxMinutes?: string
  checkpointEvery: string
  validateEvery: string
  valLimit: string
  dModel: string
  latent?: string
  layers: string
  ff: string
  dropout: string
  workers: string
  seed: string
  patience: string
  snapshotEvery: string
  keepSnapshots: string
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
    .option('--vocab-size <n>', 'joint BPE vocabulary size', '8000')
    .option('--batch-tokens <n>', 'max rows × padded length per batch', '1200')
    .option('--lr <x>', 'peak learning rate (Adam, warmup then inverse square root)', '0.001')
    .option('--warmup <n>', 'warmup steps', '400')
    .option('--epochs <n>', 'maximum epochs', '40')
    .option('--max-steps <n>', 'stop after this many steps (total)')
    .option('--max-minutes <n>', 'stop (state saved) after this many minutes of this run')
    .option('--checkpoint-every <n>', 'save the resumable state every N steps', '100')
    .option('--validate-every <n>', 'validation BLEU every N steps (0 = each epoch)', '300')
    .option('--val-limit <n>', 'validation sentences used for selection (0 = all)', '500')
    .option('--d-model <n>', 'model width', '128')
    .option('--latent <n>', 'size of each modality latent and of the fused vector (default 128)')
    .option('--layers <n>', 'encoder and decoder layers', '4')
    .option('--ff <n>', 'feed-forward width', '512')
    .option('--dropout <x>', 'dropout', '0.1')
    .option('--workers <n>', 'extra gradient worker threads (data parallel)', '0')
    .option('--seed <n>', 'random seed', '1')
    .option('--patience <n>', 'stop after N validations without a new best', '8')
    .option(
      '--snapshot-every <n>',
      'also keep the weights every N steps in <train-dir>/snapshots (0 = never)',
      '0',
    )
    .option('--keep-snapshots <n>', 'how many snapshots to keep', '10')
    .option('--log <file>', 'append progress lines to this file')
    .action(async (o: TrainTranslationCli) => {
      let fusion
      try {
        fusion = parseFusionMethod(o.fusion)
      } catch (err) {
        throw new CliError(`--fusion: ${(err as Error).message}`)
      }
      const latent = num(o.latent, 'latent', true)
      const fusionOptions = fusionOptionsFromCli(fusion, o, latent ?? DEFAULT_TRANSLATION_CONFIG.latentDim)
      if (o.log) mkdirSync(path.dirname(path.resolve(o.log)), { recursive: true })
      const log = (line: string): void => {
        const s = `${new Date().toISOString()} ${line}`
        process.stderr.write(s + '\n')
        if (o.log) appendFileSync(o.log, s + '\n')
      }
      const ac = new AbortController()
      const stop = onStopSignals((sig) => {
        log(`${sig}: stopping after the current step (state saved; rerun with --resume)`)
        ac.abort()
      })
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
          vocabSize: num(o.vocabSize, 'vocab-size', true),
          batchTokens: num(o.batchTokens, 'batch-tokens', true),
          peakLr: num(o.lr, 'lr'),
          warmupSteps: num(o.warmup, 'warmup', true),
          maxEpochs: num(o.epochs, 'epochs', true),
          maxSteps: num(o.maxSteps, 'max-steps', true),
          maxMinutes: num(o.maxMinutes, 'max-minutes'),
          checkpointEvery: num(o.checkpointEvery, 'checkpoint-every', true),
          validateEvery: num(o.validateEvery, 'validate-every', true),
          valLimit: num(o.valLimit, 'val-limit', true),
          workers: num(o.workers, 'workers', true),
          patience: num(o.patience, 'patience', true),
          snapshotEvery: num(o.snapshotEvery, 'snapshot-every', true),
          keepSnapshots: num(o.keepSnapshots, 'keep-snapshots', true),
          model: {
            dModel: num(o.dModel, 'd-model', true),
            encLayers: num(o.layers, 'layers', true),
            decLayers: num(o.layers, 'layers', true),
            ffDim: num(o.ff, 'ff', true),
            dropout: num(o.dropout, 'dropout'),
            ...(latent !== undefined ? { latentDim: latent, fusedDim: latent } : {}),
            fusion,
            fusionOptions,
          },
          seed: num(o.seed, 'seed', true),
          command: `fws train translation ${process.argv.slice(4).join(' ')}`,
          signal: ac.signal,
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
          const limit = num(o.limit, 'limit', true)
          if (limit !== undefined) {
            src = src.slice(0, limit)
            ref = ref.slice(0, limit)
          }
          const { result, hypotheses } = await evaluateTranslation(m, src, ref, {
            beam: num(o.beam, 'beam', true),
            lengthPenalty: num(o.lengthPenalty, 'length-penalty'),
            onProgress: o.json ? undefined : (d, t) => process.stderr.write(`\rtranslated ${d}/${t}`),
          })
          if (o.hypOut) {
            mkdirSync(path.dirname(path.resolve(o.hypOut)), { recursive: true })
            appendFileSync(o.hypOut, '', { flag: 'w' })
            appendFileSync(o.hypOut, hypotheses.join('\n') + '\n')
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
            beam: num(o.beam, 'beam', true),
            lengthPenalty: num(o.lengthPenalty, 'length-penalty'),
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
          last: num(o.last, 'last', true)!,
          upToStep: num(o.upToStep, 'up-to-step', true),
          out: o.out,
        })
        if (o.json) printJson(r)
        else process.stdout.write(`averaged steps ${r.steps.join(', ')} → ${r.out}\n`)
      },
    )
}
