/**
 * Batch results into a project (`fws batch --project FILE`, and the app's inference job). Owns
 * the mapping between a batch file and the project's media (by content hash), using the
 * project's own utterances when the file is already in it (so corrected cuts are what gets
 * predicted), adding the file with the batch's segmentation when it is not, and writing the
 * predictions with their model versions through the store's API.
 */
import { existsSync } from 'node:fs'
import { stat } from 'node:fs/promises'
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

/** Opens (or creates) the project file and returns a sink writing into it. */
export async function projectWriter(file: string): Promise<ProjectSink> {
  const store = existsSync(file) ? ProjectStore.open(file) : ProjectStore.create(file)
  return storeSink(store, () => store.close())
}

/** A sink over an already open store (the app's current project); `close` is the caller's. */
export function storeSink(store: ProjectStore, close: () => void = () => {}): ProjectSink {
  return {
    async segmentsFor(_file, contentHash) {
      const media = store.findMediaBySha(hexHash(contentHash))
      if (!media) return null
      const rows = store.listUtterances(media.id)
      if (!rows.length) return null
      return rows.map((u) => ({ start: u.start, end: u.end, text: u.transcript, source: u.source }))
    },
    async write(file, result, contentHash) {
      const sha = hexHash(contentHash)
      const media =
        store.findMediaBySha(sha) ??
        store.addMedia(
          {
            absPath: file,
            sha256: sha,
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
