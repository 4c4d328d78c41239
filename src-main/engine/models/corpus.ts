/**
 * The labelled-corpus format shared by training, evaluation and the export of corrections, and
 * the readers for the other accepted inputs. Owns:
 *  - the folder format: `manifest.json` + `utterances.jsonl` (one JSON object per line: id, media
 *    path relative to the folder, start, end, text, labels {emotion, translation}, provenance),
 *    media files alongside; `readCorpus` validates every line and says which one is wrong, and
 *    confines media paths to the corpus folder (or named media roots), refusing others by line;
 *  - MELD's CSV (text only; Dialogue_ID/Utterance_ID kept for dialogue context) with repair of
 *    UTF-8 text that was mis-decoded as cp1252 ("â€™" → "’");
 *  - parallel text files (one sentence per line, source and optional reference).
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import iconv from 'iconv-lite'
import { z } from 'zod'
import { DATASETS, datasetFolders, findDataFile, missingDataMessage } from '../datasets'
import { isInside } from '../paths'
import { parseDelimited } from '../media/subtitles/csv'
import { normalizeNewlines } from '../media/subtitles/cue'

export const CORPUS_FORMAT = 'fws-corpus'
export const CORPUS_VERSION = 1

const provenanceSchema = z
  .object({
    source: z.string().max(500).optional(),
    emotion: z.string().max(64).optional(),
    translation: z.string().max(64).optional(),
    annotator: z.string().max(200).optional(),
    modelVersion: z.string().max(200).optional(),
    at: z.string().max(64).optional(),
  })
  .passthrough()

export const corpusUtteranceSchema = z.object({
  id: z.string().min(1).max(500),
  /** Media file path relative to the corpus folder, or null for text-only items. */
  media: z.string().min(1).max(4096).nullable().optional(),
  start: z.number().finite().min(0),
  end: z.number().finite().min(0),
  text: z.string().max(20_000),
  labels: z
    .object({
      emotion: z.string().min(1).max(64).nullable().optional(),
      translation: z.string().max(20_000).nullable().optional(),
    })
    .passthrough()
    .default({}),
  /** Groups utterances of one conversation (dialogue context for the emotion model). */
  dialogue: z.string().max(500).nullable().optional(),
  speaker: z.string().max(500).nullable().optional(),
  provenance: provenanceSchema.optional(),
})
export type CorpusUtterance = z.infer<typeof corpusUtteranceSchema>

export const corpusManifestSchema = z
  .object({
    format: z.literal(CORPUS_FORMAT),
    version: z.literal(CORPUS_VERSION),
    name: z.string().max(500).optional(),
    createdAt: z.string().max(64).optional(),
    /** Label sets used by the corpus (e.g. { emotion: [...] }). */
    labelSets: z.record(z.string(), z.array(z.string())).optional(),
    description: z.string().max(10_000).optional(),
    license: z.string().max(500).optional(),
    count: z.number().int().min(0).optional(),
  })
  .passthrough()
export type CorpusManifest = z.infer<typeof corpusManifestSchema>

export interface Corpus {
  /** Folder (for a corpus folder) or file the items were read from. */
  source: string
  kind: 'corpus' | 'meld-csv'
  manifest: CorpusManifest | null
  utterances: CorpusUtterance[]
  /** Lines left out because their media path is not allowed (with `outsideMedia: 'skip'`). */
  refused?: RefusedLine[]
}

/** A corpus line whose media path was refused: where it is, what it said, why. */
export interface RefusedLine {
  line: number
  media: string
  reason: string
}

/**
 * What to do with a line whose media path leaves the corpus folder (`../../etc/passwd`, an
 * absolute path, a symbolic link pointing out): `stop` refuses the whole corpus before anything
 * is trained (the default: a corpus that silently shrinks changes results unnoticed), `skip`
 * leaves those lines out and reports them.
 */
export type OutsideMediaPolicy = 'stop' | 'skip'

export interface ReadCorpusOptions {
  outsideMedia?: OutsideMediaPolicy
  /**
   * Folders besides the corpus folder that media may be in: the ones the user names
   * (`--media-root`), or a project's own media folders for a corpus exported from it.
   */
  mediaRoots?: string[]
}

export class CorpusPathError extends Error {
  override name = 'CorpusPathError'
  constructor(
    message: string,
    readonly refused: RefusedLine[],
  ) {
    super(message)
  }
}

/** Absolute media path of an utterance of a corpus folder (null when text-only). */
export function mediaPath(corpus: Corpus, u: CorpusUtterance): string | null {
  if (!u.media) return null
  return corpus.kind === 'corpus'
    ? path.resolve(corpus.source, u.media)
    : path.resolve(path.dirname(corpus.source), u.media)
}

export function readCorpus(dir: string, opts: ReadCorpusOptions = {}): Corpus {
  const mPath = path.join(dir, 'manifest.json')
  const uPath = path.join(dir, 'utterances.jsonl')
  if (!existsSync(mPath)) throw new Error(`${dir} is not a corpus folder: no manifest.json`)
  if (!existsSync(uPath)) throw new Error(`${dir} is not a corpus folder: no utterances.jsonl`)
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(mPath, 'utf8'))
  } catch (err) {
    throw new Error(`${mPath}: not valid JSON (${(err as Error).message})`, { cause: err })
  }
  const m = corpusManifestSchema.safeParse(raw)
  if (!m.success)
    throw new Error(
      `${mPath}: not a ${CORPUS_FORMAT} v${CORPUS_VERSION} manifest: ${m.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    )
  const utterances: CorpusUtterance[] = []
  const refused: RefusedLine[] = []
  const roots = [dir, ...(opts.mediaRoots ?? [])]
  const ids = new Set<string>()
  const lines = readFileSync(uPath, 'utf8').split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (!line) continue
    let obj: unknown
    try {
      obj = JSON.parse(line)
    } catch (err) {
      throw new Error(`${uPath}:${i + 1}: not valid JSON (${(err as Error).message})`, { cause: err })
    }
    const r = corpusUtteranceSchema.safeParse(obj)
    if (!r.success)
      throw new Error(
        `${uPath}:${i + 1}: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
      )
    const u = r.data
    if (u.end < u.start) throw new Error(`${uPath}:${i + 1}: end ${u.end} is before start ${u.start}`)
    if (ids.has(u.id)) throw new Error(`${uPath}:${i + 1}: duplicate utterance id '${u.id}'`)
    ids.add(u.id)
    const why = u.media ? mediaRefusal(u.media, dir, roots) : null
    if (why) refused.push({ line: i + 1, media: u.media!, reason: why })
    else utterances.push(u)
  }
  if (refused.length && (opts.outsideMedia ?? 'stop') === 'stop') {
    const shown = refused.slice(0, 10).map((r) => `${uPath}:${r.line}: ${r.reason}`)
    if (refused.length > 10) shown.push(`… and ${refused.length - 10} more lines`)
    throw new CorpusPathError(
      `${refused.length} media path${refused.length === 1 ? '' : 's'} refused, nothing trained ` +
        `(--outside-media skip leaves these lines out; --media-root DIR allows a folder):\n${shown.join('\n')}`,
      refused,
    )
  }
  return { source: dir, kind: 'corpus', manifest: m.data, utterances, refused }
}

/** Why a corpus line's media path is refused (null when it is inside the corpus folder or a media root). */
function mediaRefusal(media: string, dir: string, roots: string[]): string | null {
  if (media.includes('\0')) return 'media path contains a NUL byte'
  if (path.isAbsolute(media))
    return `media path must be relative to the corpus folder, got ${JSON.stringify(media)}`
  const abs = path.resolve(dir, media)
  // isInside resolves symbolic links of the existing part, so a link inside pointing out is caught.
  if (roots.some((r) => isInside(r, abs))) return null
  return `media path ${JSON.stringify(media)} is outside the corpus folder ${path.resolve(dir)}`
}

/** Writes a corpus folder (manifest.json + utterances.jsonl). Media files are the caller's. */
export interface CorpusManifestInput {
  name?: string
  createdAt?: string
  labelSets?: Record<string, string[]>
  description?: string
  license?: string
  [extra: string]: unknown
}

export function writeCorpus(dir: string, manifest: CorpusManifestInput, utterances: CorpusUtterance[]): void {
  mkdirSync(dir, { recursive: true })
  for (const u of utterances) corpusUtteranceSchema.parse(u)
  const full = {
    ...manifest,
    format: CORPUS_FORMAT,
    version: CORPUS_VERSION,
    createdAt: manifest.createdAt ?? new Date().toISOString(),
    count: utterances.length,
  }
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(full, null, 2) + '\n')
  writeFileSync(
    path.join(dir, 'utterances.jsonl'),
    utterances.map((u) => JSON.stringify(u)).join('\n') + '\n',
  )
}

// ---------------------------------------------------------------- MELD CSV

/**
 * RFC 4180 CSV rows (quoted fields may hold commas, doubled quotes and newlines), through the
 * engine's one delimited-text reader (media/subtitles/csv.ts); blank rows are dropped.
 */
export function parseCsv(text: string): string[][] {
  return parseDelimited(normalizeNewlines(text), ',').map((r) => r.fields)
}

// Characters cp1252 maps 0x80–0x9F to (the ones that show up in mis-decoded UTF-8).
const CP1252_HIGH = '€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ'
const MOJIBAKE_RUN = new RegExp(`[\\u00C2-\\u00F4][\\u00A0-\\u00BF${CP1252_HIGH}]{1,3}`, 'g')

/**
 * Repairs UTF-8 text that was decoded as cp1252 (e.g. "donâ€™t" → "don’t", "cafÃ©" → "café"):
 * each suspicious run is re-encoded to cp1252 bytes and kept only if those bytes are valid UTF-8.
 */
export function fixMojibake(s: string): string {
  if (!/[\u00C2-\u00F4]/.test(s)) return s
  return s.replace(MOJIBAKE_RUN, (run) => {
    const bytes = iconv.encode(run, 'win1252')
    const decoded = bytes.toString('utf8')
    return decoded.includes('\uFFFD') || decoded.length >= run.length ? run : decoded
  })
}

/**
 * Reads MELD's `*_sent_emo.csv`: Utterance, Speaker, Emotion, Dialogue_ID, Utterance_ID (others
 * ignored). Text is repaired with fixMojibake; ids are `dia{D}_utt{U}`; no media (text only).
 */
export function readMeldCsv(file: string): Corpus {
  const rows = parseCsv(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''))
  if (!rows.length) throw new Error(`${file}: empty CSV`)
  const header = rows[0]!.map((h) => h.trim())
  const col = (name: string) => {
    const i = header.indexOf(name)
    if (i < 0) throw new Error(`${file}: not a MELD CSV (no column '${name}'; columns: ${header.join(', ')})`)
    return i
  }
  const cU = col('Utterance')
  const cE = col('Emotion')
  const cD = col('Dialogue_ID')
  const cI = col('Utterance_ID')
  const cS = header.indexOf('Speaker')
  const cSent = header.indexOf('Sentiment')
  const utterances: CorpusUtterance[] = []
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r]!
    if (row.length < header.length)
      throw new Error(`${file}:${r + 1}: ${row.length} columns, expected ${header.length}`)
    const d = row[cD]!.trim()
    const u = row[cI]!.trim()
    utterances.push({
      id: `dia${d}_utt${u}`,
      media: null,
      start: 0,
      end: 0,
      text: fixMojibake(row[cU]!),
      labels: {
        emotion: row[cE]!.trim().toLowerCase() || null,
        ...(cSent >= 0 && row[cSent]!.trim() ? { sentiment: row[cSent]!.trim().toLowerCase() } : {}),
      },
      dialogue: d,
      speaker: cS >= 0 ? row[cS]! : null,
      provenance: { source: `${path.basename(file)} row ${r + 1}` },
    })
  }
  return { source: file, kind: 'meld-csv', manifest: null, utterances }
}

/**
 * A labelled-data path as given, or, when that does not exist and it is a bare relative name,
 * the MELD file of that name from the data lookup (datasets.ts: data/meld, then the mirror), so
 * `--data dev_sent_emo.csv` works from anywhere. `meldDir` replaces the lookup with one folder.
 */
export function resolveLabelledPath(p: string, meldDir?: string): string {
  if (existsSync(p)) return p
  if (path.isAbsolute(p)) throw new Error(`no such file or folder: ${p}`)
  if (meldDir !== undefined) {
    const inMeld = path.resolve(meldDir, p)
    if (existsSync(inMeld)) return inMeld
    throw new Error(`no such file or folder: ${p} (nor ${inMeld})`)
  }
  const found = findDataFile('meld', p)
  if (found) return found
  if (p in DATASETS.meld.files) throw new Error(`no such file: ${p}; ${missingDataMessage('meld')}`)
  const looked = datasetFolders('meld').map((f) => path.join(f.dir, p))
  throw new Error(`no such file or folder: ${p} (nor ${looked.join(', ')})`)
}

/** Reads either a corpus folder or a MELD CSV, chosen by what `p` is. */
export function readLabelled(given: string, opts: ReadCorpusOptions = {}): Corpus {
  const p = resolveLabelledPath(given)
  if (statSync(p).isDirectory()) return readCorpus(p, opts)
  if (p.toLowerCase().endsWith('.csv')) return readMeldCsv(p)
  throw new Error(`${p}: expected a corpus folder (manifest.json + utterances.jsonl) or a MELD .csv file`)
}

/** sha256 of files (in the given order), for manifests and model cards. */
export function hashFiles(files: string[]): string {
  const h = createHash('sha256')
  for (const f of files) {
    if (statSync(f).isDirectory()) {
      for (const name of ['manifest.json', 'utterances.jsonl'])
        if (existsSync(path.join(f, name))) h.update(readFileSync(path.join(f, name)))
    } else h.update(readFileSync(f))
  }
  return 'sha256:' + h.digest('hex')
}

/** A manifest data entry for a training file or corpus folder: its name (never its path) and sha256. */
export function dataFileEntry(role: string, file: string): { role: string; name: string; sha256: string } {
  return { role, name: path.basename(path.resolve(file)), sha256: hashFiles([file]).replace(/^sha256:/, '') }
}
