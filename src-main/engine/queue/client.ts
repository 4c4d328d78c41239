/**
 * The Redis clients of one queue user (enqueuer, watcher or worker): the BullMQ queue and a plain
 * connection for the run records, both on the reconnecting options of connection.ts. Connection
 * errors while Redis is away are reported through `onError` (once per outage), never thrown.
 */
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { describeQueueUrl, parseQueueUrl, QUEUE_NAME, KEY_PREFIX } from './connection'
import type { RunJobData } from './run-record'

export interface QueueClients {
  url: string
  queue: Queue<RunJobData>
  redis: Redis
  close(): Promise<void>
}

export class QueueUnreachableError extends Error {
  override name = 'QueueUnreachableError'
}

/**
 * Connects to the queue. With `connectTimeoutMs`, a Redis not reachable within that time at the
 * start is an error (a wrong address fails fast); without, it waits for Redis as long as it takes.
 */
export async function openQueue(
  url: string,
  onError: (msg: string) => void = () => {},
  o: { connectTimeoutMs?: number } = {},
): Promise<QueueClients> {
  const opts = parseQueueUrl(url)
  let down = false
  const report = (err: Error) => {
    if (down) return
    down = true
    onError(`Redis at ${describeQueueUrl(url)} unreachable (${err.message}); retrying…`)
  }
  const redis = new Redis({ ...opts, lazyConnect: true })
  redis.on('error', report)
  redis.on('ready', () => (down = false))
  let lastError: Error | null = null
  redis.on('error', (err: Error) => (lastError = err))
  const ready = new Promise<boolean>((resolve) => redis.once('ready', () => resolve(true)))
  redis.connect().catch(() => {}) // keeps retrying in the background; commands wait for it
  if (o.connectTimeoutMs !== undefined) {
    const t = new Promise<boolean>((r) => setTimeout(() => r(false), o.connectTimeoutMs).unref())
    if (!(await Promise.race([ready, t]))) {
      redis.disconnect()
      throw new QueueUnreachableError(
        `cannot reach Redis at ${describeQueueUrl(url)} (${(lastError as Error | null)?.message ?? 'no answer'} after ${Math.round(o.connectTimeoutMs / 1000)} s)`,
      )
    }
  }
  const queue: Queue<RunJobData> = new Queue(QUEUE_NAME, { connection: opts, prefix: KEY_PREFIX })
  queue.on('error', report)
  return {
    url,
    queue,
    redis,
    async close() {
      await queue.close().catch(() => {})
      redis.disconnect()
    },
  }
}
