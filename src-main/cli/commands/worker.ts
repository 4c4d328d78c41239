/**
 * `fws worker --queue redis://HOST:PORT[/DB] [--jobs N]`: processes batch jobs of any run put on
 * the queue by `fws batch --queue` (engine/queue/worker.ts), until stopped. Owns the command line
 * and the stop: the first SIGINT / SIGTERM / SIGHUP stops taking jobs and lets the current ones
 * finish (exit 130 / 143 / 129); a second one exits at once, and the queue gives that worker's
 * jobs to another worker after the stall interval.
 */
import os from 'node:os'
import type { Command } from 'commander'
import { describeQueueUrl, parseQueueUrl, QueueUrlError } from '../../engine/queue/connection'
import { startQueueWorker } from '../../engine/queue/worker'
import { parsePositive } from '../number-options'
import { CliError, onStopSignals, SIGNAL_EXIT } from '../output'

interface WorkerCliOptions {
  queue: string
  jobs?: string
  lockDuration: string
  stalledInterval: string
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'process the jobs of `fws batch --queue` runs from a Redis queue (run one on every machine; media, ' +
        'output folders and models must be at the same paths on every machine, e.g. a shared mount)',
    )
    .requiredOption('--queue <url>', 'the Redis queue: redis://HOST:PORT[/DB]')
    .option(
      '-j, --jobs <n>',
      `files processed at once, one worker thread each (default: cores = ${os.availableParallelism()})`,
    )
    .option(
      '--lock-duration <ms>',
      "how long a job stays reserved without a sign of life; a killed worker's file is taken again after about this",
      '30000',
    )
    .option('--stalled-interval <ms>', 'how often jobs of dead workers are looked for', '30000')
    .action(async (o: WorkerCliOptions) => {
      process.exitCode = await workerCommand(o)
    })
}

async function workerCommand(o: WorkerCliOptions): Promise<number> {
  try {
    parseQueueUrl(o.queue)
  } catch (err) {
    if (err instanceof QueueUrlError) throw new CliError(err.message, 2)
    throw err
  }
  const positiveInt = (text: string, name: string) => parsePositive(text, name, { int: true, exitCode: 2 })
  const jobs = o.jobs === undefined ? os.availableParallelism() : positiveInt(o.jobs, 'jobs')
  const lockDurationMs = positiveInt(o.lockDuration, 'lock-duration')
  const stalledIntervalMs = positiveInt(o.stalledInterval, 'stalled-interval')
  const log = (line: string) => process.stderr.write(`fws worker: ${line}\n`)
  const worker = await startQueueWorker({ url: o.queue, jobs, lockDurationMs, stalledIntervalMs, log })
  const { host, pid } = worker.identity
  process.stdout.write(`fws worker ${host}:${pid}: ready on ${describeQueueUrl(o.queue)} (${jobs} at once)\n`)
  let stopped!: () => void
  const stopping = new Promise<void>((r) => (stopped = r))
  const stop = onStopSignals((sig) => {
    log(`${sig}: finishing the current files, taking no new ones (send it again to quit at once)…`)
    stopped()
  })
  try {
    await stopping
    await worker.close()
    log('stopped')
    return SIGNAL_EXIT[stop.signal() ?? 'SIGINT']
  } finally {
    stop.off()
  }
}
