/**
 * What makes two media files the same project entry: the content hash of the bytes AND the
 * identity of their segmentation source. Two files with the same bytes but different sidecar
 * subtitles (a.mp4 + a.srt, b.mp4 + b.srt) are different utterances with different transcripts,
 * so they are two entries; the same bytes with no subtitle file (embedded stream or voice
 * activity: both derived from the bytes alone) or with byte-identical subtitles are one.
 * Owns the streamed SHA-256 of a file and the segmentation key ('' = from the media bytes,
 * 'subs:<sha256>' = from that subtitle file's content).
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import path from 'node:path'
import { cancelledError } from '../media/errors'
import { findSidecar } from '../segment'

/** Plain hex SHA-256 of a file's content, streamed. */
export async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256')
  const stream = createReadStream(file, { highWaterMark: 1 << 20, signal })
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) h.update(chunk)
  } catch (err) {
    if (signal?.aborted) throw cancelledError(file, 'hashing')
    throw err
  }
  return h.digest('hex')
}

export interface SegmentationSourceOptions {
  /** An explicit subtitle file (wins, as in segmentMediaDetailed). */
  subs?: string
  /** A folder of sidecars looked at before the media's own folder (`fws batch --subs-dir`). */
  subsDir?: string | null
  /** Forced voice activity detection: no subtitle file is read. */
  vad?: boolean
  signal?: AbortSignal
}

/**
 * The subtitle file segmentation will read for `file`, in segmentMediaDetailed's order
 * (explicit, then --subs-dir sidecar, then the media's own sidecar), or null.
 */
export async function subtitleSourceFor(
  file: string,
  opts: SegmentationSourceOptions = {},
): Promise<string | null> {
  if (opts.vad) return null
  if (opts.subs) return path.resolve(opts.subs)
  if (opts.subsDir) {
    const s = await findSidecar(path.join(opts.subsDir, path.basename(file)))
    if (s) return s
  }
  return findSidecar(file)
}

/** '' when segmentation comes from the media bytes; 'subs:<sha256>' from a subtitle file's content. */
export async function segmentationKey(file: string, opts: SegmentationSourceOptions = {}): Promise<string> {
  const subs = await subtitleSourceFor(file, opts)
  return subs ? `subs:${await sha256File(subs, opts.signal)}` : ''
}
