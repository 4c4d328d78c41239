/** `fws import PROJECT FILE [--media ID]`: an SRT / WebVTT / ELAN EAF / CSV file as a media item's segmentation. */
import type { Command } from 'commander'
import { importSegmentation } from '../../engine/exchange/import'
import { printJson } from '../output'
import { pickMedia, withProject } from './project'

export function registerImport(program: Command): void {
  program
    .command('import')
    .argument('<project>', 'project file')
    .argument('<file>', 'segmentation file (.srt, .vtt, .eaf, .csv, .tsv)')
    .option('--media <id>', 'media item to re-segment (default: the only one)')
    .option('--tier <id>', 'ELAN tier to read (default: the transcript tier)')
    .option('--encoding <name>', 'text encoding (default: detected)')
    .option('--json', 'print the new utterances as JSON')
    .description(
      "replace a media item's utterances with the cues of a subtitle / transcript file (one undoable change)",
    )
    .action(
      async (
        file: string,
        sub: string,
        opts: { media?: string; tier?: string; encoding?: string; json?: boolean },
      ) =>
        withProject(file, async (s) => {
          const res = await importSegmentation(s, pickMedia(s, opts.media), sub, {
            tier: opts.tier,
            encoding: opts.encoding,
          })
          for (const w of res.warnings) process.stderr.write(`warning: ${w}\n`)
          if (opts.json) printJson(res.rows)
          else
            process.stdout.write(
              `${res.rows.length} utterances from ${res.format} (undo with \`fws project undo\`)\n`,
            )
        }),
    )
}
