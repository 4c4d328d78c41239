/**
 * API request bodies: read up to MAX_BODY, and the 413 for a larger one (answered so that the
 * client gets to read it, without ever buffering the body).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

/** Largest API request body; a larger one is answered 413 before it is read. */
export const MAX_BODY = 8 * 1024 * 1024
/** After a 413, how much of the rest is read and thrown away (so the answer is not lost to a reset) before closing. */
const MAX_DRAIN = 1024 * 1024
const DRAIN_MS = 2000

/** The request body as text, or null as soon as it grows past MAX_BODY (the rest is left unread). */
export function readBody(req: IncomingMessage): Promise<string | null> {
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
export function refuseBody(req: IncomingMessage, res: ServerResponse): void {
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
