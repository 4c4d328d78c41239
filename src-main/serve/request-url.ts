/** A request's URL as the server reads it: parsed, %-decoded, and routed inside the session path. */
import type { IncomingMessage } from 'node:http'

/** The request's URL, or null when it cannot be parsed (a 400). */
export function parseUrl(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://127.0.0.1')
  } catch {
    return null
  }
}

/** A decoded URL path segment, or null when its %-encoding is malformed. */
export function decodePath(s: string): string | null {
  try {
    return decodeURIComponent(s)
  } catch {
    return null
  }
}

/** The route inside the session: "/s/<id>/api/x" → "/api/x"; other paths are routed as they are. */
export function routeIn(prefix: string, pathname: string): string {
  return pathname.startsWith(prefix) ? '/' + pathname.slice(prefix.length) : pathname
}
