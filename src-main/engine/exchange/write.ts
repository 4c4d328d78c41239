/**
 * Atomic file writes for exports: write a temporary sibling, fsync, rename over the target, so a
 * crash mid-export leaves the previous file (or none), never half a file.
 */
import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import path from 'node:path'

export function writeFileAtomic(target: string, text: string): void {
  const tmp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${randomBytes(4).toString('hex')}.tmp`,
  )
  const fd = openSync(tmp, 'wx')
  try {
    writeSync(fd, text, null, 'utf8')
    fsyncSync(fd)
  } catch (err) {
    closeSync(fd)
    rmSync(tmp, { force: true })
    throw err
  }
  closeSync(fd)
  try {
    renameSync(tmp, target)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
}
