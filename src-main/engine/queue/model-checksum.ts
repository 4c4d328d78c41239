/**
 * A model folder's checksum: sha256 over every regular file in it (relative path and bytes, in
 * path order). A queued run records the checksum of each model it was started with; a worker
 * runs a job only when the model at that path on its own machine has the same checksum, so every
 * machine predicts with the same weights.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import type { ModelSelection } from '../pipeline/types'

export async function modelChecksum(dir: string): Promise<string> {
  const files: string[] = []
  const walk = async (rel: string) => {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true })
    for (const e of entries) {
      const r = path.join(rel, e.name)
      if (e.isDirectory()) await walk(r)
      else if (e.isFile()) files.push(r)
    }
  }
  await walk('')
  files.sort()
  const h = createHash('sha256')
  for (const f of files) {
    h.update(`${f.split(path.sep).join('/')}\0`)
    for await (const chunk of createReadStream(path.join(dir, f))) h.update(chunk as Buffer)
    h.update('\0')
  }
  return h.digest('hex')
}

export type ModelChecksums = { emotion: string | null; translation: string | null }

export async function selectionChecksums(models: ModelSelection): Promise<ModelChecksums> {
  return {
    emotion: models.emotion ? await modelChecksum(models.emotion.dir) : null,
    translation: models.translation ? await modelChecksum(models.translation.dir) : null,
  }
}

/**
 * Why this machine cannot run with `models` (checksums as recorded by the run), or null when every
 * model folder is here with the same bytes.
 */
export async function modelMismatch(
  models: ModelSelection,
  expected: ModelChecksums,
): Promise<string | null> {
  for (const task of ['emotion', 'translation'] as const) {
    const m = models[task]
    if (!m) continue
    let here: string
    try {
      here = await modelChecksum(m.dir)
    } catch (err) {
      return `its ${task} model folder ${m.dir} cannot be read on this machine (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`
    }
    if (here !== expected[task])
      return `its ${task} model ${m.dir} differs here (sha256 ${here.slice(0, 12)}…, the run expects ${expected[task]?.slice(0, 12)}…)`
  }
  return null
}
