/**
 * What a batch leaves on disk and how it proves it is complete. Owns: the per-file outputs
 * (`<name>.utterances.jsonl`, `<name>.vtt` of the translation), the per-file completion record
 * (`<name>.batch.json`: content hash, model versions, options, output sizes and digests), the
 * atomic write (temp file + fsync + rename), and the resume check.
 *
 * Why a separate record written last: the record is the commit point. A kill at any moment leaves
 * either no record (the file is redone) or a record whose outputs are all in place; a half-written
 * `.jsonl` can never pass for a finished one because its digest would not match.
 */
import { createHash, randomBytes } from 'node:crypto'
import { open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises'
import path from 'node:path'
import { countNoEvidence, type FileResult, type ModelRef, type UtteranceResult } from './types'
import type { DroppedCues } from '../media/subtitles/cue'

/** 2: emotion gated on the manifest's trained branches, `emotionReason` / `noEvidence` recorded. */
export const RECORD_VERSION = 2

/** What must match for a finished output to be reused by `--resume`. */
export interface ResultKey {
  contentHash: string
  models: { emotion: ModelRef | null; translation: ModelRef | null }
  /** Options that change the numbers: frame rate, subtitle folder, extractor version. */
  options: Record<string, string | number | null>
}

export interface OutputDigest {
  file: string
  bytes: number
  sha256: string
}

/** The completion record `<name>.batch.json`. */
export interface CompletionRecord extends ResultKey {
  version: number
  /** Absolute path of the input the record is for: `--resume` never takes it for another file. */
  source: string
  status: 'done' | 'failed'
  /** For `failed`: the error, so a resumed run can report it without redoing the work. */
  error: { message: string; code: string | null } | null
  utterances: number
  /** Utterances without an emotion label for lack of evidence (countNoEvidence). */
  noEvidence: number
  /** Subtitle cues left out, by reason (absent in records of older runs). */
  droppedCues?: DroppedCues
  durationSec: number
  stageSec: Record<string, number>
  outputs: OutputDigest[]
  completedAt: string
  /**
   * The run that wrote it (a queued run's `name.generation`, a local batch's own id; absent in
   * records of older runs): a job of the same run done again finds its own record, not an old one.
   */
  run?: string
}

export function outputPaths(outDir: string, name: string) {
  return {
    jsonl: path.join(outDir, `${name}.utterances.jsonl`),
    vtt: path.join(outDir, `${name}.vtt`),
    record: path.join(outDir, `${name}.batch.json`),
  }
}

/**
 * Writes `data` to `file` so that readers see either the old content or the whole new one:
 * temp file in the same folder, fsync, rename over the target.
 */
export async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  )
  const fh = await open(tmp, 'w')
  try {
    await fh.writeFile(data)
    await fh.sync()
  } catch (err) {
    await fh.close().catch(() => {})
    await unlink(tmp).catch(() => {})
    throw err
  }
  await fh.close()
  try {
    await rename(tmp, file)
  } catch (err) {
    await unlink(tmp).catch(() => {})
    throw err
  }
}

const TEMP_NAME = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/

/**
 * Removes temp files that a killed run left in `dir` (their writer process is gone). They were
 * never renamed into place, so they hold nothing anyone relies on. Returns how many were removed.
 * With `olderThanMs` (a folder shared by processes on other machines, whose process ids mean
 * nothing here), a temp is stale when it was last written longer ago than that instead.
 */
export async function removeStaleTemps(dir: string, opts: { olderThanMs?: number } = {}): Promise<number> {
  let n = 0
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return 0
  }
  for (const name of names) {
    const m = TEMP_NAME.exec(name)
    if (!m) continue
    if (opts.olderThanMs !== undefined) {
      const age = await stat(path.join(dir, name)).then(
        (st) => Date.now() - st.mtimeMs,
        () => 0,
      )
      if (age <= opts.olderThanMs) continue
    } else {
      const pid = Number(m[1])
      if (pid !== process.pid && processAlive(pid)) continue
      if (pid === process.pid) continue
    }
    await unlink(path.join(dir, name)).then(
      () => n++,
      () => {},
    )
  }
  return n
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** One JSON object per utterance, in time order. */
export function formatJsonl(result: FileResult, models: ResultKey['models']): string {
  return result.utterances
    .map((u) =>
      JSON.stringify({
        index: u.index,
        start: round3(u.start),
        end: round3(u.end),
        text: u.text,
        textSource: u.textSource,
        emotion: u.emotion
          ? {
              label: u.emotion.label,
              probabilities: Object.fromEntries(
                Object.entries(u.emotion.probabilities).map(([k, v]) => [k, round6(v)]),
              ),
              uncertainty: round6(u.emotion.uncertainty),
            }
          : null,
        ...(u.emotionReason ? { emotionReason: u.emotionReason } : {}),
        translation: u.translation,
        modalities: u.modalities,
        models: {
          emotion: models.emotion ? `${models.emotion.name}@${models.emotion.version}` : null,
          translation: models.translation ? `${models.translation.name}@${models.translation.version}` : null,
        },
      }),
    )
    .map((l) => l + '\n')
    .join('')
}

/** WebVTT of the translations (utterances without a translation are left out). */
export function formatVtt(utterances: UtteranceResult[]): string {
  const cues = utterances
    .filter((u) => u.translation !== null && u.translation.trim() !== '')
    .map(
      (u, i) =>
        `${i + 1}\n${vttTime(u.start)} --> ${vttTime(Math.max(u.end, u.start + 0.001))}\n${vttText(u.translation!)}\n`,
    )
  return ['WEBVTT\n', ...cues].join('\n')
}

export function vttTime(sec: number): string {
  const ms = Math.round(sec * 1000)
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor((ms % 3_600_000) / 60_000)
  const s = Math.floor((ms % 60_000) / 1000)
  const pad = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`
}

/** Cue text cannot contain "-->" or blank lines; `<` and `&` must be escaped. */
function vttText(t: string): string {
  return t
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/-->/g, '→')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join('\n')
}

function round3(x: number) {
  return Math.round(x * 1000) / 1000
}
function round6(x: number) {
  return Math.round(x * 1e6) / 1e6
}

function digest(file: string, data: string): OutputDigest {
  return {
    file: path.basename(file),
    bytes: Buffer.byteLength(data),
    sha256: createHash('sha256').update(data).digest('hex'),
  }
}

/**
 * Writes a finished file's outputs, then its completion record last. Returns the record.
 * The `.vtt` is written only when the translation model ran.
 */
export async function writeFileOutputs(
  outDir: string,
  name: string,
  source: string,
  key: ResultKey,
  result: FileResult,
  run: string,
): Promise<CompletionRecord> {
  const p = outputPaths(outDir, name)
  const jsonl = formatJsonl(result, key.models)
  await writeAtomic(p.jsonl, jsonl)
  const outputs = [digest(p.jsonl, jsonl)]
  if (key.models.translation) {
    const vtt = formatVtt(result.utterances)
    await writeAtomic(p.vtt, vtt)
    outputs.push(digest(p.vtt, vtt))
  }
  return saveRecord(p.record, source, key, {
    status: 'done',
    error: null,
    utterances: result.utterances.length,
    noEvidence: countNoEvidence(result.utterances),
    droppedCues: result.droppedCues,
    durationSec: result.durationSec,
    stageSec: result.stageSec,
    outputs,
    run,
  })
}

/** What a completion record says about the run; the rest (version, source, key, time) is added. */
type RecordBody = Omit<CompletionRecord, 'version' | 'source' | keyof ResultKey | 'completedAt'> & {
  run: string
}

/** Writes a completion record (version, source, key, body, completion time, in that order) and returns it. */
async function saveRecord(
  file: string,
  source: string,
  key: ResultKey,
  body: RecordBody,
): Promise<CompletionRecord> {
  const record: CompletionRecord = {
    version: RECORD_VERSION,
    source,
    ...key,
    ...body,
    completedAt: new Date().toISOString(),
  }
  await writeAtomic(file, JSON.stringify(record, null, 2) + '\n')
  return record
}

/**
 * Records that a file failed (so `--resume` does not redo a deterministic failure) and removes
 * outputs a previous run may have left for it, which no longer describe this content.
 */
export async function writeFailureRecord(
  outDir: string,
  name: string,
  source: string,
  key: ResultKey,
  error: { message: string; code: string | null },
  stageSec: Record<string, number>,
  run: string,
): Promise<CompletionRecord> {
  const p = outputPaths(outDir, name)
  await Promise.all([unlink(p.jsonl).catch(() => {}), unlink(p.vtt).catch(() => {})])
  return saveRecord(p.record, source, key, {
    status: 'failed',
    error,
    utterances: 0,
    noEvidence: 0,
    durationSec: 0,
    stageSec,
    outputs: [],
    run,
  })
}

/**
 * The completion record of `name` if it is valid for `key`, was written for this `source`, and
 * every output it lists is on disk with the recorded size and digest; null when the file has to
 * be (re)done. A record of another path is taken only when that path is gone and not an input of
 * this run (the folder was moved or renamed): two inputs with the same bytes never share results.
 */
export async function findReusableRecord(
  outDir: string,
  name: string,
  key: ResultKey,
  source: { file: string; inputs: ReadonlySet<string> },
): Promise<CompletionRecord | null> {
  const p = outputPaths(outDir, name)
  let rec: CompletionRecord
  try {
    rec = JSON.parse(await readFile(p.record, 'utf8')) as CompletionRecord
  } catch {
    return null
  }
  if (rec.version !== RECORD_VERSION || !sameKey(rec, key)) return null
  if (typeof rec.source !== 'string') return null
  if (rec.source !== source.file) {
    if (source.inputs.has(rec.source)) return null
    if (
      await stat(rec.source).then(
        () => true,
        () => false,
      )
    )
      return null
  }
  for (const o of rec.outputs ?? []) {
    const file = path.join(outDir, o.file)
    try {
      if ((await stat(file)).size !== o.bytes) return null
      const sha = createHash('sha256')
        .update(await readFile(file))
        .digest('hex')
      if (sha !== o.sha256) return null
    } catch {
      return null
    }
  }
  return rec
}

function sameKey(a: ResultKey, b: ResultKey): boolean {
  return (
    a.contentHash === b.contentHash &&
    JSON.stringify(a.models) === JSON.stringify(b.models) &&
    JSON.stringify(sortKeys(a.options)) === JSON.stringify(sortKeys(b.options))
  )
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)))
}
