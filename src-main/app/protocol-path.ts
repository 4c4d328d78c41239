/**
 * The app:// protocol's file lookup, pure so it is unit-tested: a request URL → a file inside the
 * built renderer folder, or the HTTP status refusing it. Only host "renderer", only files inside
 * the folder (.. segments, encoded slashes/backslashes, NUL and malformed %-encoding refused),
 * "/" is index.html.
 */
import path from 'node:path'
import { APP_HOST, APP_SCHEME } from './renderer-origin'

export type RendererFile = { file: string } | { status: 400 | 403 | 404; why: string }

export function resolveRendererFile(rendererDir: string, requestUrl: string): RendererFile {
  let u: URL
  try {
    u = new URL(requestUrl)
  } catch {
    return { status: 400, why: 'malformed URL' }
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST)
    return { status: 404, why: `unknown host ${u.host}` }
  let rel: string
  try {
    rel = decodeURIComponent(u.pathname)
  } catch {
    return { status: 400, why: 'malformed %-encoding' }
  }
  if (rel.includes('\0') || rel.includes('\\')) return { status: 400, why: 'NUL or backslash in the path' }
  if (rel.split('/').includes('..')) return { status: 403, why: 'path traversal' }
  if (rel === '/' || rel === '') rel = '/index.html'
  const root = path.resolve(rendererDir)
  const file = path.resolve(root, '.' + rel)
  if (!file.startsWith(root + path.sep)) return { status: 403, why: 'outside the renderer folder' }
  return { file }
}
