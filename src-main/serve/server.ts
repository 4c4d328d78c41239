/**
 * The browser-mode server behind `fws serve`: the same typed contract as Electron's IPC, over
 * HTTP (POST /api/<request>) and a WebSocket (/events) on 127.0.0.1 only, guarded by a per-run
 * token. It serves the built renderer (out/renderer) and streams media of the open project with
 * range requests. It holds no state of its own: every request is validated against the contract
 * and handed to the engine service, exactly as src-main/app/main.ts does for IPC.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { createReadStream, promises as fsp } from 'node:fs'
import path from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import { EVENT_NAMES, isRequestName, validateRequest } from '../contract/contract'
import type { EngineService } from '../engine/service'
import { httpStatusFor } from './errors'
import {
  SERVE_CSP,
  findValidToken,
  isLoopbackAddress,
  isOwnHost,
  isOwnOrigin,
  makeSessionId,
  makeToken,
  sessionPath,
  tokenCookie,
} from './security'
import { mediaContentType, parseRange } from './range'

export interface ServeOptions {
  service: EngineService
  /** Folder with the built renderer (index.html + assets). */
  rendererDir: string
  /** 0 = any free port. */
  port?: number
  /** Fixed token (tests); a random one per run otherwise. */
  token?: string
  /** Logs one line per refused request (default: silent). */
  log?: (line: string) => void
}

export interface ServeHandle {
  /** The URL to open: carries the token once; the page then keeps it in an HttpOnly cookie. */
  url: string
  /** The per-run path the page lives under ("/s/<id>/"); the cookie is bound to it. */
  sessionPath: string
  sessionId: string
  origin: string
  port: number
  token: string
  server: http.Server
  close(): Promise<void>
}

/** Largest API request body; a larger one is answered 413 before it is read. */
export const MAX_BODY = 8 * 1024 * 1024
/** After a 413, how much of the rest is read and thrown away (so the answer is not lost to a reset) before closing. */
const MAX_DRAIN = 1024 * 1024
const DRAIN_MS = 2000

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
}

/** Explains what to do when the renderer has not been built. */
export async function checkRendererDir(dir: string): Promise<void> {
  const ok = await fsp.access(path.join(dir, 'index.html')).then(
    () => true,
    () => false,
  )
  if (!ok)
    throw new Error(
      `the renderer is not built: ${path.join(dir, 'index.html')} is missing. Run \`npx electron-vite build\` (or \`npm run build\`) first.`,
    )
}

/** Starts the server on 127.0.0.1 and resolves once it listens. */
export async function startServe(opts: ServeOptions): Promise<ServeHandle> {
  await checkRendererDir(opts.rendererDir)
  const token = opts.token ?? makeToken()
  const sessionId = makeSessionId()
  const prefix = sessionPath(sessionId)
  const log = opts.log ?? (() => {})
  const rendererDir = path.resolve(opts.rendererDir)
  let port = 0
  const sockets = new Set<WebSocket>()
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 })

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) sendJson(res, 500, { error: err.message })
      else res.destroy()
    })
  })

  /** The gate every HTTP request and upgrade passes: loopback peer, own Host, own Origin, token. */
  function gate(
    req: IncomingMessage,
    url: URL,
  ): { ok: true; via: string } | { ok: false; status: number; why: string } {
    if (!isLoopbackAddress(req.socket.remoteAddress))
      return { ok: false, status: 403, why: `non-loopback peer ${req.socket.remoteAddress}` }
    if (!isOwnHost(req.headers.host, port))
      return { ok: false, status: 403, why: `foreign Host ${req.headers.host}` }
    if (!isOwnOrigin(req.headers.origin, port))
      return { ok: false, status: 403, why: `foreign Origin ${req.headers.origin}` }
    const via = findValidToken(
      token,
      { port, sessionId },
      {
        authorization: req.headers.authorization,
        cookie: req.headers.cookie,
        queryToken: url.searchParams.get('token'),
        pathname: url.pathname,
      },
    )
    if (!via) return { ok: false, status: 401, why: 'missing or wrong token' }
    return { ok: true, via }
  }

  /** The request's URL, or null when it cannot be parsed (a 400). */
  function parseUrl(req: IncomingMessage): URL | null {
    try {
      return new URL(req.url ?? '/', 'http://127.0.0.1')
    } catch {
      return null
    }
  }

  /** The route inside the session: "/s/<id>/api/x" → "/api/x"; other paths are routed as they are. */
  function route(pathname: string): string {
    return pathname.startsWith(prefix) ? '/' + pathname.slice(prefix.length) : pathname
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = parseUrl(req)
    if (!url) return sendJson(res, 400, { error: 'malformed request URL' })
    const g = gate(req, url)
    if (!g.ok) {
      log(`refused ${req.method} ${url.pathname}: ${g.why}`)
      res.writeHead(g.status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
      res.end(
        g.status === 401
          ? 'fws serve: this request needs the token. Open the URL printed by `fws serve`.\n'
          : 'fws serve: refused.\n',
      )
      return
    }
    const pathname = route(url.pathname)
    if (g.via === 'query' && req.method === 'GET') {
      // Trade the one-time query token for a cookie bound to the session path (see security.ts),
      // drop it from the address bar and move the page under that path.
      url.searchParams.delete('token')
      res.writeHead(302, {
        'Set-Cookie': tokenCookie(port, sessionId, token),
        Location: prefix + pathname.replace(/^\/+/, '') + url.search,
        'Cache-Control': 'no-store',
      })
      res.end()
      return
    }
    if (pathname.startsWith('/api/')) return handleApi(req, res, pathname.slice('/api/'.length))
    for (const [prefix, handle] of [
      ['/media/', handleMedia],
      ['/proxy/', handleProxy],
    ] as const)
      if (pathname.startsWith(prefix)) {
        const id = decodePath(pathname.slice(prefix.length))
        if (id === null) return sendJson(res, 400, { error: 'malformed %-encoding in the media id' })
        return handle(req, res, id)
      }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendJson(res, 405, { error: 'method not allowed' })
    return handleStatic(req, res, pathname)
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'use POST for API requests' })
    if (!isRequestName(name)) return sendJson(res, 404, { error: `unknown request "${name}"` })
    const declared = Number(req.headers['content-length'] ?? 0)
    if (declared > MAX_BODY) return refuseBody(req, res)
    const body = await readBody(req)
    if (body === null) return refuseBody(req, res)
    let payload: unknown
    try {
      // An empty body means "no payload" (requests whose schema is z.undefined()).
      payload = body.trim() === '' ? undefined : JSON.parse(body)
    } catch {
      return sendJson(res, 400, { error: 'request body is not valid JSON' })
    }
    try {
      const valid = validateRequest(name, payload)
      const result = await (opts.service.handlers[name] as (p: unknown) => Promise<unknown>)(valid)
      sendJson(res, 200, { result: result === undefined ? null : result })
    } catch (err) {
      const status = httpStatusFor(err)
      if (status >= 500) log(`${name} failed: ${(err as Error)?.stack ?? String(err)}`)
      sendJson(res, status, { error: (err as Error)?.message ?? String(err) })
    }
  }

  async function handleMedia(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendJson(res, 405, { error: 'method not allowed' })
    // Only media of the open project: the engine maps ids to files, never a path from the client.
    const file = opts.service.mediaFile(id)
    if (!file) return sendJson(res, 404, { error: `media "${id}" is not in the open project` })
    return streamFile(req, res, file)
  }

  /** The playable proxy the engine made for a media item (media.playback said `proxy`). */
  async function handleProxy(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendJson(res, 405, { error: 'method not allowed' })
    const file = await opts.service.proxyFile(id)
    if (!file) return sendJson(res, 404, { error: `no playable proxy of media "${id}" (ask media.playback)` })
    return streamFile(req, res, file)
  }

  /** Streams a file with range support (the <video> element seeks with `bytes=a-b`). */
  async function streamFile(req: IncomingMessage, res: ServerResponse, file: string): Promise<void> {
    let size: number
    try {
      size = (await fsp.stat(file)).size
    } catch {
      return sendJson(res, 404, { error: `media file is gone: ${file}` })
    }
    const r = parseRange(req.headers.range, size)
    const common = {
      'Content-Type': mediaContentType(file),
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    }
    if (r.kind === 'unsatisfiable') {
      res.writeHead(416, { ...common, 'Content-Range': `bytes */${size}` })
      res.end()
      return
    }
    const [start, end] = r.kind === 'partial' ? [r.start, r.end] : [0, size - 1]
    res.writeHead(r.kind === 'partial' ? 206 : 200, {
      ...common,
      'Content-Length': String(Math.max(0, end - start + 1)),
      ...(r.kind === 'partial' ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}),
    })
    if (req.method === 'HEAD' || size === 0) {
      res.end()
      return
    }
    const stream = createReadStream(file, { start, end })
    stream.on('error', () => res.destroy())
    res.on('close', () => stream.destroy())
    stream.pipe(res)
  }

  async function handleStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const decoded = decodePath(pathname)
    if (decoded === null) return sendJson(res, 400, { error: 'malformed %-encoding in the path' })
    const rel = pathname === '/' ? 'index.html' : decoded.replace(/^\/+/, '')
    if (rel.includes('\0')) return sendJson(res, 400, { error: 'NUL in the path' })
    const file = path.resolve(rendererDir, rel)
    if (file !== rendererDir && !file.startsWith(rendererDir + path.sep))
      return sendJson(res, 403, { error: 'outside the renderer folder' })
    let data: Buffer
    try {
      data = await fsp.readFile(file)
    } catch {
      return sendJson(res, 404, { error: `not found: ${pathname}` })
    }
    const ext = path.extname(file).toLowerCase()
    res.writeHead(200, {
      'Content-Type': STATIC_TYPES[ext] ?? 'application/octet-stream',
      'Content-Length': String(data.length),
      'Content-Security-Policy': SERVE_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cache-Control': ext === '.html' ? 'no-store' : 'private, max-age=3600',
    })
    res.end(req.method === 'HEAD' ? undefined : data)
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = parseUrl(req)
    const g = url ? gate(req, url) : ({ ok: false, status: 400, why: 'malformed URL' } as const)
    if (!url || !g.ok || route(url.pathname) !== '/events') {
      log(`refused upgrade ${url?.pathname ?? req.url}: ${g.ok ? 'unknown path' : g.why}`)
      const status = g.ok
        ? '404 Not Found'
        : g.status === 401
          ? '401 Unauthorized'
          : g.status === 400
            ? '400 Bad Request'
            : '403 Forbidden'
      socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws)
      ws.on('close', () => sockets.delete(ws))
      ws.on('error', () => sockets.delete(ws))
      // The socket is push-only; anything the page sends is ignored.
    })
  })

  const unsubscribers = EVENT_NAMES.map((event) =>
    opts.service.on(event, (payload) => {
      const msg = JSON.stringify({ event, payload })
      for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(msg)
    }),
  )

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  port = (server.address() as { port: number }).port
  const origin = `http://127.0.0.1:${port}`
  return {
    url: `${origin}/?token=${token}`,
    sessionPath: prefix,
    sessionId,
    origin,
    port,
    token,
    server,
    async close() {
      for (const u of unsubscribers) u()
      for (const ws of sockets) ws.terminate()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(data)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  })
  res.end(data)
}

/** A decoded URL path segment, or null when its %-encoding is malformed. */
function decodePath(s: string): string | null {
  try {
    return decodeURIComponent(s)
  } catch {
    return null
  }
}

/** The request body as text, or null as soon as it grows past MAX_BODY (the rest is left unread). */
function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) {
        req.off('data', onData)
        req.off('end', onEnd)
        req.pause()
        resolve(null)
        return
      }
      chunks.push(c)
    }
    const onEnd = () => resolve(Buffer.concat(chunks).toString('utf8'))
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', reject)
  })
}

/**
 * 413 for a body over MAX_BODY: the whole answer is written at once, then the connection closes.
 * Closing a socket with unread data makes the kernel send a reset that can wipe out the answer
 * before the client reads it, so up to MAX_DRAIN more bytes (or DRAIN_MS) are read and discarded
 * first ("lingering close"); the body itself is never buffered.
 */
function refuseBody(req: IncomingMessage, res: ServerResponse): void {
  const data = JSON.stringify({ error: `request body larger than ${MAX_BODY} bytes` })
  res.writeHead(413, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(data)),
    'Cache-Control': 'no-store',
    Connection: 'close',
  })
  res.write(data)
  let drained = 0
  const done = () => {
    clearTimeout(timer)
    req.off('data', onData)
    req.off('end', done)
    req.off('error', done)
    res.end()
  }
  const onData = (c: Buffer) => {
    drained += c.length
    if (drained > MAX_DRAIN) done()
  }
  const timer = setTimeout(done, DRAIN_MS)
  req.on('data', onData)
  req.on('end', done)
  req.on('error', done)
  req.resume()
}
