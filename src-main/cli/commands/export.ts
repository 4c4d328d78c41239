/** `fws export PROJECT --format jsonl|csv|eaf|vtt|srt|corpus --out PATH [--only-corrected]`. */
import type { Command } from 'commander'
import { EXPORT_FORMATS, type ExportFormat } from '../../contract/contract'
import { exportProject } from '../../engine/exchange/export'
import { PATH_REMEDIES } from '../../engine/exchange/path-remedies'
import { ExchangePathError } from '../../engine/exchange/safe-path'
import { CliError, printJson } from '../output'
import { withProject } from './project'

export function registerExport(program: Command): void {
  program
    .command('export')
    .argument('<project>', 'project file')
    .requiredOption('--format <format>', EXPORT_FORMATS.join(' | '))
    .requiredOption(
      '--out <path>',
      'output file (a folder for corpus, or for eaf/vtt/srt when the project has several media)',
    )
    .option('--only-corrected', 'only utterances with a human correction or acceptance')
    .option('--text <which>', 'vtt/srt: transcript (default) or translation', 'transcript')
    .option('--media <id>', 'only this media item')
    .option(
      '--features',
      'corpus: also extract audio/visual features into the feature cache (ready for training)',
    )
    .option('--json', 'print the result as JSON')
    .description('export utterances with predictions, corrections, model versions, annotators and timestamps')
    .action(
      async (
        file: string,
        opts: {
          format: string
          out: string
          onlyCorrected?: boolean
          text: string
          media?: string
          features?: boolean
          json?: boolean
        },
      ) => {
        if (!(EXPORT_FORMATS as readonly string[]).includes(opts.format))
          throw new CliError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got "${opts.format}"`, 2)
        if (opts.text !== 'transcript' && opts.text !== 'translation')
          throw new CliError(`--text must be transcript or translation, got "${opts.text}"`, 2)
        await withProject(file, async (s) => {
          const res = await exportProject(s, {
            format: opts.format as ExportFormat,
            out: opts.out,
            onlyCorrected: !!opts.onlyCorrected,
            text: opts.text as 'transcript' | 'translation',
            mediaId: opts.media,
            features: !!opts.features,
            onProgress: (f, stage) => {
              if (process.stderr.isTTY)
                process.stderr.write(`\r${(f * 100).toFixed(0).padStart(3)}% ${stage}\x1b[K`)
            },
          }).catch((err: unknown) => {
            throw exportErrorForCli(err)
          })
          if (process.stderr.isTTY) process.stderr.write('\n')
          if (opts.json) printJson(res)
          else process.stdout.write(`${res.records} utterances → ${res.files.join(', ')}\n`)
        })
      },
    )
}

/** The CLI's wording of an export path error: what to pass to --out / --media instead. */
function exportErrorForCli(err: unknown): unknown {
  if (!(err instanceof ExchangePathError)) return err
  const h = PATH_REMEDIES[err.code]?.cli
  return new CliError(h ? `${err.message}; ${h}` : err.message, 1)
}
