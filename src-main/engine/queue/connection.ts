/**
 * Where the batch queue lives: parsing `redis://HOST:PORT[/DB]` (the only form accepted, with a
 * specific error otherwise) into the connection options every queue client uses. Owns the
 * reconnection policy: commands wait for Redis instead of failing (`maxRetriesPerRequest: null`,
 * what BullMQ workers require) and a lost connection is retried every 0.2 … 2 s for ever, so a
 * Redis restart mid-run only pauses the workers and the watcher.
 */
export const QUEUE_NAME = 'fws-batch'
/** Prefix of every key the queue and its run records use. */
export const KEY_PREFIX = 'fws'

export class QueueUrlError extends Error {
  override name = 'QueueUrlError'
}

/** Connection options for ioredis and BullMQ (a plain object both accept). */
export interface QueueConnection {
  host: string
  port: number
  db: number
  username?: string
  password?: string
  maxRetriesPerRequest: null
  enableReadyCheck: boolean
  retryStrategy: (times: number) => number
}

export function parseQueueUrl(url: string): QueueConnection {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new QueueUrlError(`--queue must be redis://HOST:PORT[/DB] (got "${url}")`)
  }
  if (u.protocol !== 'redis:')
    throw new QueueUrlError(`--queue must be a redis:// address (got "${url}"; rediss/TLS is not supported)`)
  if (!u.hostname) throw new QueueUrlError(`--queue has no host (got "${url}")`)
  const port = u.port ? Number(u.port) : 6379
  const dbPart = u.pathname.replace(/^\//, '')
  const db = dbPart ? Number(dbPart) : 0
  if (!Number.isInteger(db) || db < 0 || db > 15)
    throw new QueueUrlError(`--queue: the database number must be 0…15 (got "${dbPart}")`)
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  }
}

/** The address without a password, for messages. */
export function describeQueueUrl(url: string): string {
  try {
    const u = new URL(url)
    u.password = ''
    return u.toString()
  } catch {
    return url
  }
}
