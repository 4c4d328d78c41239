/**
 * Where ffmpeg and ffprobe come from. Owns the resolution order and the start-up check:
 *   user setting → FFMPEG_PATH / FFPROBE_PATH → ffmpeg-static (only if its binary really exists)
 *   → @ffmpeg-installer/ffmpeg + @ffprobe-installer/ffprobe (binaries inside npm packages)
 *   → ffmpeg / ffprobe on PATH.
 * An explicitly given path (setting or environment) that does not work is an error, not a
 * silent fallback: the user asked for that binary.
 */
import { createRequire } from 'node:module'
import { accessSync, constants, statSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import path from 'node:path'

const require = createRequire(import.meta.url)

export type ToolName = 'ffmpeg' | 'ffprobe'
export type ToolSource = 'setting' | 'env' | 'ffmpeg-static' | 'npm-installer' | 'system'

export interface ToolLocation {
  tool: ToolName
  path: string
  version: string
  source: ToolSource
  /** Every place looked at, in order, with what was found there. */
  tried: { source: ToolSource; path: string | null; result: string }[]
}

export interface LocateOptions {
  /** Paths from the user's settings (app preferences or CLI flags). */
  settings?: Partial<Record<ToolName, string>>
  env?: NodeJS.ProcessEnv
  /** Package lookups, replaceable in tests. Each returns a path or null when the package is absent. */
  packages?: Partial<Record<'ffmpeg-static' | 'npm-installer', (tool: ToolName) => string | null>>
}

export class ToolNotFoundError extends Error {
  constructor(
    readonly tool: ToolName,
    readonly tried: ToolLocation['tried'],
    detail?: string,
  ) {
    super(
      detail ??
        `${tool} was not found. Tried: ` +
          tried.map((t) => `${t.source}${t.path ? ` (${t.path})` : ''}: ${t.result}`).join('; ') +
          `. Install ffmpeg (e.g. 'apt-get install ffmpeg') or set ${tool.toUpperCase()}_PATH.`,
    )
    this.name = 'ToolNotFoundError'
  }
}

function defaultFfmpegStatic(tool: ToolName): string | null {
  if (tool !== 'ffmpeg') return null // ffmpeg-static ships no ffprobe
  try {
    return require('ffmpeg-static') as string | null
  } catch {
    return null
  }
}

function defaultNpmInstaller(tool: ToolName): string | null {
  try {
    const pkg = tool === 'ffmpeg' ? '@ffmpeg-installer/ffmpeg' : '@ffprobe-installer/ffprobe'
    return (require(pkg) as { path: string }).path
  } catch {
    return null
  }
}

/** Why a path is not a usable executable, or null when it is. */
function unusable(file: string): string | null {
  try {
    const st = statSync(file)
    if (!st.isFile()) return 'not a file'
    accessSync(file, constants.X_OK)
    return null
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return 'does not exist'
    if (code === 'EACCES') return 'not executable'
    return (err as Error).message
  }
}

function readVersion(file: string): string {
  const out = execFileSync(file, ['-version'], {
    encoding: 'utf8',
    timeout: 15_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const first = out.split('\n')[0] ?? ''
  const m = /version (\S+)/.exec(first)
  return m ? m[1]! : first.trim()
}

function onPath(tool: ToolName, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, process.platform === 'win32' ? `${tool}.exe` : tool)
    if (!unusable(candidate)) return candidate
  }
  return null
}

export function locateTool(tool: ToolName, opts: LocateOptions = {}): ToolLocation {
  const env = opts.env ?? process.env
  const tried: ToolLocation['tried'] = []
  const explicit: [ToolSource, string | undefined][] = [
    ['setting', opts.settings?.[tool]],
    ['env', env[`${tool.toUpperCase()}_PATH`]],
  ]
  for (const [source, p] of explicit) {
    if (!p) {
      tried.push({ source, path: null, result: 'not set' })
      continue
    }
    const why = unusable(p)
    const label = source === 'env' ? `${tool.toUpperCase()}_PATH` : `the ${tool} path setting`
    if (why) {
      tried.push({ source, path: p, result: why })
      throw new ToolNotFoundError(
        tool,
        tried,
        `${label} points to ${p}, which ${why === 'does not exist' ? 'does not exist' : `is ${why}`}. Fix or unset it.`,
      )
    }
    try {
      const version = readVersion(p)
      tried.push({ source, path: p, result: 'ok' })
      return { tool, path: p, version, source, tried }
    } catch (err) {
      tried.push({ source, path: p, result: 'does not run' })
      throw new ToolNotFoundError(
        tool,
        tried,
        `${label} points to ${p}, which does not run: ${firstLine(err)}`,
      )
    }
  }
  const lookups: [ToolSource, (t: ToolName) => string | null][] = [
    ['ffmpeg-static', opts.packages?.['ffmpeg-static'] ?? defaultFfmpegStatic],
    ['npm-installer', opts.packages?.['npm-installer'] ?? defaultNpmInstaller],
    ['system', (t) => onPath(t, env)],
  ]
  for (const [source, lookup] of lookups) {
    const p = lookup(tool)
    if (!p) {
      tried.push({
        source,
        path: null,
        result: source === 'system' ? 'not on PATH' : 'package absent or has no binary',
      })
      continue
    }
    const why = unusable(p)
    if (why) {
      tried.push({ source, path: p, result: why })
      continue
    }
    try {
      const version = readVersion(p)
      tried.push({ source, path: p, result: 'ok' })
      return { tool, path: p, version, source, tried }
    } catch (err) {
      tried.push({ source, path: p, result: `does not run: ${firstLine(err)}` })
    }
  }
  throw new ToolNotFoundError(tool, tried)
}

function firstLine(err: unknown): string {
  return ((err as Error).message ?? String(err)).split('\n')[0]!
}

export interface FfmpegTools {
  ffmpeg: ToolLocation
  ffprobe: ToolLocation
}

let cached: FfmpegTools | null = null

/** Resolves both tools once per process (start-up check); throws ToolNotFoundError naming what was tried. */
export function ffmpegTools(opts?: LocateOptions): FfmpegTools {
  if (opts) return { ffmpeg: locateTool('ffmpeg', opts), ffprobe: locateTool('ffprobe', opts) }
  cached ??= { ffmpeg: locateTool('ffmpeg'), ffprobe: locateTool('ffprobe') }
  return cached
}

/** Forget the cached resolution (after the user changes the path setting). */
export function resetFfmpegTools(): void {
  cached = null
}
