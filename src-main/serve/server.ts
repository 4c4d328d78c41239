/**
 * The browser-mode server behind `fws serve`: the same typed contract as Electron's IPC, over
 * HTTP (POST /api/<request>) and a WebSocket (/events) on 127.0.0.1 only, guarded by a per-run
 * token. It serves the built renderer (out/renderer) and streams media of the open project with
 * range requests. It holds no state of its own: every request is validated against the contract
 * and handed to the engine service, exactly as src-main/app/main.ts does for IPC.
 *
 * This file starts the server and routes each request past the gate (gate.ts) to the part that
 * owns it: the API (api.ts), media streaming (media-files.ts), the renderer's files
 * (renderer-files.ts) and the event socket (events.ts).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import path from 'node:path'
import type { EngineService } from '../engine/service'
import { handleApi } from './api'
import { startEventHub, type EventHub } from './events'
import { gate, refuseRequest, tradeQueryToken, upgradeRefusalStatus, type SessionKeys } from './gate'
import { handleMediaFile, PLAYABLE_PROXY, PROJECT_MEDIA } from './media-files'
import { checkRendererDir, handleRendererFile } from './renderer-files'
import { sendJson } from './reply'
import { decodePath, parseUrl, routeIn } from './request-url'
import { makeSessionId, makeToken, sessionPath } from './security'

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

/** What every request of one run is handled with. */
interface ServeContext {
  service: EngineService
  /** The renderer folder, resolved. */
  rendererDir: string
  keys: SessionKeys
  log: (line: string) => void
}

/** Routes under /media/ and /proxy/: the rest of the path is a media id. */
const MEDIA_ROUTES = [
  ['/media/', PROJECT_MEDIA],
  ['/proxy/', PLAYABLE_PROXY],
] as const

/** One HTTP request: the gate, the query-token trade, then the API, media or the renderer's files. */
async function handleRequest(ctx: ServeContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = parseUrl(req)
  if (!url) return sendJson(res, 400, { error: 'malformed request URL' })
  const g = gate(ctx.keys, req, url)
  if (!g.ok) {
    ctx.log(`refused ${req.method} ${url.pathname}: ${g.why}`)
    return refuseRequest(res, g.status)
  }
  const route = routeIn(ctx.keys.prefix, url.pathname)
  if (g.via === 'query' && req.method === 'GET') return tradeQueryToken(res, ctx.keys, url, route)
  if (route.startsWith('/api/')) return handleApi(ctx.service, ctx.log, req, res, route.slice('/api/'.length))
  for (const [prefix, source] of MEDIA_ROUTES)
    if (route.startsWith(prefix)) {
      const id = decodePath(route.slice(prefix.length))
      if (id === null) return sendJson(res, 400, { error: 'malformed %-encoding in the media id' })
      return handleMediaFile(ctx.service, source, req, res, id)
    }
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return sendJson(res, 405, { error: 'method not allowed' })
  return handleRendererFile(ctx.rendererDir, req, res, route)
}

/** A WebSocket upgrade: only /events, and only past the gate; anything else gets its status and a close. */
function handleUpgrade(
  ctx: ServeContext,
  events: EventHub,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  const url = parseUrl(req)
  const g = url ? gate(ctx.keys, req, url) : ({ ok: false, status: 400, why: 'malformed URL' } as const)
  if (!url || !g.ok || routeIn(ctx.keys.prefix, url.pathname) !== '/events') {
    ctx.log(`refused upgrade ${url?.pathname ?? req.url}: ${g.ok ? 'unknown path' : g.why}`)
    socket.write(`HTTP/1.1 ${upgradeRefusalStatus(g)}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    socket.destroy()
    return
  }
  events.accept(req, socket, head)
}

/** Listens on 127.0.0.1 only; resolves with the port once listening. */
async function listenOnLoopback(server: http.Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  return (server.address() as { port: number }).port
}

/** Starts the server on 127.0.0.1 and resolves once it listens. */
export async function startServe(opts: ServeOptions): Promise<ServeHandle> {
  await checkRendererDir(opts.rendererDir)
  const sessionId = makeSessionId()
  const keys: SessionKeys = {
    token: opts.token ?? makeToken(),
    sessionId,
    prefix: sessionPath(sessionId),
    port: 0,
  }
  const ctx: ServeContext = {
    service: opts.service,
    rendererDir: path.resolve(opts.rendererDir),
    keys,
    log: opts.log ?? (() => {}),
  }
  const events = startEventHub(opts.service)
  const server = http.createServer((req, res) => {
    handleRequest(ctx, req, res).catch((err: Error) => {
      if (!res.headersSent) sendJson(res, 500, { error: err.message })
      else res.destroy()
    })
  })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    handleUpgrade(ctx, events, req, socket, head),
  )
  keys.port = await listenOnLoopback(server, opts.port ?? 0)
  const origin = `http://127.0.0.1:${keys.port}`
  return {
    url: `${origin}/?token=${keys.token}`,
    sessionPath: keys.prefix,
    sessionId,
    origin,
    port: keys.port,
    token: keys.token,
    server,
    async close() {
      events.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
