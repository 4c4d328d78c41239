/**
 * Batch results into a project (`fws batch --project FILE`, and the app's inference job). Owns
 * the mapping between a batch file and the project's media (by content hash and segmentation
 * source, so same-byte files with different sidecar subtitles stay apart), using the
 * project's own utterances when the file is already in it (so corrected cuts are what gets
 * predicted), adding the file with the batch's segmentation when it is not, and writing the
 * predictions with their model versions through the store's API.
 */
import { existsSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { segmentationKey } from '../project/media-identity'
import { ProjectStore } from '../project/store'
import type { FileResult, Segment } from './types'

export interface ProjectSink {
  segmentsFor(file: string, contentHash: string): Promise<Segment[] | null>
  write(file: string, result: FileResult, contentHash: string): Promise<void>
  close(): void
}

/** The project stores plain hex SHA-256; batch records carry a `sha256:` prefix. */
export function hexHash(contentHash: string): string {
  return contentHash.replace(/^sha256:/, '')
}

export interface SinkOptions {
  /** The batch's --subs-dir: where segmentation looks for sidecars first (part of media identity). */
  subsDir?: string | null
  /** Files already known as media of the project (the app's inference job): path → media id. */
  mediaByFile?: Map<string, string>
}

/** Opens (or creates) the project file and returns a sink writing into it. */
export async function projectWriter(file: string, opts: SinkOptions = {}): Promise<ProjectSink> {
  const store = existsSync(file) ? ProjectStore.open(file) : ProjectStore.create(file)
  return storeSink(store, () => store.close(), opts)
}

/** A sink over an already open store (the app's current project); `close` is the caller's. */
export function storeSink(
  store: ProjectStore,
  close: () => void = () => {},
  opts: SinkOptions = {},
): ProjectSink {
  const keyOf = (file: string) => segmentationKey(file, { subsDir: opts.subsDir })
  /** The entry a file was added as, when the caller knows it; else by content + segmentation source. */
  const find = async (file: string, sha: string) => {
    const known = opts.mediaByFile?.get(file)
    return known ? store.getMedia(known) : store.findMedia(sha, await keyOf(file))
  }
  return {
    async segmentsFor(file, contentHash) {
      const media = await find(file, hexHash(contentHash))
      if (!media) return null
      const rows = store.listUtterances(media.id)
      if (!rows.length) return null
      return rows.map((u) => ({ start: u.start, end: u.end, text: u.transcript, source: u.source }))
    },
    async write(file, result, contentHash) {
      const sha = hexHash(contentHash)
      const segKey = await keyOf(file)
      const media =
        (await find(file, sha)) ??
        store.addMedia(
          {
            absPath: file,
            sha256: sha,
            segKey,
            sizeBytes: (await stat(file)).size,
            durationSec: result.durationSec,
            hasAudio: result.hasAudio,
            hasVideo: result.hasVideo,
            probe: result.probe,
          },
          result.utterances.map((u) => ({ start: u.start, end: u.end, text: u.text, source: u.textSource })),
        )
      // Match by bounds at millisecond precision: the store rounds and sorts what it is given.
      const byBounds = new Map(
        store
          .listUtterances(media.id)
          .map((r) => [`${Math.round(r.start * 1000)}:${Math.round(r.end * 1000)}`, r.id]),
      )
      const rows = []
      for (const u of result.utterances) {
        const id = byBounds.get(`${Math.round(u.start * 1000)}:${Math.round(u.end * 1000)}`)
        if (!id) continue
        if (u.emotionReason && result.models.emotion)
          rows.push({
            utteranceId: id,
            task: 'emotion' as const,
            modelVersion: modelTag(result.models.emotion),
            noEvidence: u.emotionReason,
          })
        else if (u.emotion && result.models.emotion)
          rows.push({
            utteranceId: id,
            task: 'emotion' as const,
            modelVersion: modelTag(result.models.emotion),
            probabilities: u.emotion.probabilities,
            label: u.emotion.label,
          })
        if (u.translation !== null && result.models.translation)
          rows.push({
            utteranceId: id,
            task: 'translation' as const,
            modelVersion: modelTag(result.models.translation),
            translation: u.translation,
          })
      }
      if (rows.length) store.writePredictions(rows)
    },
    close,
  }
}

export function modelTag(m: { name: string; version: string }): string {
  return `${m.name}@${m.version}`
}
