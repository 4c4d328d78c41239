/**
 * Runs the real CLI entry (bin/fws.mjs from source) in a child process and collects how it ended:
 * exit code or signal, stdout, stderr and, with `json` (or `onLine`), stdout's lines parsed one
 * by one, so a test can act on the child while it works (`kill`) or once it starts (`onSpawn`).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { withoutRootOverride } from './without-root-override'

export const ROOT = path.resolve(import.meta.dirname, '../..')

export interface FwsRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** With `json`: each complete stdout line, parsed. */
  lines: Record<string, unknown>[]
}

export interface FwsOptions {
  /** Added to process.env (FWS_FROM_SOURCE=1 always). */
  env?: NodeJS.ProcessEnv
  /** Written to the child's stdin, which is then closed (at once, without it). */
  stdin?: string
  /** With `--json` every stdout line is a JSON object: a line that is not rejects the run. */
  json?: boolean
  /** Called on each parsed line (implies `json`); `kill` signals the child. */
  onLine?: (line: Record<string, unknown>, kill: (s: NodeJS.Signals) => void) => void
  onSpawn?: (child: ChildProcess) => void
  /** SIGKILL after this long, so a hang fails on its own rather than as the test's timeout. */
  timeoutMs?: number
  /** As root, run without the capabilities that pass over file permissions. */
  withoutRootOverride?: boolean
}

export function runFws(args: string[], opts: FwsOptions = {}): Promise<FwsRun> {
  const argv = [path.join(ROOT, 'bin/fws.mjs'), ...args]
  const [command, commandArgs] = opts.withoutRootOverride
    ? withoutRootOverride(process.execPath, argv)
    : [process.execPath, argv]
  const json = opts.json || opts.onLine !== undefined
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, {
      cwd: ROOT,
      env: { ...process.env, ...opts.env, FWS_FROM_SOURCE: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 150_000)
    const run: FwsRun = { code: null, signal: null, stdout: '', stderr: '', lines: [] }
    let failure: Error | null = null
    let pending = ''
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', (d: string) => {
      run.stdout += d
      if (!json || failure) return
      pending += d
      let nl
      // A trailing partial line (a child killed mid-write) is never parsed.
      while ((nl = pending.indexOf('\n')) >= 0) {
        const text = pending.slice(0, nl)
        pending = pending.slice(nl + 1)
        let line: Record<string, unknown>
        try {
          line = JSON.parse(text) as Record<string, unknown>
        } catch {
          failure = new Error(`fws ${args.join(' ')}: stdout line is not JSON: ${JSON.stringify(text)}`)
          child.kill('SIGKILL')
          return
        }
        run.lines.push(line)
        opts.onLine?.(line, (s) => child.kill(s))
      }
    })
    child.stderr.on('data', (d: string) => (run.stderr += d))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (failure) return reject(failure)
      resolve({ ...run, code, signal })
    })
    opts.onSpawn?.(child)
    child.stdin.on('error', () => {}) // EPIPE from a child that exits without reading its input
    child.stdin.end(opts.stdin)
  })
}
