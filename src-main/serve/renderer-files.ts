/**
 * The built renderer (out/renderer): its files served from its folder only, with the CSP and the
 * other headers the page runs under, and the start-up check that it has been built.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { decodePath } from './request-url'
import { sendJson } from './reply'
import { SERVE_CSP } from './security'

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

/** GET/HEAD of a file of the renderer folder (an absolute, resolved path); "/" is index.html. */
export async function handleRendererFile(
  rendererDir: string,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): Promise<void> {
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
