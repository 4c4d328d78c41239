/**
 * Atomic file writes for exports: write a temporary sibling, fsync, rename over the target, so a
 * crash mid-export leaves the previous file (or none), never half a file. Asynchronous throughout
 * (it runs on the server's / main process's event loop); opening the file has a deadline, and any
 * failure is reported as a specific ExchangePathError with the temporary file removed.
 */
import { randomBytes } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { unwritable, withDeadline } from './safe-path'

export async function writeFileAtomic(target: string, text: string): Promise<void> {
  const tmp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${randomBytes(4).toString('hex')}.tmp`,
  )
  let fh: fsp.FileHandle
  try {
    fh = await withDeadline(fsp.open(tmp, 'wx'), 'opening', tmp)
  } catch (err) {
    throw unwritable(target, err)
  }
  try {
    await fh.writeFile(text, 'utf8')
    await fh.sync()
    await fh.close()
    await fsp.rename(tmp, target)
  } catch (err) {
    await fh.close().catch(() => {})
    await fsp.rm(tmp, { force: true }).catch(() => {})
    throw unwritable(target, err)
  }
}
