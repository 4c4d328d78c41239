/**
 * `fws finetune --base MODEL_DIR --data CORPUS_DIR --out MODEL_DIR`: fine-tunes an emotion model
 * on the corrected labels of a corpus (e.g. `fws export P --format corpus --only-corrected`), or a
 * translation model on its corrected translations, holding out a split, and prints the held-out
 * metrics before and after (weighted/macro F1 and accuracy; BLEU and chrF). The new model folder's
 * manifest names its parent (base name@version and the weights' checksum).
 */
import type { Command } from 'commander'
import { finetuneFromCorpus } from '../../engine/jobs/finetune'
import { addCorpusPathOptions, corpusReadOptions, type CorpusPathCliOptions } from '../corpus-options'
import { parseNumber, parseOptionalNumber } from '../number-options'
import { abortOnStopSignals, cancelledError, CliError, printJson } from '../output'

interface FinetuneCliOptions extends CorpusPathCliOptions {
  base: string
  data: string
  out: string
  heldOut: string
  epochs?: string
  lr?: string
  seed: string
  allLabels?: boolean
  version?: string
  json?: boolean
}

export function registerFinetune(program: Command): void {
  const cmd = program
    .command('finetune')
    .description(
      'fine-tune an emotion model on corrected labels, or a translation model on corrected translations; prints held-out metrics (F1 / BLEU, chrF) before and after',
    )
    .requiredOption('--base <dir>', 'the emotion or translation model folder to start from')
    .requiredOption('--data <dir>', 'corpus folder with the corrections (or a MELD .csv)')
    .requiredOption('--out <dir>', 'folder for the new model version')
    .option(
      '--held-out <fraction>',
      'fraction of the corrections held out for the before/after metrics',
      '0.2',
    )
    .option(
      '--epochs <n>',
      'emotion: maximum epochs (early stopping on the held-out weighted F1), default 10; translation: epochs (the held-out part only measures), default 5',
    )
    .option('--lr <x>', 'learning rate (default: emotion 0.0003, translation 0.0001)')
    .option('--seed <n>', 'seed of the held-out split and training', '1')
    .option(
      '--all-labels',
      'also learn from labels that are model predictions (default: corrected/accepted only)',
    )
    .option('--version <v>', 'version of the new model (default: base version + .ft<timestamp>)')
    .option('--json', 'print the result as JSON')
  addCorpusPathOptions(cmd).action(async (o: FinetuneCliOptions) => {
    const corpusPaths = corpusReadOptions(o)
    // A bad value is a usage error: exit code 2.
    const heldOut = parseNumber(o.heldOut, 'held-out', false, 2)
    if (!(heldOut >= 0.05 && heldOut <= 0.5)) throw new CliError('--held-out must be between 0.05 and 0.5', 2)
    const stop = abortOnStopSignals((sig) =>
      process.stderr.write(
        `${sig}: stopping after the current batch (nothing is written to --out; the base model is unchanged)\n`,
      ),
    )
    try {
      const res = await finetuneFromCorpus({
        base: o.base,
        data: o.data,
        out: o.out,
        labels: o.allLabels ? 'all' : 'human',
        corpusPaths,
        heldOutFraction: heldOut,
        epochs: parseOptionalNumber(o.epochs, 'epochs', true, 2),
        lr: parseOptionalNumber(o.lr, 'lr', false, 2),
        seed: parseNumber(o.seed, 'seed', true, 2),
        version: o.version,
        signal: stop.abortSignal,
        log: (s) => process.stderr.write(`${s}\n`),
      })
      const parent = res.manifest.parent
      const parentTag = parent ? `${parent.name}@${parent.version}` : 'none'
      if (o.json)
        printJson({
          task: res.task,
          out: res.out,
          name: res.manifest.name,
          version: res.manifest.version,
          parent,
          trainCount: res.trainCount,
          ...(res.task === 'emotion' ? { devCount: res.devCount } : {}),
          heldOutCount: res.heldOutCount,
          before: res.before,
          after: res.after,
          ...(res.task === 'translation' ? { losses: res.losses } : {}),
        })
      else if (res.task === 'translation')
        process.stdout.write(
          `new model ${res.manifest.name}@${res.manifest.version} (parent ${parentTag}) in ${res.out}\n` +
            `${res.used} corrected translations: ${res.trainCount} trained on, ${res.heldOutCount} held out\n` +
            `held-out   before   after\n` +
            (['bleu', 'chrf'] as const)
              .map(
                (k) =>
                  `${k === 'bleu' ? 'BLEU' : 'chrF'}      ${res.before[k].toFixed(2).padStart(6)}  ${res.after[k].toFixed(2).padStart(6)}\n`,
              )
              .join(''),
        )
      else {
        const f = (x: number) => x.toFixed(4)
        process.stdout.write(
          `new model ${res.manifest.name}@${res.manifest.version} (parent ${parentTag}) in ${res.out}\n` +
            `${res.used} corrections: ${res.trainCount} trained on, ${res.devCount} for early stopping, ${res.heldOutCount} held out\n` +
            `held-out       before   after\n` +
            (['weightedF1', 'macroF1', 'accuracy'] as const)
              .map((k) => `${k.padEnd(13)} ${f(res.before[k])}  ${f(res.after[k])}\n`)
              .join(''),
        )
      }
    } catch (err) {
      throw cancelledError(err, stop, 'fine-tuning cancelled')
    } finally {
      stop.off()
    }
  })
}
