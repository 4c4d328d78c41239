/**
 * Browser mode with an export to a place that cannot be written (/proc/nope/x.srt, where a
 * recursive mkdir never returns): the export answers with a specific error within 2 s and the
 * server keeps answering other requests while it runs and afterwards.
 */
import http from 'node:http'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngineService, type EngineService } from '../../src-main/engine/service'
import { ProjectStore } from '../../src-main/engine/project/store'
import { startServe, type ServeHandle } from '../../src-main/serve/server'

let dir: string
let handle: ServeHandle
let svc: EngineService

function api(
  name: string,
  body: unknown,
): Promise<{ status: number; json: { result?: unknown; error?: string }; ms: number }> {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: handle.port,
        path: `/api/${name}`,
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${handle.token}` },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString()) as { result?: unknown; error?: string },
            ms: performance.now() - t0,
          }),
        )
      },
    )
    req.on('timeout', () => req.destroy(new Error(`${name} did not answer within 10 s`)))
    req.on('error', reject)
    req.end(body === undefined ? '' : JSON.stringify(body))
  })
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fws-serve-export-'))
  const renderer = path.join(dir, 'renderer')
  mkdirSync(renderer)
  writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>t</title>')
  const file = path.join(dir, 'p.fwsproj')
  const store = ProjectStore.create(file, { annotator: 'tester' })
  store.addMedia(
    {
      absPath: path.join(dir, 'clip.mp4'),
      sha256: 'sha-1',
      sizeBytes: 1,
      durationSec: 10,
      hasAudio: true,
      hasVideo: true,
      probe: {},
    },
    [{ start: 0, end: 1, text: 'hello', source: 'test' }],
  )
  store.close()
  svc = createEngineService()
  await svc.handlers['project.open']({ path: file })
  handle = await startServe({ service: svc, rendererDir: renderer, token: 'test-token-export-0123456789' })
})

afterAll(async () => {
  await handle?.close()
  await svc?.dispose()
  rmSync(dir, { recursive: true, force: true })
})

describe('fws serve: export to an unwritable path', () => {
  it('fails with a specific error in under 2 s while other requests keep being answered', async () => {
    const exp = api('exchange.export', { format: 'srt', out: '/proc/nope/x.srt' })
    const others = await Promise.all([api('media.list', undefined), api('project.current', undefined)])
    for (const o of others) {
      expect(o.status).toBe(200)
      expect(o.ms).toBeLessThan(1000)
    }
    expect((others[0].json.result as unknown[]).length).toBe(1)
    const r = await exp
    expect(r.ms).toBeLessThan(2000)
    expect(r.status).toBeGreaterThanOrEqual(400)
    expect(r.json.error).toMatch(/cannot write to \/proc\/nope/)
    expect(r.json.error).not.toMatch(/--out/)
    // Still serving afterwards, and an export to a good place works.
    const ok = await api('exchange.export', { format: 'srt', out: 'exports/clip.srt' })
    expect(ok.status).toBe(200)
    expect(ok.json.result).toMatchObject({ records: 1 })
  })
})
