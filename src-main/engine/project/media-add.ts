/**
 * Adding media files to a project: content hash (streamed SHA-256), probe and initial
 * segmentation (helper A's segmentMediaDetailed: sidecar subtitles → embedded subtitles → VAD),
 * then one store transaction. Owns the per-file progress, cancellation and the rule that the
 * same media identity (content + segmentation source, see media-identity.ts) is never added twice.
 */
import path from 'node:path'
import type { MediaInfo } from './types'
import { cancelledError, MediaError } from '../media/errors'
import { probe } from '../media/probe'
import { segmentMediaDetailed, type SegmentOptions } from '../segment'
import { segmentationKey, sha256File } from './media-identity'
import type { NewUtterance, ProjectStore } from './store'

export interface AddMediaOptions {
  signal?: AbortSignal
  /** Fraction over all files (monotonic), with the file being worked on. */
  onProgress?: (fraction: number, file: string) => void
  /** Segmentation tuning passed to segmentMedia (subs file, VAD options...). */
  segment?: Omit<SegmentOptions, 'signal' | 'onProgress'>
}

/**
 * Adds each file (in order) and returns their MediaInfo. A file whose content and subtitle source
 * are already in the project returns the existing entry. A playable file that cannot be segmented (no audio and no
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
    const segKey = await segmentationKey(file, {
      subs: opts.segment?.subs,
      vad: opts.segment?.vad === true || typeof opts.segment?.vad === 'object',
      signal: opts.signal,
    })
    step(0.2)
    const existing = store.findMedia(sha, segKey)
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
          segKey,
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
