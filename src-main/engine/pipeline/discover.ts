/**
 * Which files a batch processes. Owns: expanding folders recursively, the media extension list,
 * probing files with other extensions (a camera's `.MTS`, an extension-less export) so nothing
 * playable is missed, and skipping what is clearly not footage (subtitles, images, documents) with
 * a reason. Only regular files are media: symbolic links are followed (loops detected), and named
 * pipes, sockets, devices, broken links and unlistable folders are reported with their reason and
 * never opened. Regular files named explicitly on the command line are always kept: if one is
 * broken, the batch reports it rather than silently dropping it. Also owns the output names.
 */
import { createHash } from 'node:crypto'
import type { Stats } from 'node:fs'
import { lstat, readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { abortError } from '../core/abort'

/** Extensions taken as media without probing (lower case, with dot). */
export const MEDIA_EXTENSIONS = new Set([
  '.mp4',
  '.m4v',
  '.mov',
  '.mkv',
  '.webm',
  '.avi',
  '.wmv',
  '.flv',
  '.mpg',
  '.mpeg',
  '.ts',
  '.mts',
  '.m2ts',
  '.3gp',
  '.ogv',
  '.mxf',
  '.wav',
  '.mp3',
  '.m4a',
  '.aac',
  '.flac',
  '.ogg',
  '.oga',
  '.opus',
  '.wma',
])

/** Extensions never probed: sidecars, images, documents, our own outputs. */
export const NOT_MEDIA_EXTENSIONS = new Set([
  '.srt',
  '.vtt',
  '.eaf',
  '.csv',
  '.tsv',
  '.txt',
  '.json',
  '.jsonl',
  '.md',
  '.pdf',
  '.xml',
  '.ass',
  '.ssa',
  '.jpg',
  '.jpeg',
  '.png',
  '.gif',
  '.bmp',
  '.webp',
  '.tif',
  '.tiff',
  '.db',
  '.sqlite',
  '.fws',
  '.tmp',
  '.zip',
  '.gz',
  '.tar',
  '.doc',
  '.docx',
  '.html',
  '.js',
  '.ts.map',
  '.log',
  '.DS_Store',
])

export interface DiscoveredFile {
  /** Absolute path (as given or found; a symbolic link keeps its own name). */
  file: string
  /** How it was chosen: named on the command line, by extension, or because ffprobe found streams. */
  how: 'explicit' | 'extension' | 'probe'
}

/** Why an entry was not taken as media (machine-readable; `reason` says it in words). */
export type SkipCode =
  'not-media' | 'not-regular' | 'broken-link' | 'link-loop' | 'permission' | 'duplicate' | 'unreadable'

export interface SkippedEntry {
  file: string
  reason: string
  code: SkipCode
}

export interface Discovery {
  files: DiscoveredFile[]
  /** Entries that were not taken (not media, not a regular file, broken or looping links, no permission). */
  skipped: SkippedEntry[]
}

export interface DiscoverOptions {
  signal?: AbortSignal
  /**
   * Decides whether a file with an unknown extension is playable media (true) or not. The batch
   * passes a ffprobe-based check; leaving it out skips unknown extensions.
   */
  isMedia?: (file: string, signal?: AbortSignal) => Promise<boolean>
  /** Absolute folders never descended into (the batch's own output folder). */
  exclude?: string[]
}

/** What an entry is once symbolic links are followed; never opens it (a FIFO would block). */
type Entry =
  | { kind: 'file'; id: string }
  | { kind: 'dir'; id: string }
  | { kind: 'skip'; reason: string; code: SkipCode }

const SPECIAL: [keyof Stats, string][] = [
  ['isFIFO', 'a named pipe (FIFO)'],
  ['isSocket', 'a socket'],
  ['isCharacterDevice', 'a character device'],
  ['isBlockDevice', 'a block device'],
]

async function classify(p: string): Promise<Entry> {
  let link: boolean
  try {
    link = (await lstat(p)).isSymbolicLink()
  } catch (err) {
    return errorEntry(err as NodeJS.ErrnoException, false)
  }
  let st: Stats
  try {
    st = await stat(p)
  } catch (err) {
    return errorEntry(err as NodeJS.ErrnoException, link)
  }
  const id = `${st.dev}:${st.ino}`
  if (st.isDirectory()) return { kind: 'dir', id }
  if (st.isFile()) return { kind: 'file', id }
  const what = SPECIAL.find(([k]) => (st[k] as () => boolean).call(st))?.[1] ?? 'not a regular file'
  return {
    kind: 'skip',
    code: 'not-regular',
    reason: `not a regular file: ${what}${link ? ' (through a symbolic link)' : ''}; never opened`,
  }
}

function errorEntry(err: NodeJS.ErrnoException, link: boolean): Entry {
  if (err.code === 'ELOOP')
    return { kind: 'skip', code: 'link-loop', reason: 'symbolic link loop: the link resolves to itself' }
  if (link && (err.code === 'ENOENT' || err.code === 'ENOTDIR'))
    return { kind: 'skip', code: 'broken-link', reason: 'broken symbolic link: its target does not exist' }
  if (err.code === 'EACCES' || err.code === 'EPERM')
    return { kind: 'skip', code: 'permission', reason: `permission denied (${err.code})` }
  return { kind: 'skip', code: 'unreadable', reason: `cannot be read: ${err.message}` }
}

/**
 * Expands the inputs into the list of media files, sorted by path within each input, each file
 * (by identity, so a link and its target count once) once. Only regular files are media, after
 * following symbolic links; folders reached through links are walked once (a link back to a
 * folder already walked is reported as a loop). Everything else is in `skipped` with its reason.
 * A missing input is an error (the user mistyped a path), not a skipped file.
 */
export async function discoverMedia(inputs: string[], opts: DiscoverOptions = {}): Promise<Discovery> {
  const files: DiscoveredFile[] = []
  const skipped: SkippedEntry[] = []
  const seen = new Map<string, string>()
  const walked = new Set<string>()
  const exclude = (opts.exclude ?? []).map((d) => path.resolve(d))
  const add = (f: DiscoveredFile, id: string) => {
    const first = seen.get(id)
    if (first === f.file) return
    if (first !== undefined) {
      skipped.push({ file: f.file, code: 'duplicate', reason: `the same file as ${first}` })
      return
    }
    seen.set(id, f.file)
    files.push(f)
  }
  const walk = async (dir: string, id: string): Promise<void> => {
    if (walked.has(id)) {
      // Through a link: a loop (or a second way into the same folder); else an input named twice.
      const link = await lstat(dir).then(
        (st) => st.isSymbolicLink(),
        () => false,
      )
      skipped.push(
        link
          ? { file: dir, code: 'link-loop', reason: 'symbolic link to a folder already walked (loop)' }
          : {
              file: dir,
              code: 'duplicate',
              reason: 'folder already walked (named twice, or inside another input)',
            },
      )
      return
    }
    walked.add(id)
    let names: string[]
    try {
      names = await readdir(dir)
    } catch (err) {
      const e = errorEntry(err as NodeJS.ErrnoException, false) as Extract<Entry, { kind: 'skip' }>
      skipped.push({ file: dir, code: e.code, reason: `folder cannot be listed: ${e.reason}` })
      return
    }
    names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    for (const name of names) {
      if (opts.signal?.aborted) throw abortError()
      if (name.startsWith('.')) continue
      const p = path.join(dir, name)
      if (exclude.includes(p)) continue
      const e = await classify(p)
      if (e.kind === 'dir') await walk(p, e.id)
      else if (e.kind === 'skip') skipped.push({ file: p, code: e.code, reason: e.reason })
      else {
        const ext = path.extname(name).toLowerCase()
        if (MEDIA_EXTENSIONS.has(ext)) add({ file: p, how: 'extension' }, e.id)
        else if (NOT_MEDIA_EXTENSIONS.has(ext))
          skipped.push({ file: p, code: 'not-media', reason: `not media (${ext} file)` })
        else if (opts.isMedia && (await opts.isMedia(p, opts.signal))) add({ file: p, how: 'probe' }, e.id)
        else
          skipped.push({
            file: p,
            code: 'not-media',
            reason: 'not media: ffprobe finds no audio or video stream',
          })
      }
    }
  }
  for (const input of inputs) {
    if (opts.signal?.aborted) throw abortError()
    const abs = path.resolve(input)
    const e = await classify(abs)
    if (e.kind === 'skip' && e.code === 'unreadable' && !(await lstat(abs).catch(() => null)))
      throw new Error(`input not found: ${input}`)
    if (e.kind === 'dir') await walk(abs, e.id)
    else if (e.kind === 'file') add({ file: abs, how: 'explicit' }, e.id)
    else skipped.push({ file: abs, code: e.code, reason: e.reason })
  }
  return { files, skipped }
}

/** File-system-safe form of a name (what the output files may be called). */
function cleanName(n: string): string {
  return n.replace(/[^\p{L}\p{N}._ -]/gu, '_')
}

/** Two names that one file system may take for the same file (case-insensitive, Unicode forms). */
function nameKey(n: string): string {
  return n.normalize('NFC').toLowerCase()
}

/**
 * Output names for a list of files, one distinct name per input path (also on case-insensitive
 * file systems). The base name without extension is used when it is unique; clashes are resolved
 * step by step: parent folder names when the clashing files are in different folders
 * (a/take1.mp4, b/take1.mp4 → a__take1, b__take1), then the extension (clip.mp4, clip.mkv →
 * clip.mp4, clip.mkv), then a short hash of the absolute path for names that only differ in
 * characters a file name cannot hold (a'b.mp4, a_b.mp4 → a_b~1a2b3c4d, a_b~5e6f7a8b).
 * Deterministic, so a resumed run over the same inputs finds the same names.
 */
export function outputNames(files: string[]): string[] {
  const parts = files.map((f) => path.resolve(f).split(path.sep).filter(Boolean))
  const state = files.map(() => ({ depth: 0, ext: false, hash: false }))
  const render = (i: number) => {
    const p = parts[i]!
    const last = p[p.length - 1]!
    const ext = path.extname(last)
    const base = (state[i]!.ext ? last : last.slice(0, last.length - ext.length)) || last
    const dirs = p.slice(Math.max(0, p.length - 1 - state[i]!.depth), p.length - 1)
    const name = cleanName([...dirs, base].join('__'))
    if (!state[i]!.hash) return name
    const h = createHash('sha256').update(path.resolve(files[i]!)).digest('hex').slice(0, 8)
    return `${name}~${h}`
  }
  let names = files.map((_, i) => render(i))
  for (let round = 0; round < 256; round++) {
    const groups = new Map<string, number[]>()
    names.forEach((n, i) => groups.set(nameKey(n), [...(groups.get(nameKey(n)) ?? []), i]))
    const clashes = [...groups.values()].filter((g) => g.length > 1)
    if (!clashes.length) break
    for (const g of clashes) {
      const dirs = new Set(g.map((i) => parts[i]!.slice(0, -1).join('/')))
      const deeper = g.filter((i) => state[i]!.depth < parts[i]!.length - 1)
      if (dirs.size > 1 && deeper.length) for (const i of deeper) state[i]!.depth++
      else if (g.some((i) => !state[i]!.ext)) for (const i of g) state[i]!.ext = true
      else for (const i of g) state[i]!.hash = true
    }
    names = files.map((_, i) => render(i))
  }
  return names
}
