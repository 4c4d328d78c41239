/**
 * Worker-thread entry of the batch pipeline: serves one file at a time (pipeline/process-file.ts).
 * On cancel, besides aborting the task's signal (which stops the ffmpeg processes it started), it
 * kills any media process of this thread still running, so nothing outlives a cancelled file.
 */
import { killAllMediaProcesses } from '../../media/process'
import { processFile } from '../../pipeline/process-file'
import type { FileProgress, FileResult, FileTask } from '../../pipeline/types'
import { serveTasks } from '../worker-host'

serveTasks<FileTask, FileResult, FileProgress>(
  (task, ctx) => processFile(task, ctx),
  () => {
    // Give the signal-driven shutdown a moment, then make sure.
    setTimeout(() => killAllMediaProcesses(), 500).unref()
  },
)
