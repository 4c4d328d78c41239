/**
 * Joins a file's segmentation and its parts (processed by one or several workers) into one
 * FileResult. Kept apart from process-file.ts so the main thread never loads the model code.
 */
import type { FileResult, FileTask, PartOutcome, SegmentOutcome } from './types'

/** One FileResult from the segmentation and the parts (in time order); stage times are summed. */
export function assembleResult(task: FileTask, seg: SegmentOutcome, parts: PartOutcome[]): FileResult {
  const stageSec: Record<string, number> = { ...seg.stageSec }
  for (const p of parts)
    for (const [k, v] of Object.entries(p.stageSec)) stageSec[k] = round3((stageSec[k] ?? 0) + v)
  return {
    file: task.file,
    durationSec: seg.probe.durationSec,
    hasAudio: !!seg.probe.audio,
    hasVideo: !!seg.probe.video,
    backend: parts[0]?.backend ?? 'none',
    probe: seg.probe,
    models: task.models,
    droppedCues: seg.droppedCues,
    stageSec,
    utterances: parts.flatMap((p) => p.rows),
  }
}

function round3(x: number) {
  return Math.round(x * 1000) / 1000
}
