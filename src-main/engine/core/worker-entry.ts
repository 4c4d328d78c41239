/**
 * Where a worker thread's code is. Owns the one difference between running from the TypeScript
 * source (tsx: bin/fws.mjs in development, vitest, `tsx bench/...`) and from a vite bundle
 * (out/cli): from source, a tiny ESM bootstrap registers tsx inside the new thread and imports the
 * .ts entry (Node 20 does not pass the parent's loader hooks on to workers); from a bundle, the
 * entry was built as its own file `<name>.js` next to the CLI bundle.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { packageRoot } from '../paths'

/** Worker entry points, by name → source file (relative to src-main/engine/). Built as out/cli/<name>.js. */
export const WORKER_ENTRIES = {
  'pipeline-worker': 'jobs/workers/pipeline-worker.ts',
  'finetune-worker': 'jobs/workers/finetune-worker.ts',
  'grad-worker': 'jobs/workers/grad-worker.ts',
} as const
export type WorkerName = keyof typeof WORKER_ENTRIES

export interface WorkerLocation {
  url: URL
  /** Extra workerData the bootstrap needs (merged with the caller's). */
  bootData: Record<string, unknown>
}

const here = fileURLToPath(import.meta.url)

/** True when this module itself runs from its .ts source (tsx / vitest) rather than a bundle. */
export function runningFromSource(): boolean {
  return here.endsWith('.ts')
}

/**
 * The URL to start a worker from. `name` is a built-in entry; an absolute file path (used by tests
 * and benches) is started directly when it is JavaScript, through the tsx bootstrap when it is .ts.
 */
export function locateWorker(name: WorkerName | { file: string }): WorkerLocation {
  if (typeof name === 'object') {
    if (!name.file.endsWith('.ts')) return { url: pathToFileURL(name.file), bootData: {} }
    return {
      url: pathToFileURL(path.join(path.dirname(here), 'tsx-boot.mjs')),
      bootData: { __fwsEntry: pathToFileURL(name.file).href },
    }
  }
  if (runningFromSource()) {
    const engineDir = path.resolve(path.dirname(here), '..')
    const entry = path.join(engineDir, WORKER_ENTRIES[name])
    return {
      url: pathToFileURL(path.join(path.dirname(here), 'tsx-boot.mjs')),
      bootData: { __fwsEntry: pathToFileURL(entry).href },
    }
  }
  // Bundled: next to the bundle file that contains this code, else the CLI build folder.
  // (Shared code may sit in a chunk under assets/, hence the parent folder too.)
  const candidates = [
    path.join(path.dirname(here), `${name}.js`),
    path.join(path.dirname(here), '..', `${name}.js`),
  ]
  let found = candidates.find((c) => existsSync(c))
  if (!found) {
    const cli = path.join(packageRoot(), 'out', 'cli', `${name}.js`)
    candidates.push(cli)
    if (existsSync(cli)) found = cli
  }
  if (!found)
    throw new Error(
      `worker entry "${name}.js" is missing from the build (looked in ${candidates.join(', ')}); rebuild with npm run build:cli`,
    )
  return { url: pathToFileURL(found), bootData: {} }
}
