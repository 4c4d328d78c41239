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

export async function openQueue(
  url: string,
  onError: (msg: string) => void = () => {},
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
  await redis.connect().catch(() => {}) // keeps retrying in the background; commands wait for it
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
