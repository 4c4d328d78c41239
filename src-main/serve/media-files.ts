/**
 * /media/<id> and /proxy/<id>: files of the open project streamed with range requests (the
 * <video> element seeks with `bytes=a-b`). The engine maps ids to files; a path from the client
 * is never opened.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createReadStream, promises as fsp } from 'node:fs'
import type { EngineService } from '../engine/service'
import { mediaContentType, parseRange } from './range'
import { sendJson } from './reply'

/** What a media route streams: the file the engine has for an id (null: none), and the 404 then. */
export interface MediaSource {
  find(service: EngineService, id: string): string | null | Promise<string | null>
  missing(id: string): string
}

/** /media/<id>: only media of the open project (the engine maps ids to files, never a path from the client). */
export const PROJECT_MEDIA: MediaSource = {
  find: (service, id) => service.mediaFile(id),
  missing: (id) => `media "${id}" is not in the open project`,
}

/** /proxy/<id>: the playable proxy the engine made for a media item (media.playback said `proxy`). */
export const PLAYABLE_PROXY: MediaSource = {
  find: (service, id) => service.proxyFile(id),
  missing: (id) => `no playable proxy of media "${id}" (ask media.playback)`,
}

/** GET/HEAD of the file a media route has for `id`, streamed with range support. */
export async function handleMediaFile(
  service: EngineService,
  source: MediaSource,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return sendJson(res, 405, { error: 'method not allowed' })
  const file = await source.find(service, id)
  if (!file) return sendJson(res, 404, { error: source.missing(id) })
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
