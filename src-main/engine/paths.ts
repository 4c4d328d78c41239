/**
 * Where the engine's own files live (resources/, the cache). Owns the lookup so that the CLI run
 * from source, the built CLI, the Electron app and the tests all find the same folders. Also owns
 * the one containment check (`isInside`) that every layer confining a path to a folder uses.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

let root: string | null = null

/** The package root (folder of package.json named fusion-workstation), found by walking up from this module. */
export function packageRoot(): string {
  if (root) return root
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = path.join(dir, 'package.json')
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'fusion-workstation')
          return (root = dir)
      } catch {
        /* keep walking */
      }
    }
    const up = path.dirname(dir)
    if (up === dir)
      throw new Error(
        'cannot find the fusion-workstation package root from ' + fileURLToPath(import.meta.url),
      )
    dir = up
  }
}

/** resources/ (FWS_RESOURCES overrides; the packaged app sets it to its resources folder). */
export function resourcesDir(): string {
  return process.env.FWS_RESOURCES ?? path.join(packageRoot(), 'resources')
}

export function defaultModelsDir(): string {
  return path.join(resourcesDir(), 'models')
}

/** Per-user cache for features and decoded media (FWS_CACHE_DIR overrides). */
export function cacheDir(): string {
  return (
    process.env.FWS_CACHE_DIR ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'fusion-workstation')
  )
}

/** The real path of the nearest existing ancestor of `p` plus the rest (resolves symlinked folders). */
function realish(p: string): string {
  let cur = path.resolve(p)
  const rest: string[] = []
  while (!existsSync(cur)) {
    rest.unshift(path.basename(cur))
    const up = path.dirname(cur)
    if (up === cur) break
    cur = up
  }
  return path.join(realpathSync(cur), ...rest)
}

/** True when the resolved path `child` is `folder` or inside it (pure: no file-system access). */
export function containsPath(folder: string, child: string): boolean {
  const rel = path.relative(folder, child)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

/**
 * True when `child` is `folder` or inside it, after resolving symlinks of existing parts. Synchronous:
 * for the CLI and workers; code on a server's event loop uses exchange/safe-path's `isInside`.
 */
export function isInside(folder: string, child: string): boolean {
  return containsPath(realish(folder), realish(child))
}
