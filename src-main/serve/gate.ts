/**
 * The gate every HTTP request and WebSocket upgrade passes — loopback peer, own Host, own Origin,
 * token (the rules themselves are in security.ts) — what a refused request is answered, and the
 * trade of the one-time query token for the cookie bound to the session path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { findValidToken, isLoopbackAddress, isOwnHost, isOwnOrigin, tokenCookie } from './security'

/** What one run of the server checks requests against. */
export interface SessionKeys {
  token: string
  sessionId: string
  /** The session path the page lives under ("/s/<id>/"). */
  prefix: string
  /** The port the server listens on (0 until it listens). */
  port: number
}

export type GateResult = { ok: true; via: string } | { ok: false; status: number; why: string }

/** The gate every HTTP request and upgrade passes: loopback peer, own Host, own Origin, token. */
export function gate(keys: SessionKeys, req: IncomingMessage, url: URL): GateResult {
  const { port, sessionId, token } = keys
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

/** The plain-text answer to a request the gate refused (401 says how to get in, 403 does not). */
export function refuseRequest(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
  res.end(
    status === 401
      ? 'fws serve: this request needs the token. Open the URL printed by `fws serve`.\n'
      : 'fws serve: refused.\n',
  )
}

/** The HTTP status line a refused WebSocket upgrade is answered with (gate passed: an unknown path). */
export function upgradeRefusalStatus(g: GateResult): string {
  if (g.ok) return '404 Not Found'
  if (g.status === 401) return '401 Unauthorized'
  if (g.status === 400) return '400 Bad Request'
  return '403 Forbidden'
}

/**
 * Trades the one-time query token for a cookie bound to the session path (see security.ts), drops
 * it from the address bar and moves the page under that path (a 302 to the same route there).
 */
export function tradeQueryToken(res: ServerResponse, keys: SessionKeys, url: URL, route: string): void {
  url.searchParams.delete('token')
  res.writeHead(302, {
    'Set-Cookie': tokenCookie(keys.port, keys.sessionId, keys.token),
    Location: keys.prefix + route.replace(/^\/+/, '') + url.search,
    'Cache-Control': 'no-store',
  })
  res.end()
}
