/**
 * The engine across a process boundary (engine-rpc.ts), over a real MessageChannel with the real
 * engine service: results, errors with their class name and code, events, and what a crash does.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import { afterAll, describe, expect, it } from 'vitest'
import { createEngineClient, serveEngine, type RpcPort } from '../../src-main/app/engine-rpc'
import { createEngineService } from '../../src-main/engine/service'
import { httpStatusFor } from '../../src-main/serve/errors'

const port = (p: MessagePort): RpcPort => ({
  postMessage: (m) => p.postMessage(m),
  onMessage: (l) => p.on('message', l),
})

const dir = mkdtempSync(path.join(os.tmpdir(), 'fws-rpc-'))
const channel = new MessageChannel()
const service = createEngineService()
serveEngine(service, port(channel.port2))
const client = createEngineClient(port(channel.port1))
afterAll(async () => {
  channel.port1.close()
  await service.dispose()
  rmSync(dir, { recursive: true, force: true })
})

describe('engine over a message channel', () => {
  it('answers calls, forwards events, and keeps error names and codes', async () => {
    expect(await client.call('project.current', undefined)).toBeNull()
    const err = await client.call('utterances.list', { mediaId: 'm1' }).catch((e: Error) => e)
    expect(err).toMatchObject({
      name: 'NoProjectError',
      message: expect.stringMatching(/no project is open/),
    })
    expect(httpStatusFor(err)).toBe(409)
    const changed = new Promise<unknown>((resolve) => client.on('project.changed', resolve))
    const file = path.join(dir, 'p.fwsproj')
    const info = (await client.call('project.create', { path: file })) as { path: string }
    expect(info.path).toBe(file)
    expect(await changed).toMatchObject({ path: file })
    expect(await client.mediaFile('nope')).toBeNull()
  })

  it('a dead engine fails pending and later calls with the reason instead of hanging', async () => {
    const silent = new MessageChannel() // nobody answers on the other end
    const c = createEngineClient(port(silent.port1))
    const pending = c.call('project.current', undefined)
    c.fail('the engine process stopped unexpectedly (exit code 9)')
    await expect(pending).rejects.toThrow(/stopped unexpectedly \(exit code 9\)/)
    await expect(c.mediaFile('x')).rejects.toThrow(/exit code 9/)
    silent.port1.close()
  })
})
