/**
 * The browser-mode server on a real socket: token on every request (HTTP and WebSocket), loopback
 * only, Host/Origin checks, CSP, contract validation before the engine, range streaming limited
 * to media of the open project.
 */
import { EventEmitter } from 'node:events'
import http from 'node:http'
import net from 'node:net'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { EventMap, EventName } from '../../src-main/contract/contract'
import { createEngineService, type EngineService } from '../../src-main/engine/service'
import { MAX_BODY } from '../../src-main/serve/body'
import { checkRendererDir } from '../../src-main/serve/renderer-files'
import { startServe, type ServeHandle } from '../../src-main/serve/server'
import { cookieName } from '../../src-main/serve/security'

let dir: string
let handle: ServeHandle
let mediaPath: string
const events = new EventEmitter()
let real: EngineService

/** Plain HTTP request (no browser): full control over Host, Origin and headers. */
function request(
  p: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: handle.port, path: p, method: opts.method ?? 'GET', headers: opts.headers },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        )
      },
    )
    req.on('error', reject)
    if (opts.body !== undefined) req.write(opts.body)
    req.end()
  })
}

const auth = () => ({ Authorization: `Bearer ${handle.token}` })
const sessionCookie = () => `${cookieName(handle.port, handle.sessionId)}=${handle.token}`
const api = (name: string, body: unknown, headers: Record<string, string> = auth()) =>
  request(`/api/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  })

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fws-serve-'))
  const renderer = path.join(dir, 'renderer')
  mkdirSync(path.join(renderer, 'assets'), { recursive: true })
  writeFileSync(
    path.join(renderer, 'index.html'),
    '<!doctype html><title>t</title><script src="/assets/a.js"></script>',
  )
  writeFileSync(path.join(renderer, 'assets', 'a.js'), 'console.log(1)')
  mediaPath = path.join(dir, 'clip.mp4')
  writeFileSync(mediaPath, Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256)))
  real = createEngineService()
  // The real engine handles requests; only the media lookup and the event source are pinned so
  // the server's own routing can be checked without a project on disk.
  const service: EngineService = {
    ...real,
    mediaFile: (id) => (id === 'm1' ? mediaPath : null),
    on<E extends EventName>(event: E, listener: (p: EventMap[E]) => void) {
      events.on(event, listener as (p: unknown) => void)
      return () => events.off(event, listener as (p: unknown) => void)
    },
  }
  handle = await startServe({ service, rendererDir: renderer, token: 'test-token-0123456789' })
})

afterAll(async () => {
  await handle?.close()
  await real?.dispose()
  rmSync(dir, { recursive: true, force: true })
})

describe('fws serve', () => {
  it('listens on 127.0.0.1 only', () => {
    const a = handle.server.address() as net.AddressInfo
    expect(a.address).toBe('127.0.0.1')
    expect(handle.url).toBe(`http://127.0.0.1:${handle.port}/?token=test-token-0123456789`)
  })

  it('refuses requests without the token (page, API, media) with 401', async () => {
    for (const p of ['/', '/assets/a.js', '/media/m1']) expect((await request(p)).status, p).toBe(401)
    const r = await api('system.doctor', undefined, {})
    expect(r.status).toBe(401)
    expect(r.body.toString()).toMatch(/needs the token/)
    expect((await api('system.doctor', undefined, { Authorization: 'Bearer wrong' })).status).toBe(401)
    expect((await request('/?token=wrong')).status).toBe(401)
  })

  it('trades the URL token for a cookie bound to the per-run session path, then serves the page with a strict CSP', async () => {
    const first = await request(`/?token=${handle.token}`)
    expect(first.status).toBe(302)
    expect(handle.sessionPath).toMatch(/^\/s\/[\w-]{22}\/$/)
    expect(first.headers.location).toBe(handle.sessionPath)
    const cookie = String(first.headers['set-cookie'])
    expect(cookie).toBe(
      `${cookieName(handle.port, handle.sessionId)}=${handle.token}; Path=${handle.sessionPath}; HttpOnly; SameSite=Strict`,
    )
    // The cookie opens the session path only: a browser never sends it elsewhere, and the server
    // does not take it elsewhere either.
    expect((await request('/', { headers: { Cookie: sessionCookie() } })).status).toBe(401)
    const page = await request(handle.sessionPath, { headers: { Cookie: sessionCookie() } })
    expect(page.status).toBe(200)
    expect(page.body.toString()).toContain('<title>t</title>')
    const asset = await request(`${handle.sessionPath}assets/a.js`, { headers: { Cookie: sessionCookie() } })
    expect(asset.body.toString()).toBe('console.log(1)')
    const viaCookie = await request(`${handle.sessionPath}api/system.doctor`, {
      method: 'POST',
      headers: { Cookie: sessionCookie() },
      body: '',
    })
    expect(viaCookie.status).toBe(200)
    const csp = String(page.headers['content-security-policy'])
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("object-src 'none'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toMatch(/unsafe-eval/)
    expect(page.headers['x-content-type-options']).toBe('nosniff')
  })

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin even with the token', async () => {
    expect((await request('/', { headers: { ...auth(), Host: `evil.example:${handle.port}` } })).status).toBe(
      403,
    )
    expect((await api('system.doctor', undefined, { ...auth(), Origin: 'http://evil.example' })).status).toBe(
      403,
    )
    expect((await api('system.doctor', undefined, { ...auth(), Origin: handle.origin })).status).toBe(200)
  })

  it('refuses a request whose peer is not loopback', async () => {
    // No non-loopback peer can reach a 127.0.0.1 socket, so this drives the server's own request
    // handler with a socket that claims a LAN address, exactly as Node would hand it over.
    const socket = new net.Socket()
    Object.defineProperty(socket, 'remoteAddress', { value: '192.168.1.50' })
    const req = new http.IncomingMessage(socket)
    req.method = 'GET'
    req.url = `/?token=${handle.token}`
    req.headers = { host: `127.0.0.1:${handle.port}`, authorization: `Bearer ${handle.token}` }
    const res = new http.ServerResponse(req)
    const status = await new Promise<number>((resolve) => {
      res.writeHead = ((code: number) => {
        resolve(code)
        return res
      }) as typeof res.writeHead
      res.end = (() => res) as typeof res.end
      handle.server.emit('request', req, res)
    })
    expect(status).toBe(403)
    socket.destroy()
  })

  it('dispatches API requests through the contract to the engine', async () => {
    const doc = await api('system.doctor', undefined)
    expect(doc.status).toBe(200)
    const report = JSON.parse(doc.body.toString()).result
    expect(report.node).toBe(process.version)
    expect(report).toHaveProperty('ffmpeg')
    // Validation happens before the engine: a bad payload names the field.
    const bad = await api('project.open', { path: 42 })
    expect(bad.status).toBe(400)
    expect(JSON.parse(bad.body.toString()).error).toMatch(/invalid payload for project.open: path/)
    expect((await api('no.such', undefined)).status).toBe(404)
    expect((await request('/api/system.doctor', { headers: auth() })).status).toBe(405)
    const notJson = await request('/api/project.open', { method: 'POST', headers: auth(), body: '{' })
    expect(notJson.status).toBe(400)
  })

  it('streams media of the open project with range requests, and nothing else', async () => {
    const full = await request('/media/m1', { headers: auth() })
    expect(full.status).toBe(200)
    expect(full.body.length).toBe(1000)
    expect(full.headers['accept-ranges']).toBe('bytes')
    expect(full.headers['content-type']).toBe('video/mp4')
    const part = await request('/media/m1', { headers: { ...auth(), Range: 'bytes=100-199' } })
    expect(part.status).toBe(206)
    expect(part.headers['content-range']).toBe('bytes 100-199/1000')
    expect([...part.body]).toEqual(Array.from({ length: 100 }, (_, i) => (100 + i) % 256))
    const tail = await request('/media/m1', { headers: { ...auth(), Range: 'bytes=-10' } })
    expect(tail.headers['content-range']).toBe('bytes 990-999/1000')
    expect((await request('/media/m1', { headers: { ...auth(), Range: 'bytes=5000-' } })).status).toBe(416)
    expect((await request('/media/other', { headers: auth() })).status).toBe(404)
    // A path is never accepted in place of an id.
    expect((await request(`/media/${encodeURIComponent(mediaPath)}`, { headers: auth() })).status).toBe(404)
  })

  it('does not serve files outside the renderer folder', async () => {
    const r = await request('/%2e%2e/clip.mp4', { headers: auth() })
    expect([403, 404]).toContain(r.status)
    expect(r.body.length).toBeLessThan(1000)
  })

  it('pushes engine events over the WebSocket, which also needs the token', async () => {
    const wsUrl = `ws://127.0.0.1:${handle.port}${handle.sessionPath}events`
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(wsUrl)
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('error', () => {})
    })
    expect(refused).toBe(401)
    const foreign = await new Promise<number>((resolve) => {
      const ws = new WebSocket(wsUrl, {
        headers: { Cookie: sessionCookie(), Origin: 'http://evil.example' },
      })
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('error', () => {})
    })
    expect(foreign).toBe(403)
    const ws = new WebSocket(wsUrl, { headers: { Cookie: sessionCookie() } })
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    const got = new Promise<unknown>((resolve) => ws.once('message', (m) => resolve(JSON.parse(String(m)))))
    const snap = {
      id: 'j1',
      kind: 'inference',
      label: 'x',
      status: 'running',
      progress: 0.5,
      stage: 'features',
      items: [],
      startedAt: 1,
      endedAt: null,
      etaSec: 3,
      error: null,
      result: null,
    }
    events.emit('jobs.update', snap)
    expect(await got).toEqual({ event: 'jobs.update', payload: snap })
    ws.close()
  })

  it("answers malformed requests 400 and the user's own mistakes 4xx with the message, never 500", async () => {
    const badMedia = await request('/media/%E0%A4%A', { headers: auth() })
    expect(badMedia.status).toBe(400)
    expect(JSON.parse(badMedia.body.toString()).error).toMatch(/malformed %-encoding/)
    expect((await request(`${'/%'}zz.js`, { headers: auth() })).status).toBe(400)
    expect((await request('/', { headers: { ...auth(), Cookie: 'other=%E0%A4%A' } })).status).toBe(200)
    expect((await api('project.open', undefined, { ...auth() })).status).toBe(400)
    const notJson = await request('/api/project.open', { method: 'POST', headers: auth(), body: '{"path": ' })
    expect(notJson.status).toBe(400)
    expect(JSON.parse(notJson.body.toString()).error).toMatch(/not valid JSON/)
    // No project open: a user error (409), with the engine's message.
    const noProject = await api('utterances.list', { mediaId: 'm1' })
    expect(noProject.status).toBe(409)
    expect(JSON.parse(noProject.body.toString()).error).toMatch(/no project is open/)
    // An id that is not there (a stale page): 404 with the engine's message.
    const noJob = await api('jobs.cancel', { jobId: 'no-such-job' })
    expect(noJob.status).toBe(404)
    expect(JSON.parse(noJob.body.toString()).error).toBe('no job with id no-such-job')
    // A project file that does not exist: 404 with the message naming it.
    const missing = path.join(dir, 'nope', 'missing.fwsproj')
    const notFound = await api('project.open', { path: missing })
    expect(notFound.status).toBeGreaterThanOrEqual(400)
    expect(notFound.status).toBeLessThan(500)
    expect(JSON.parse(notFound.body.toString()).error).toContain('missing.fwsproj')
  })

  it('answers an oversized body 413 before reading it, then closes the connection', async () => {
    // Declared too large: answered at once, with most of the body never sent.
    const declared = await new Promise<{ status: number; connection?: string; body: string }>(
      (resolve, reject) => {
        const req = http.request({
          host: '127.0.0.1',
          port: handle.port,
          path: '/api/project.open',
          method: 'POST',
          headers: { ...auth(), 'Content-Type': 'application/json', 'Content-Length': String(MAX_BODY + 1) },
        })
        req.on('response', (res) => {
          let body = ''
          res.on('data', (c: Buffer) => (body += c.toString()))
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body })
            req.destroy()
          })
        })
        req.on('error', reject)
        req.write('{"path": "')
      },
    )
    expect(declared.status).toBe(413)
    expect(declared.connection).toBe('close')
    expect(JSON.parse(declared.body).error).toMatch(/larger than 8388608 bytes/)
    // Chunked (no length given): answered as soon as the limit is crossed, not reset.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: handle.port,
        path: '/api/project.open',
        method: 'POST',
        headers: { ...auth(), 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      })
      req.on('response', (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
        req.destroy()
      })
      req.on('error', reject)
      const piece = Buffer.alloc(1024 * 1024, 0x20)
      let sent = 0
      const pump = () => {
        while (sent < MAX_BODY + 2 * piece.length) {
          sent += piece.length
          if (!req.write(piece)) return void req.once('drain', pump)
        }
      }
      pump()
    })
    expect(chunked).toBe(413)
  })

  it('says how to build the renderer when it is missing', async () => {
    await expect(checkRendererDir(path.join(dir, 'nope'))).rejects.toThrow(/electron-vite build/)
  })
})
