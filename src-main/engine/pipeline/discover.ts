/**
 * Which files a batch processes. Owns: expanding folders recursively, the media extension list,
 * probing files with other extensions (a camera's `.MTS`, an extension-less export) so nothing
 * playable is missed, and skipping what is clearly not footage (subtitles, images, documents) with
 * a reason. Files named explicitly on the command line are always kept: if one is broken, the
 * batch reports it rather than silently dropping it.
 */
import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { abortError } from '../jobs/registry'

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
  /** Absolute path. */
  file: string
  /** How it was chosen: named on the command line, by extension, or because ffprobe found streams. */
  how: 'explicit' | 'extension' | 'probe'
}

export interface Discovery {
  files: DiscoveredFile[]
  /** Files inside the given folders that were not taken, with the reason (for the summary). */
  skipped: { file: string; reason: string }[]
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

/**
 * Expands the inputs into the list of media files, sorted by path within each input, each file once.
 * A missing input is an error (the user mistyped a path), not a skipped file.
 */
export async function discoverMedia(inputs: string[], opts: DiscoverOptions = {}): Promise<Discovery> {
  const files: DiscoveredFile[] = []
  const skipped: Discovery['skipped'] = []
  const seen = new Set<string>()
  const exclude = (opts.exclude ?? []).map((d) => path.resolve(d))
  const add = (f: DiscoveredFile) => {
    if (seen.has(f.file)) return
    seen.add(f.file)
    files.push(f)
  }
  for (const input of inputs) {
    const abs = path.resolve(input)
    let st
    try {
      st = await stat(abs)
    } catch {
      throw new Error(`input not found: ${input}`)
    }
    if (!st.isDirectory()) {
      add({ file: abs, how: 'explicit' })
      continue
    }
    for (const file of await walk(abs, exclude, opts.signal)) {
      if (opts.signal?.aborted) throw abortError()
      const ext = path.extname(file).toLowerCase()
      const base = path.basename(file)
      if (base.startsWith('.')) continue
      if (MEDIA_EXTENSIONS.has(ext)) add({ file, how: 'extension' })
      else if (NOT_MEDIA_EXTENSIONS.has(ext)) skipped.push({ file, reason: `not media (${ext} file)` })
      else if (opts.isMedia && (await opts.isMedia(file, opts.signal))) add({ file, how: 'probe' })
      else skipped.push({ file, reason: 'not media: ffprobe finds no audio or video stream' })
    }
  }
  return { files, skipped }
}

async function walk(dir: string, exclude: string[], signal?: AbortSignal): Promise<string[]> {
  const out: string[] = []
  const entries = await readdir(dir, { withFileTypes: true })
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const e of entries) {
    if (signal?.aborted) throw abortError()
    const p = path.join(dir, e.name)
    if (e.isDirectory()) {
      if (e.name.startsWith('.') || exclude.some((x) => p === x)) continue
      out.push(...(await walk(p, exclude, signal)))
    } else if (e.isFile()) out.push(p)
  }
  return out
}

/**
 * Output names for a list of files: the file's base name without extension, made unique by
 * prefixing parent folder names when two inputs share a base name (a/take1.mp4, b/take1.mp4 →
 * a__take1, b__take1). Deterministic, so a resumed run finds the same names.
 */
export function outputNames(files: string[]): string[] {
  const stem = (f: string, depth: number) => {
    const parts = path.resolve(f).split(path.sep).filter(Boolean)
    const last = parts.pop()!
    const base = last.slice(0, last.length - path.extname(last).length) || last
    return [...parts.slice(Math.max(0, parts.length - depth)), base].join('__')
  }
  const names = files.map((f) => stem(f, 0))
  for (let depth = 1; depth < 64; depth++) {
    const counts = new Map<string, number>()
    for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1)
    let clash = false
    names.forEach((n, i) => {
      if (counts.get(n)! > 1) {
        clash = true
        names[i] = stem(files[i]!, depth)
      }
    })
    if (!clash) break
  }
  // Identical paths at every depth cannot happen (discovery dedups); sanitise for the file system.
  return names.map((n) => n.replace(/[^\p{L}\p{N}._ -]/gu, '_'))
}
