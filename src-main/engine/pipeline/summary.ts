/**
 * The summaries of a run: `summary.json` from its files' outcomes, and the summary of a file that
 * never ran (the run was cancelled first).
 */
import { EXTRACTOR_VERSION } from '../features/types'
import { droppedTotal } from '../media/subtitles/cue'
import type { SkippedEntry } from './discover'
import { NO_EVIDENCE_HINT, type ModelSelection } from './types'
import type { BatchSummary, FileOutcome, FileStatus, FileSummary } from './batch-types'

/** A file that never started (the run was cancelled first). */
export function cancelledSummary(file: string, name: string): FileSummary {
  return {
    file,
    name,
    status: 'cancelled',
    error: null,
    errorCode: null,
    previous: false,
    utterances: 0,
    noEvidence: null,
    droppedCues: {},
    durationSec: 0,
    stageSec: {},
    outputs: [],
    projectError: null,
  }
}

/** `summary.json` of a run from its files' outcomes (in input order). */
export function buildSummary(a: {
  t0: number
  endedAt: number
  outDir: string
  cancelled: boolean
  options: { fps: number; detectEvery: number; subsDir: string | null; jobs: number; resume: boolean }
  models: ModelSelection
  outcomes: FileOutcome[]
  notMedia: SkippedEntry[]
}): BatchSummary {
  const summaries = a.outcomes.map((o) => o.summary)
  const work = { processed: 0, reusedComplete: 0, reusedFailed: 0 }
  for (const o of a.outcomes) if (o.work) work[o.work]++
  const backends = new Set(a.outcomes.flatMap((o) => (o.backend ? [o.backend] : [])))
  const count = (st: FileStatus) => summaries.filter((s) => s.status === st).length
  const processed = summaries.filter((s) => s.status === 'done')
  const mediaSec = processed.reduce((acc, s) => acc + s.durationSec, 0)
  const wallSec = (a.endedAt - a.t0) / 1000
  const stageSec: Record<string, number> = {}
  for (const s of processed)
    for (const [k, v] of Object.entries(s.stageSec)) stageSec[k] = round3((stageSec[k] ?? 0) + v)
  return {
    version: 1,
    startedAt: new Date(a.t0).toISOString(),
    endedAt: new Date(a.endedAt).toISOString(),
    wallSec: round3(wallSec),
    outDir: a.outDir,
    status: a.cancelled ? 'cancelled' : 'done',
    options: { ...a.options, extractorVersion: EXTRACTOR_VERSION },
    models: a.models,
    backend: [...backends],
    totals: {
      files: summaries.length,
      done: count('done'),
      skipped: count('skipped'),
      failed: count('failed'),
      cancelled: count('cancelled'),
      noEvidence: summaries.reduce((acc, s) => acc + (s.noEvidence?.utterances ?? 0), 0),
      droppedCues: summaries.reduce((acc, s) => acc + droppedTotal(s.droppedCues), 0),
      utterances: summaries.reduce(
        (acc, s) => acc + (s.status === 'done' || s.status === 'skipped' ? s.utterances : 0),
        0,
      ),
      mediaSec: round3(mediaSec),
      realTimeFactor: processed.length && wallSec > 0 ? round3(mediaSec / wallSec) : null,
    },
    work,
    stageSec,
    files: summaries,
    notMedia: a.notMedia,
  }
}

export function noEvidenceOf(n: number): FileSummary['noEvidence'] {
  return n > 0 ? { utterances: n, hint: NO_EVIDENCE_HINT } : null
}

function round3(x: number) {
  return Math.round(x * 1000) / 1000
}
