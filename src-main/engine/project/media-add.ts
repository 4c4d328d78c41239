/**
 * Adding media files to a project: content hash (streamed SHA-256), probe and initial
 * segmentation (helper A's segmentMediaDetailed: sidecar subtitles → embedded subtitles → VAD),
 * then one store transaction. Owns the per-file progress, cancellation and the rule that the
 * same content is never added twice.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import path from 'node:path'
import type { MediaInfo } from '../../shared/contract'
import { cancelledError, MediaError } from '../media/errors'
import { probe } from '../media/probe'
import { segmentMediaDetailed, type SegmentOptions } from '../segment'
import type { NewUtterance, ProjectStore } from './store'

export interface AddMediaOptions {
  signal?: AbortSignal
  /** Fraction over all files (monotonic), with the file being worked on. */
  onProgress?: (fraction: number, file: string) => void
  /** Segmentation tuning passed to segmentMedia (subs file, VAD options...). */
  segment?: Omit<SegmentOptions, 'signal' | 'onProgress'>
}

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

/**
 * Adds each file (in order) and returns their MediaInfo. A file whose content is already in the
 * project returns the existing entry. A playable file that cannot be segmented (no audio and no
 * subtitles) is added with no utterances, so a segmentation can be imported for it; a file that
 * is not media (or missing, truncated...) fails with the probe's specific MediaError.
 */
export async function addMediaFiles(
  store: ProjectStore,
  files: string[],
  opts: AddMediaOptions = {},
): Promise<MediaInfo[]> {
  const out: MediaInfo[] = []
  for (const [i, f] of files.entries()) {
    const file = path.resolve(f)
    const step = (x: number) => opts.onProgress?.((i + x) / files.length, file)
    step(0)
    const info = await probe(file, { signal: opts.signal })
    const sha = await sha256File(file, opts.signal)
    step(0.2)
    const existing = store.findMediaBySha(sha)
    if (existing) {
      out.push(existing)
      step(1)
      continue
    }
    let utterances: NewUtterance[] = []
    try {
      const seg = await segmentMediaDetailed(file, {
        ...opts.segment,
        signal: opts.signal,
        onProgress: (p) => step(0.2 + 0.8 * p),
      })
      utterances = seg.utterances.map((u) => ({ start: u.start, end: u.end, text: u.text, source: u.source }))
    } catch (err) {
      if (!(err instanceof MediaError && err.code === 'NO_AUDIO')) throw err
    }
    if (opts.signal?.aborted) throw cancelledError(file, 'adding media')
    out.push(
      store.addMedia(
        {
          absPath: file,
          sha256: sha,
          sizeBytes: info.sizeBytes,
          durationSec: info.durationSec,
          hasAudio: info.audio != null,
          hasVideo: info.video != null,
          probe: info,
        },
        utterances,
      ),
    )
    step(1)
  }
  return out
}
