/**
 * HTTP Range header parsing for media streaming (the <video> element seeks with `bytes=a-b`).
 * Pure, so every shape of header is tested without a file.
 */

export type RangeResult =
  { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' }

/**
 * Parses a single-range `Range` header against a file of `size` bytes. Multi-range requests are
 * answered with the full body (allowed by RFC 9110), malformed headers are ignored likewise.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: 'full' }
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!m) return { kind: 'full' }
  const [, a, b] = m
  if (a === '' && b === '') return { kind: 'full' }
  let start: number
  let end: number
  if (a === '') {
    // Suffix range: the last N bytes.
    const n = Number(b)
    if (n === 0) return { kind: 'unsatisfiable' }
    start = Math.max(0, size - n)
    end = size - 1
  } else {
    start = Number(a)
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1)
  }
  if (start >= size || start > end) return { kind: 'unsatisfiable' }
  return { kind: 'partial', start, end }
}

const MEDIA_TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.mov': 'video/quicktime',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
  '.ogv': 'video/ogg',
  '.ogg': 'audio/ogg',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.m4a': 'audio/mp4',
  '.flac': 'audio/flac',
  '.avi': 'video/x-msvideo',
}

/** Content-Type of a media file by extension (application/octet-stream when unknown). */
export function mediaContentType(file: string): string {
  const dot = file.lastIndexOf('.')
  return (dot >= 0 && MEDIA_TYPES[file.slice(dot).toLowerCase()]) || 'application/octet-stream'
}
