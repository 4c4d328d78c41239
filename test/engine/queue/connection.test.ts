// The queue address: redis://HOST:PORT[/DB] only, with a specific error for anything else, and the
// reconnecting options every client gets (commands wait for Redis instead of failing).
import { describe, expect, it } from 'vitest'
import { describeQueueUrl, parseQueueUrl, QueueUrlError } from '../../../src-main/engine/queue/connection'

describe('parseQueueUrl', () => {
  it('reads host, port and database, and never gives up on a lost connection', () => {
    const o = parseQueueUrl('redis://queue-host:6380/3')
    expect(o).toMatchObject({ host: 'queue-host', port: 6380, db: 3, maxRetriesPerRequest: null })
    expect(parseQueueUrl('redis://10.0.0.5')).toMatchObject({ host: '10.0.0.5', port: 6379, db: 0 })
    expect(parseQueueUrl('redis://:s3cret@h:1/0')).toMatchObject({ password: 's3cret', port: 1 })
    expect(o.retryStrategy(1)).toBe(200)
    expect(o.retryStrategy(1000)).toBe(2000)
  })

  it('refuses other addresses with what was wrong', () => {
    expect(() => parseQueueUrl('localhost:6379')).toThrow(QueueUrlError)
    expect(() => parseQueueUrl('queue-host')).toThrow(/redis:\/\/HOST:PORT\[\/DB\]/)
    expect(() => parseQueueUrl('rediss://h:6379')).toThrow(/TLS is not supported/)
    expect(() => parseQueueUrl('redis://h:6379/x')).toThrow(/database number must be 0…15 \(got "x"\)/)
    expect(() => parseQueueUrl('redis://h:6379/16')).toThrow(/0…15/)
  })

  it('leaves the password out of messages', () => {
    expect(describeQueueUrl('redis://:s3cret@h:6379/2')).not.toContain('s3cret')
    expect(describeQueueUrl('redis://h:6379/2')).toBe('redis://h:6379/2')
  })
})
