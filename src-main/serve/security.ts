/**
 * Browser-mode access rules, as pure functions so they can be tested without a socket: which peer
 * addresses may talk to the server (loopback only), the per-run token (generated, compared in
 * constant time, carried by header, cookie or a one-time query parameter), the cookie's scope,
 * which Host/Origin values are our own (DNS-rebinding and cross-site defence), and the
 * Content-Security-Policy we send.
 *
 * Cookie scope: browsers send a cookie to every port of a host, so a cookie with Path=/ would
 * reach any other service on 127.0.0.1 the browser visits. The page therefore lives under a
 * per-run random path (/s/<session id>/) and the cookie is bound to that Path (plus HttpOnly,
 * SameSite=Strict) and named after the port and the session id: another local service only gets
 * it if the browser requests that unguessable path from it, and two fws servers never share one.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import net from 'node:net'

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (::ffff:127.x.y.z). Anything else is refused. */
export function isLoopbackAddress(address: string | undefined | null): boolean {
  if (!address) return false
  let a = address.trim().toLowerCase()
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1)
  const zone = a.indexOf('%')
  if (zone >= 0) a = a.slice(0, zone)
  if (a.startsWith('::ffff:')) {
    const v4 = a.slice('::ffff:'.length)
    if (net.isIPv4(v4)) a = v4
  }
  if (net.isIPv4(a)) return a.split('.')[0] === '127'
  if (net.isIPv6(a)) return a === '::1' || a === '0:0:0:0:0:0:0:1'
  return false
}

/** A fresh random token for one run of `fws serve` (256 bits, URL-safe). */
export function makeToken(): string {
  return randomBytes(32).toString('base64url')
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from response timing. */
export function tokenMatches(expected: string, given: string | undefined | null): boolean {
  if (!given) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** A fresh random session id for one run: names the page's path and the cookie (128 bits, URL-safe). */
export function makeSessionId(): string {
  return randomBytes(16).toString('base64url')
}

/** The path prefix the page and everything it loads live under ("/s/<id>/"). */
export function sessionPath(sessionId: string): string {
  return `/s/${sessionId}/`
}

/** The cookie's name: its port and session id, so no other server's cookie is taken for ours. */
export function cookieName(port: number, sessionId: string): string {
  return `fws_${port}_${sessionId}`
}

/** The Set-Cookie value carrying the token: only for our session path, never readable by scripts. */
export function tokenCookie(port: number, sessionId: string, token: string): string {
  return `${cookieName(port, sessionId)}=${token}; Path=${sessionPath(sessionId)}; HttpOnly; SameSite=Strict`
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (!header) return out
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    const k = part.slice(0, eq).trim()
    const v = part.slice(eq + 1).trim()
    if (!k) continue
    try {
      out[k] = decodeURIComponent(v)
    } catch {
      out[k] = v // another site's cookie with a stray '%' must not break our request
    }
  }
  return out
}

export interface TokenSources {
  authorization?: string
  cookie?: string
  queryToken?: string | null
  /** The request's path: the cookie only counts under the session path it is bound to. */
  pathname?: string
}

/**
 * Where the token was found ('header' | 'cookie' | 'query'), or null when no valid token came with
 * the request. The cookie is ours only by its exact name, and only on a path under the session path.
 */
export function findValidToken(
  token: string,
  scope: { port: number; sessionId: string },
  src: TokenSources,
): 'header' | 'cookie' | 'query' | null {
  const bearer = src.authorization?.match(/^Bearer\s+(.+)$/i)?.[1]
  if (tokenMatches(token, bearer)) return 'header'
  const underSession = (src.pathname ?? '').startsWith(sessionPath(scope.sessionId))
  if (underSession && tokenMatches(token, parseCookies(src.cookie)[cookieName(scope.port, scope.sessionId)]))
    return 'cookie'
  if (tokenMatches(token, src.queryToken ?? undefined)) return 'query'
  return null
}

/**
 * A Host header naming a loopback host on our port. Anything else (a DNS name pointing at
 * 127.0.0.1, i.e. DNS rebinding) is refused even with a loopback peer.
 */
export function isOwnHost(host: string | undefined, port: number): boolean {
  if (!host) return false
  const allowed = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]
  return allowed.includes(host.toLowerCase())
}

/** An Origin header, when the browser sends one, must be our own origin (no cross-site requests). */
export function isOwnOrigin(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true
  try {
    const u = new URL(origin)
    return u.protocol === 'http:' && isOwnHost(u.host, port)
  } catch {
    return false
  }
}

/** The renderer's policy in browser mode: own scripts only, no eval, media and sockets to ourselves. */
export const SERVE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')
