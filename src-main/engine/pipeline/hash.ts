/**
 * Content identity of a media file for resume decisions: SHA-256 of the bytes, streamed (a
 * multi-GB recording never sits in memory), cancellable. Why the full content and not
 * size + mtime: archives get copied and touched; a re-run must not redo work because a file moved,
 * and must redo it when the bytes changed even if the size did not.
 */
import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { abortError } from '../core/abort'

/** Hex SHA-256 of a file's content, prefixed `sha256:`. */
export async function contentHash(
  file: string,
  opts: { signal?: AbortSignal; onProgress?: (bytes: number) => void } = {},
): Promise<string> {
  if (opts.signal?.aborted) throw abortError()
  const h = createHash('sha256')
  let bytes = 0
  // O_NONBLOCK: opening a named pipe that replaced the file since discovery must not block; the
  // handle's own fstat then refuses anything but a regular file before a byte is read.
  const fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    if (!(await fh.stat()).isFile())
      throw Object.assign(new Error(`${file} is not a regular file`), { code: 'ENOTREG' })
  } catch (err) {
    await fh.close()
    throw err
  }
  const stream = fh.createReadStream({ highWaterMark: 1 << 20, signal: opts.signal })
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      h.update(chunk)
      bytes += chunk.length
      opts.onProgress?.(bytes)
    }
  } catch (err) {
    if (opts.signal?.aborted) throw abortError()
    throw err
  }
  return `sha256:${h.digest('hex')}`
}
