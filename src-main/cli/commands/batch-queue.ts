/**
 * `fws batch … --queue redis://HOST:PORT[/DB]`: the batch on a Redis queue shared by `fws worker`
 * processes on any number of machines. Owns the queued modes of the command line: enqueue (and by
 * default watch to the end, with the local batch's progress display, summary.json and exit codes:
 * 0 all files finished, 1 some failed, 130 / 143 / 129 when Ctrl-C / SIGTERM / SIGHUP cancelled
 * the run), `--no-watch` (enqueue, print the run name, return), `--run NAME --watch` (attach) and
 * `--run NAME --cancel`. The queue itself is engine/queue.
 */
import path from 'node:path'
import { JobRegistry } from '../../engine/jobs/registry'
import { openQueue, QueueUnreachableError, type QueueClients } from '../../engine/queue/client'
import { describeQueueUrl, QueueUrlError, parseQueueUrl } from '../../engine/queue/connection'
import { enqueueRun, RunNameError } from '../../engine/queue/enqueue'
import { loadRun } from '../../engine/queue/run-record'
import { cancelRun, UnknownRunError, watchRun, type QueueSummary } from '../../engine/queue/watch'
import { createProgressDisplay, type ProgressMode } from '../batch-progress'
import { CliError, onStopSignals, SIGNAL_EXIT } from '../output'
import { parseRunOptions, type BatchCliOptions } from '../batch-options'

export async function queueBatchCommand(inputs: string[], o: BatchCliOptions): Promise<number> {
  const url = o.queue!
  try {
    parseQueueUrl(url)
  } catch (err) {
    if (err instanceof QueueUrlError) throw new CliError(err.message, 2)
    throw err
  }
  if (o.project)
    throw new CliError(
      '--project cannot be used with --queue: when the run is done, the same `fws batch` without --queue, with --resume --project P, stores the finished results in the project without redoing them',
      2,
    )
  const attach = !inputs.length
  if (attach && !o.run)
    throw new CliError('give media files to enqueue, or --run NAME to --watch or --cancel a queued run', 2)
  if (!attach && o.cancel) throw new CliError('--cancel takes --run NAME and no files', 2)
  if (!attach && !o.out) throw new CliError("required option '-o, --out <dir>' not specified", 2)

  const json = !!o.json
  const say = (text: string, obj: object) =>
    process.stdout.write(json ? JSON.stringify(obj) + '\n' : text + '\n')
  if (!attach && o.jobs !== undefined)
    throw new CliError('--jobs has no effect with --queue: give it to each `fws worker` instead', 2)
  // Options and models are checked before Redis is asked anything.
  const run0 = attach ? null : parseRunOptions(o)
  let q: QueueClients
  try {
    q = await openQueue(url, (msg) => process.stderr.write(`fws: ${msg}\n`), { connectTimeoutMs: 10_000 })
  } catch (err) {
    if (err instanceof QueueUnreachableError) throw new CliError(err.message, 1)
    throw err
  }
  try {
    if (o.cancel) {
      const rec = await cancelRun(q, o.run!)
      say(`run ${rec.name}: cancelled`, { type: 'cancelled', run: rec.name })
      return 0
    }
    let run = o.run!
    if (!attach) {
      const { fps, detectEvery, models } = run0!
      const rec = await enqueueRun(q, {
        run: o.run,
        inputs,
        outDir: o.out!,
        models,
        fps,
        detectEvery,
        subsDir: o.subsDir ?? null,
        cache: o.cache,
        retryFailed: !!o.retryFailed,
      })
      run = rec.name
      say(
        `run ${run}: ${rec.files.length} media file${rec.files.length === 1 ? '' : 's'} queued on ${describeQueueUrl(url)}` +
          (o.watch === false
            ? `\nfollow it with: fws batch --queue ${describeQueueUrl(url)} --run ${run} --watch`
            : ''),
        { type: 'queued', run, files: rec.files.length, queue: describeQueueUrl(url) },
      )
      if (o.watch === false) return 0
    }
    return await watch(q, run, o)
  } catch (err) {
    if (err instanceof UnknownRunError || err instanceof RunNameError) throw new CliError(err.message, 2)
    throw err
  } finally {
    await q.close()
  }
}

async function watch(
  q: Awaited<ReturnType<typeof openQueue>>,
  run: string,
  o: BatchCliOptions,
): Promise<number> {
  if (!(await loadRun(q.redis, run))) throw new CliError(`no run "${run}" on ${describeQueueUrl(q.url)}`, 2)
  const mode: ProgressMode = o.json ? 'json' : process.stdout.isTTY ? 'tty' : 'plain'
  const display = createProgressDisplay(mode, (s) => process.stdout.write(s))
  const registry = new JobRegistry({ throttleMs: 100 })
  const unsubscribe = registry.on((s) => display.onSnapshot(s))
  let summary: QueueSummary | null = null
  const job = registry.start(
    { kind: 'inference', label: `fws batch --queue (run ${run})` },
    async (control) => {
      summary = await watchRun(q, run, control, {
        onEvent: (e) => display.onEvent(e),
        onWarning: (msg) => process.stderr.write(`fws: ${msg}\n`),
      })
      return summary.totals
    },
  )
  // As a local batch: the first Ctrl-C / SIGTERM / SIGHUP cancels the run (on every worker) and
  // waits for the summary; a second one exits at once (the run is then cancelled, not followed).
  const stop = onStopSignals((sig) => {
    process.stderr.write(`\nfws: ${sig}: cancelling run ${run} (send it again to quit at once)…\n`)
    registry.cancel(job.id)
  })
  try {
    const end = await registry.wait(job.id)
    const s = summary as QueueSummary | null
    display.finish(s, s ? path.join(s.outDir, 'summary.json') : null)
    if (end.status === 'failed') throw new CliError(end.error ?? 'batch failed', 1)
    if (end.status === 'cancelled' || s?.status === 'cancelled') return SIGNAL_EXIT[stop.signal() ?? 'SIGINT']
    return s && s.totals.failed > 0 ? 1 : 0
  } finally {
    stop.off()
    unsubscribe()
  }
}
