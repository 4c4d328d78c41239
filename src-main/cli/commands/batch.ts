/**
 * `fws batch <files or folders...> --out DIR`: offline inference over footage, the main job.
 * Owns the command line (options, model choice, progress mode, Ctrl-C) and the exit code:
 * 0 when every file finished (or was already complete), 1 when some file failed (or its results
 * could not be stored in --project), 130 / 143 / 129 when cancelled by SIGINT / SIGTERM / SIGHUP.
 * The work itself is engine/pipeline/batch.ts, run as a job of the same registry the app uses.
 * With --queue the run goes on Redis for `fws worker` processes instead (cli/commands/batch-queue.ts).
 */
import os from 'node:os'
import path from 'node:path'
import { Option, type Command } from 'commander'
import { JobRegistry } from '../../engine/jobs/registry'
import { DEFAULT_DETECT_EVERY, DEFAULT_FPS } from '../../engine/features/types'
import { runBatch, type BatchSummary } from '../../engine/pipeline/batch'
import { projectWriter } from '../../engine/pipeline/project-sink'
import { TASKS } from '../../engine/pipeline/select-models'
import { createProgressDisplay, type ProgressMode } from '../batch-progress'
import { CliError, onStopSignals, SIGNAL_EXIT } from '../output'
import { parseRunOptions, type BatchCliOptions } from '../batch-options'
import { queueBatchCommand } from './batch-queue'

export function registerBatch(program: Command): void {
  program
    .command('batch')
    .description(
      'segment, extract features and predict emotion + translation for every media file given (folders recursively); ' +
        'writes <name>.utterances.jsonl, <name>.vtt and summary.json into --out',
    )
    .argument('[inputs...]', 'media files and/or folders')
    .option('-o, --out <dir>', 'output folder (required, except to --watch or --cancel a queued run)')
    .option(
      '--subs-dir <dir>',
      'folder with sidecar subtitles (<name>.srt/.vtt/.eaf/.csv) for the media files',
    )
    .option('--fps <n>', 'frames per second sampled for visual features', String(DEFAULT_FPS))
    .option(
      '--detect-every <n>',
      'run the face detector on every Nth sampled frame and track the face in between (1 = every frame)',
      String(DEFAULT_DETECT_EVERY),
    )
    .option(
      '--models <dir>',
      'folder with the emotion and translation model folders (default: resources/models)',
    )
    .option('--emotion-model <dir>', 'emotion model folder (overrides --models)')
    .option('--translation-model <dir>', 'translation model folder (overrides --models)')
    .option('--tasks <list>', 'what to predict: emotion, translation or both', TASKS.join(','))
    .option(
      '-j, --jobs <n>',
      `files processed in parallel, one worker thread each (default: cores = ${os.availableParallelism()})`,
    )
    .option('--resume', 'skip files whose outputs are complete for the same content and models')
    .option('--retry-failed', 'with --resume: process again the files that failed in the earlier run')
    .option('--json', 'progress and the final summary as JSON lines on stdout')
    .option('--project <file>', 'also write the results into this project (.fwsproj; created when missing)')
    .addOption(new Option('--no-cache', 'do not read or write the feature cache'))
    .option(
      '--queue <url>',
      'put the files on a Redis queue (redis://HOST:PORT[/DB]) for `fws worker` processes on any machine; resumes like --resume',
    )
    .option('--run <name>', 'with --queue: the run name (default: a new one, printed)')
    .option(
      '--watch',
      'with --queue: follow the run to its end (default; with --run and no files: attach to it)',
    )
    .option('--no-watch', 'with --queue: enqueue and return')
    .option('--cancel', 'with --queue and --run: cancel the run')
    .action(async (inputs: string[], opts: BatchCliOptions) => {
      if (opts.queue) process.exitCode = await queueBatchCommand(inputs, opts)
      else process.exitCode = await batchCommand(inputs, opts)
    })
}

async function batchCommand(inputs: string[], o: BatchCliOptions): Promise<number> {
  if (!inputs.length) throw new CliError('no media files or folders given', 2)
  if (!o.out) throw new CliError("required option '-o, --out <dir>' not specified", 2)
  if (o.run !== undefined || o.cancel || o.watch !== undefined)
    throw new CliError('--run, --watch, --no-watch and --cancel go with --queue', 2)
  const { fps, detectEvery, jobs, models } = parseRunOptions(o)

  const mode: ProgressMode = o.json ? 'json' : process.stdout.isTTY ? 'tty' : 'plain'
  const display = createProgressDisplay(mode, (s) => process.stdout.write(s))
  const sink = o.project ? await projectWriter(path.resolve(o.project), { subsDir: o.subsDir ?? null }) : null
  const registry = new JobRegistry({ throttleMs: 100 })
  const unsubscribe = registry.on((s) => display.onSnapshot(s))
  const outDir = path.resolve(o.out)
  let summary: BatchSummary | null = null
  const job = registry.start({ kind: 'inference', label: `fws batch → ${outDir}` }, async (control) => {
    summary = await runBatch(
      {
        inputs,
        outDir,
        subsDir: o.subsDir ?? null,
        fps,
        detectEvery,
        models,
        jobs,
        resume: !!o.resume,
        retryFailed: !!o.retryFailed,
        cache: o.cache,
        onEvent: (e) => display.onEvent(e),
        segmentsFor: sink?.segmentsFor,
        onFileResult: sink?.write,
      },
      control,
    )
    return summary.totals
  })

  // The first Ctrl-C, SIGTERM (kill, a service manager) or SIGHUP (the terminal closed) cancels
  // cleanly: workers stop, ffmpeg is killed, summary.json says cancelled, and the exit code is
  // 128 + the signal's number. A second signal exits at once.
  const stop = onStopSignals((sig) => {
    process.stderr.write(`\nfws: ${sig}: cancelling (send it again to quit at once)…\n`)
    registry.cancel(job.id)
  })
  try {
    const end = await registry.wait(job.id)
    display.finish(summary, summary ? path.join(outDir, 'summary.json') : null)
    if (end.status === 'failed') throw new CliError(end.error ?? 'batch failed', 1)
    if (end.status === 'cancelled') return SIGNAL_EXIT[stop.signal() ?? 'SIGINT']
    const s = summary as BatchSummary | null
    return s && (s.totals.failed > 0 || s.files.some((f) => f.projectError)) ? 1 : 0
  } finally {
    stop.off()
    unsubscribe()
    sink?.close()
  }
}
