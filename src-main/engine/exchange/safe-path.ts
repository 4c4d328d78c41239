/**
 * Path checks for everything the exchange layer writes or reads. Owns: turning names that come
 * from project data (media file names, crafted subtitle names) into safe single file names, and
 * refusing any output that would land outside the folder the user chose (`..`, absolute names,
 * NUL bytes, symlinked escapes), so an export never writes where it was not asked to.
 */
import { existsSync, lstatSync, mkdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { isInside } from '../paths'

export class ExchangePathError extends Error {
  override name = 'ExchangePathError'
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

export { isInside }

/** `folder/name` for an untrusted `name`, guaranteed to stay inside `folder`. */
export function joinInside(folder: string, name: string): string {
  const target = path.join(folder, safeFileName(name))
  if (!isInside(folder, target))
    throw new ExchangePathError(`refusing to write ${target}: it is outside ${folder}`)
  if (existsSync(target) && lstatSync(target).isSymbolicLink())
    throw new ExchangePathError(`refusing to write through the symbolic link ${target}`)
  return target
}

/**
 * Checks an output FILE path chosen by the user: absolute after resolving, no NUL, its folder
 * exists (or is created), it is not a folder and not a symlink (which could point anywhere).
 */
export function checkOutputFile(out: string): string {
  if (out.includes('\0')) throw new ExchangePathError('output path contains a NUL byte')
  const abs = path.resolve(out)
  if (existsSync(abs)) {
    const st = lstatSync(abs)
    if (st.isSymbolicLink()) throw new ExchangePathError(`refusing to overwrite the symbolic link ${abs}`)
    if (st.isDirectory()) throw new ExchangePathError(`${abs} is a folder; give a file name`)
  }
  const dir = path.dirname(abs)
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true })
  else if (!statSync(dir).isDirectory()) throw new ExchangePathError(`${dir} is not a folder`)
  return abs
}

/** Checks (and creates) an output FOLDER chosen by the user. */
export function checkOutputFolder(out: string): string {
  if (out.includes('\0')) throw new ExchangePathError('output path contains a NUL byte')
  const abs = path.resolve(out)
  if (existsSync(abs)) {
    if (!statSync(abs).isDirectory()) throw new ExchangePathError(`${abs} exists and is not a folder`)
  } else mkdirSync(abs, { recursive: true })
  return abs
}

/** Checks an input file: exists, is a regular file, not absurdly large for a text format. */
export function checkInputFile(file: string, maxBytes = 64 * 1024 * 1024): string {
  if (file.includes('\0')) throw new ExchangePathError('input path contains a NUL byte')
  const abs = path.resolve(file)
  if (!existsSync(abs)) throw new ExchangePathError(`file not found: ${abs}`)
  const st = statSync(abs)
  if (!st.isFile()) throw new ExchangePathError(`${abs} is not a file`)
  if (st.size > maxBytes)
    throw new ExchangePathError(
      `${abs} is ${st.size} bytes; more than ${maxBytes} is not a segmentation file`,
    )
  return abs
}
