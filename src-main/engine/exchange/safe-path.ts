/**
 * Path checks for everything the exchange layer writes or reads. Owns: turning names that come
 * from project data (media file names, crafted subtitle names) into safe single file names,
 * refusing any output that would land outside the folder the user chose (`..`, absolute names,
 * NUL bytes, symlinked escapes), and creating output folders.
 *
 * Every file-system call here is asynchronous and has a deadline: these run on the event loop of
 * the browser-mode server and of Electron's main process, where a blocked or never-finishing call
 * (Node's recursive mkdir loops forever on procfs, a dead network mount never answers) would
 * freeze every other request. Folders are created one level at a time from the nearest existing
 * ancestor, never with `recursive: true`.
 *
 * Errors carry a `code` so each front end can word them for its user (CLI flags vs. dialog
 * choices); the message itself names the path and the cause without assuming a front end.
 */
import { promises as fsp, type Stats } from 'node:fs'
import path from 'node:path'
import { containsPath } from '../paths'

export type ExchangePathCode =
  | 'nul-byte'
  | 'outside'
  | 'symlink'
  | 'is-folder'
  | 'not-folder'
  | 'unwritable'
  | 'not-found'
  | 'not-file'
  | 'too-large'
  | 'timeout'
  | 'needs-folder'

export class ExchangePathError extends Error {
  override name = 'ExchangePathError'
  constructor(
    message: string,
    readonly code: ExchangePathCode,
    /** The path the error is about. */
    readonly target?: string,
  ) {
    super(message)
  }
}

/** How long one file-system call on a user path may take before the export gives up. */
export const FS_DEADLINE_MS = 1500

/** Resolves like `p`, or rejects with a 'timeout' ExchangePathError after FS_DEADLINE_MS. */
export async function withDeadline<T>(p: Promise<T>, what: string, target: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ExchangePathError(
            `${what} ${target} did not answer within ${FS_DEADLINE_MS / 1000} s (an unreachable or special file system?)`,
            'timeout',
            target,
          ),
        ),
      FS_DEADLINE_MS,
    )
  })
  try {
    return await Promise.race([p, deadline])
  } finally {
    clearTimeout(timer)
  }
}

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code ?? ''

/** stat/lstat (with the deadline) that returns null for a missing path (or a missing folder on the way). */
export async function statOrNull(p: string, link = false): Promise<Stats | null> {
  try {
    return await withDeadline(link ? fsp.lstat(p) : fsp.stat(p), 'checking', p)
  } catch (err) {
    if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return null
    throw err
  }
}

/** The user-facing reason for a write error (EACCES, EROFS, ENOENT on procfs, …). */
export function unwritable(target: string, err: unknown): ExchangePathError {
  if (err instanceof ExchangePathError) return err
  const code = errno(err)
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'EROFS'
        ? 'the file system is read-only'
        : code === 'ENOSPC'
          ? 'the disk is full'
          : code === 'ENOENT'
            ? 'this location does not accept new files or folders'
            : (err as Error).message
  return new ExchangePathError(`cannot write to ${target}: ${why}`, 'unwritable', target)
}

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i

/**
 * A single, harmless file name from untrusted text: no separators, no `..`, no control
 * characters, no Windows-reserved names, at most 120 characters. Never empty.
 */
export function safeFileName(name: string, fallback = 'file'): string {
  let s = name
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/[/\\:*?"<>|]/g, '_')
    .replace(/^[.\s]+/, '') // no hidden files, no '.' / '..'
    .replace(/[.\s]+$/, '')
  if ([...s].length > 120) s = [...s].slice(0, 120).join('')
  if (!s || WINDOWS_RESERVED.test(s)) s = `${fallback}${s ? '_' + s : ''}`
  return s
}

/** The real path of the nearest existing ancestor of `p` plus the rest (resolves symlinked folders). */
async function realish(p: string): Promise<string> {
  let cur = path.resolve(p)
  const rest: string[] = []
  while (!(await statOrNull(cur, true))) {
    rest.unshift(path.basename(cur))
    const up = path.dirname(cur)
    if (up === cur) break
    cur = up
  }
  return path.join(await withDeadline(fsp.realpath(cur), 'resolving', cur), ...rest)
}

/** True when `child` is `folder` or inside it, after resolving symlinks of existing parts (async, with deadlines). */
export async function isInside(folder: string, child: string): Promise<boolean> {
  return containsPath(await realish(folder), await realish(child))
}

/** `folder/name` for an untrusted `name`, guaranteed to stay inside `folder`. */
export async function joinInside(folder: string, name: string): Promise<string> {
  const target = path.join(folder, safeFileName(name))
  if (!(await isInside(folder, target)))
    throw new ExchangePathError(`refusing to write ${target}: it is outside ${folder}`, 'outside', target)
  if ((await statOrNull(target, true))?.isSymbolicLink())
    throw new ExchangePathError(`refusing to write through the symbolic link ${target}`, 'symlink', target)
  return target
}

/**
 * Makes sure `abs` is a folder: creates the missing levels one at a time below the nearest
 * existing ancestor. An unwritable place fails with a specific 'unwritable' error within the
 * deadline instead of looping (recursive mkdir on procfs) or blocking.
 */
export async function ensureFolder(abs: string): Promise<void> {
  const missing: string[] = []
  let cur = abs
  for (;;) {
    const st = await statOrNull(cur)
    if (st) {
      if (!st.isDirectory()) throw new ExchangePathError(`${cur} is a file, not a folder`, 'not-folder', cur)
      break
    }
    missing.unshift(cur)
    const up = path.dirname(cur)
    if (up === cur) break
    cur = up
  }
  for (const dir of missing) {
    try {
      await withDeadline(fsp.mkdir(dir), 'creating the folder', dir)
    } catch (err) {
      if (errno(err) === 'EEXIST' && (await statOrNull(dir))?.isDirectory()) continue
      throw unwritable(dir, err)
    }
  }
}

/**
 * Checks an output FILE path chosen by the user: absolute after resolving, no NUL, its folder
 * exists (or is created), it is not a folder and not a symlink (which could point anywhere).
 */
export async function checkOutputFile(out: string): Promise<string> {
  if (out.includes('\0')) throw new ExchangePathError('output path contains a NUL byte', 'nul-byte')
  const abs = path.resolve(out)
  const st = await statOrNull(abs, true)
  if (st?.isSymbolicLink())
    throw new ExchangePathError(`refusing to overwrite the symbolic link ${abs}`, 'symlink', abs)
  if (st?.isDirectory()) throw new ExchangePathError(`${abs} is a folder, not a file name`, 'is-folder', abs)
  await ensureFolder(path.dirname(abs))
  return abs
}

/** Checks (and creates) an output FOLDER chosen by the user. */
export async function checkOutputFolder(out: string): Promise<string> {
  if (out.includes('\0')) throw new ExchangePathError('output path contains a NUL byte', 'nul-byte')
  const abs = path.resolve(out)
  const st = await statOrNull(abs)
  if (st && !st.isDirectory())
    throw new ExchangePathError(`${abs} exists and is not a folder`, 'not-folder', abs)
  if (!st) await ensureFolder(abs)
  return abs
}

/** True when `p` exists and is a folder. */
export async function isFolder(p: string): Promise<boolean> {
  return !!(await statOrNull(path.resolve(p)))?.isDirectory()
}

/** Checks an input file: exists, is a regular file, not absurdly large for a text format. */
export async function checkInputFile(file: string, maxBytes = 64 * 1024 * 1024): Promise<string> {
  if (file.includes('\0')) throw new ExchangePathError('input path contains a NUL byte', 'nul-byte')
  const abs = path.resolve(file)
  const st = await statOrNull(abs)
  if (!st) throw new ExchangePathError(`file not found: ${abs}`, 'not-found', abs)
  if (!st.isFile()) throw new ExchangePathError(`${abs} is not a file`, 'not-file', abs)
  if (st.size > maxBytes)
    throw new ExchangePathError(
      `${abs} is ${st.size} bytes; more than ${maxBytes} is not a segmentation file`,
      'too-large',
      abs,
    )
  return abs
}
