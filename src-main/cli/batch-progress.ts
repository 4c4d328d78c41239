/**
 * What `fws batch` shows while it runs. Owns three renderings of the same job: live bars on a
 * terminal (one per file in flight, a total bar with ETA and the current stage), JSON lines with
 * `--json` (one object per event, progress throttled), and plain lines when stdout is a pipe or
 * a file (one line per finished file), so logs stay readable.
 */
import type { JobSnapshot } from '../contract/contract'
import type { BatchEvent, BatchSummary } from '../engine/pipeline/batch'
import { NO_EVIDENCE_HINT } from '../engine/pipeline/types'

export type ProgressMode = 'tty' | 'json' | 'plain'

export interface ProgressDisplay {
  onEvent(e: BatchEvent): void
  onSnapshot(s: JobSnapshot): void
  finish(summary: BatchSummary | null, summaryPath: string | null): void
}

type Write = (s: string) => void

export function createProgressDisplay(
  mode: ProgressMode,
  write: Write,
  now: () => number = Date.now,
): ProgressDisplay {
  if (mode === 'json') return jsonDisplay(write, now)
  if (mode === 'tty') return ttyDisplay(write, now)
  return plainDisplay(write)
}

/** `[#####.....]` of `width` cells for a 0..1 fraction. */
export function bar(fraction: number, width = 24): string {
  const f = Math.min(1, Math.max(0, fraction))
  const full = Math.round(f * width)
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`
}

export function formatDuration(sec: number | null): string {
  if (sec === null || !Number.isFinite(sec)) return '--:--'
  const s = Math.round(sec)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const pad = (n: number) => String(n).padStart(2, '0')
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`
}

function jsonDisplay(write: Write, now: () => number): ProgressDisplay {
  const line = (o: object) => write(JSON.stringify(o) + '\n')
  const lastProgress = new Map<number, number>()
  let lastTotal = -Infinity
  return {
    onEvent(e) {
      if (e.type === 'file-progress') {
        // At most two progress lines per file per second: enough to follow, not a flood.
        const t = now()
        if (t - (lastProgress.get(e.index) ?? -Infinity) < 500) return
        lastProgress.set(e.index, t)
      }
      if (e.type === 'discovered')
        line({
          type: 'discovered',
          files: e.files.length,
          notMedia: e.skipped.length,
          names: e.files.map((f) => f.name),
        })
      else line(e)
    },
    onSnapshot(s) {
      const t = now()
      if (s.status === 'running' && t - lastTotal < 1000) return
      lastTotal = t
      line({
        type: 'job',
        status: s.status,
        progress: round3(s.progress),
        stage: s.stage,
        etaSec: s.etaSec === null ? null : Math.round(s.etaSec),
        done: s.items.filter((i) => i.status === 'done').length,
        failed: s.items.filter((i) => i.status === 'failed').length,
        files: s.items.length,
      })
    },
    finish(summary, summaryPath) {
      if (summary)
        line({
          type: 'summary',
          path: summaryPath,
          status: summary.status,
          totals: summary.totals,
          work: summary.work,
        })
    },
  }
}

function plainDisplay(write: Write): ProgressDisplay {
  let total = 0
  return {
    onEvent(e) {
      if (e.type === 'discovered') {
        total = e.files.length
        write(
          `${total} media file${total === 1 ? '' : 's'} to process${e.skipped.length ? ` (${e.skipped.length} other files skipped)` : ''}\n`,
        )
      } else if (e.type === 'file-done')
        write(
          `${e.skipped ? 'skipped (complete)' : 'done'}  ${e.name}: ${e.utterances} utterances${e.skipped ? '' : ` in ${e.seconds.toFixed(1)} s`}${noEvidenceNote(e.noEvidence)}\n`,
        )
      else if (e.type === 'file-failed')
        write(`FAILED ${e.name}: ${e.error}${e.previous ? ' (recorded in an earlier run)' : ''}\n`)
      else if (e.type === 'file-cancelled') write(`cancelled ${e.name}\n`)
    },
    onSnapshot() {},
    finish(summary, summaryPath) {
      if (summary) write(summaryLine(summary, summaryPath))
    },
  }
}

function ttyDisplay(write: Write, now: () => number): ProgressDisplay {
  const active = new Map<number, { name: string; stage: string; fraction: number }>()
  const log: string[] = []
  let snap: JobSnapshot | null = null
  let drawn = 0
  let lastDraw = 0
  const width = () => Math.max(40, Math.min(process.stdout.columns || 100, 140))
  const clear = () => {
    if (drawn) write(`\x1b[${drawn}A\x1b[J`)
    drawn = 0
  }
  const draw = (force = false) => {
    const t = now()
    if (!force && t - lastDraw < 100) return
    lastDraw = t
    clear()
    // Finished-file lines scroll up above the live block and stay in the terminal's history.
    for (const l of log.splice(0)) write(l + '\n')
    const lines: string[] = []
    const cols = width()
    for (const a of active.values())
      lines.push(clip(`  ${bar(a.fraction, 20)} ${pct(a.fraction)} ${a.stage.padEnd(11)} ${a.name}`, cols))
    if (snap) {
      const done = snap.items.filter((i) => i.status === 'done').length
      const failed = snap.items.filter((i) => i.status === 'failed').length
      const elapsed = snap.startedAt ? (t - snap.startedAt) / 1000 : 0
      lines.push(
        clip(
          `total ${bar(snap.progress, 28)} ${pct(snap.progress)}  ${done + failed}/${snap.items.length} files` +
            `${failed ? ` (${failed} failed)` : ''}  elapsed ${formatDuration(elapsed)}  ETA ${formatDuration(snap.etaSec)}`,
          cols,
        ),
      )
    }
    for (const l of lines) write(l + '\n')
    drawn = lines.length
  }
  return {
    onEvent(e) {
      if (e.type === 'file-start') active.set(e.index, { name: e.name, stage: 'hash', fraction: 0 })
      else if (e.type === 'file-progress') {
        const a = active.get(e.index)
        if (a) {
          a.stage = e.stage
          a.fraction = e.fileFraction
        }
      } else if (e.type === 'file-done') {
        active.delete(e.index)
        log.push(
          `✔ ${e.name}: ${e.utterances} utterances${e.skipped ? ' (complete already, skipped)' : ` in ${e.seconds.toFixed(1)} s`}${noEvidenceNote(e.noEvidence)}`,
        )
      } else if (e.type === 'file-failed') {
        active.delete(e.index)
        log.push(`✘ ${e.name}: ${e.error}${e.previous ? ' (recorded in an earlier run)' : ''}`)
      } else if (e.type === 'file-cancelled') {
        active.delete(e.index)
        log.push(`- ${e.name}: cancelled`)
      } else if (e.type === 'discovered')
        log.push(
          `${e.files.length} media files${e.skipped.length ? `, ${e.skipped.length} other files skipped` : ''}`,
        )
      draw(e.type !== 'file-progress')
    },
    onSnapshot(s) {
      snap = s
      draw()
    },
    finish(summary, summaryPath) {
      active.clear()
      draw(true)
      if (summary) write(summaryLine(summary, summaryPath))
    },
  }
}

/** "; 3 without an emotion label (no evidence: …)" for a file with such utterances, else ''. */
function noEvidenceNote(n: number): string {
  return n > 0 ? `; ${n} without an emotion label (no evidence): ${NO_EVIDENCE_HINT}` : ''
}

export function summaryLine(s: BatchSummary, summaryPath: string | null): string {
  const t = s.totals
  const parts = [
    `${t.done} done`,
    `${t.skipped} skipped (already complete)`,
    `${t.failed} failed`,
    ...(t.cancelled ? [`${t.cancelled} cancelled`] : []),
  ]
  const rtf = t.realTimeFactor === null ? '' : `, ${t.realTimeFactor.toFixed(1)}× real time`
  return (
    `${s.status === 'cancelled' ? 'cancelled: ' : ''}${parts.join(', ')} of ${t.files} files; ${t.utterances} utterances` +
    (t.noEvidence ? ` (${t.noEvidence} without an emotion label: no evidence)` : '') +
    (t.droppedCues
      ? `; ${t.droppedCues} subtitle cue(s) left out (${droppedCueFiles(s)}; reasons in files[].droppedCues)`
      : '') +
    `; ${formatDuration(s.wallSec)} wall${rtf}${summaryPath ? `\nsummary: ${summaryPath}` : ''}\n`
  )
}

/** "clip.srt: reversed 1, after-media-end 2; …" for the files that left cues out. */
function droppedCueFiles(s: BatchSummary): string {
  return s.files
    .filter((f) => Object.keys(f.droppedCues).length)
    .map(
      (f) =>
        `${f.name}: ${Object.entries(f.droppedCues)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
    )
    .join('; ')
}

function pct(f: number): string {
  return `${Math.floor(Math.min(1, Math.max(0, f)) * 100)}%`.padStart(4)
}

function clip(s: string, cols: number): string {
  return s.length > cols - 1 ? s.slice(0, cols - 2) + '…' : s
}

function round3(x: number) {
  return Math.round(x * 1000) / 1000
}
