/**
 * Worker-thread entry of the batch pipeline (pipeline/process-file.ts): segments a file, or runs
 * features + models on a run of its utterances; one task at a time.
 * On cancel, besides aborting the task's signal (which stops the ffmpeg processes it started), it
 * kills any media process of this thread still running, so nothing outlives a cancelled file.
 */
import { killAllMediaProcesses } from '../../media/process'
import { inferPart, segmentFile } from '../../pipeline/process-file'
import type { FileProgress, PartOutcome, SegmentOutcome, WorkerTask } from '../../pipeline/types'
import { serveTasks } from '../../core/worker-host'

serveTasks<WorkerTask, SegmentOutcome | PartOutcome, FileProgress>(
  (t, ctx) => (t.kind === 'segment' ? segmentFile(t.task, ctx) : inferPart(t.task, t.part, ctx)),
  () => {
    // Give the signal-driven shutdown a moment, then make sure.
    setTimeout(() => killAllMediaProcesses(), 500).unref()
  },
)
