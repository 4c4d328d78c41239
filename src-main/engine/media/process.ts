/**
 * The one place ffmpeg and ffprobe processes are spawned. Owns:
 *  - the registry of live processes (every one is killed by `killAllMediaProcesses()`, and on exit);
 *  - cancellation: an AbortSignal SIGKILLs the process at once;
 *  - the log of command lines, shell-quoted so a user can copy and rerun them;
 *  - progress: the pure `parseProgress(line, durationSec)` over ffmpeg's stderr lines.
 * Streaming decodes go through fluent-ffmpeg (the product's choice); short buffered runs (ffprobe,
 * subtitle extraction) use child_process directly because fluent-ffmpeg's ffprobe cannot be killed.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { PassThrough } from 'node:stream'
import path from 'node:path'
import ffmpeg from 'fluent-ffmpeg'
import { ffmpegTools } from './ffmpeg-locate'
import { cancelledError, checkInputFile, ffmpegFailure, MediaError } from './errors'

// ---------------------------------------------------------------------------------------------
// Command-line logging

/** POSIX shell quoting of one argument: left bare when safe, else single-quoted. */
export function shellQuoteArg(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg
  return `'${arg.replace(/'/g, `'\\''`)}'`
}

/** A command line a user can paste into a shell to rerun exactly what the engine ran. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map(shellQuoteArg).join(' ')
}

export type MediaCommandLogger = (commandLine: string) => void

const RECENT_MAX = 50
const recent: string[] = []
let logger: MediaCommandLogger | null = null

/**
 * Receive every media command line as it starts (null restores the default: print to stderr only
 * when FWS_DEBUG or FWS_LOG_MEDIA is set).
 */
export function setMediaCommandLogger(fn: MediaCommandLogger | null): void {
  logger = fn
}

/** The last command lines run (newest last), for error reports and `fws doctor`-style diagnostics. */
export function recentMediaCommands(): string[] {
  return [...recent]
}

function logCommand(line: string): void {
  recent.push(line)
  if (recent.length > RECENT_MAX) recent.shift()
  if (logger) logger(line)
  else if (process.env.FWS_DEBUG || process.env.FWS_LOG_MEDIA) process.stderr.write(`[media] ${line}\n`)
}

// ---------------------------------------------------------------------------------------------
// Registry of live processes

interface Live {
  pid: number | undefined
  command: string
  kill: () => void
}

const live = new Set<Live>()
let exitHookInstalled = false

function track(entry: Live): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true
    // 'exit' handlers must be synchronous; kill() is. Orphaned ffmpeg processes would otherwise
    // keep decoding (and writing to a dead pipe) after the app or CLI quits.
    process.once('exit', () => killAllMediaProcesses())
  }
  live.add(entry)
  return () => live.delete(entry)
}

/** SIGKILL every running ffmpeg/ffprobe process started by the engine. Returns how many were killed. */
export function killAllMediaProcesses(): number {
  let n = 0
  for (const entry of [...live]) {
    try {
      entry.kill()
      n++
    } catch {
      /* already gone */
    }
    live.delete(entry)
  }
  return n
}

/** How many engine-spawned media processes are running now (tests check nothing leaks). */
export function activeMediaProcesses(): { pid: number | undefined; command: string }[] {
  return [...live].map(({ pid, command }) => ({ pid, command }))
}

// ---------------------------------------------------------------------------------------------
// Progress parsing (pure)

/** Seconds from an ffmpeg time stamp "HH:MM:SS.ss" (hours may exceed 2 digits), or null. */
export function parseTimestamp(ts: string): number | null {
  const m = /^(-)?(\d+):([0-5]?\d):([0-5]?\d(?:\.\d+)?)$/.exec(ts.trim())
  if (!m) return null
  const v = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4])
  return m[1] ? -v : v
}

/** The input duration announced in ffmpeg's header ("  Duration: 00:10:00.04, start: ..."), or null. */
export function parseDurationLine(line: string): number | null {
  const m = /^\s*Duration:\s*(\d+:\d+:\d+(?:\.\d+)?)/.exec(line)
  return m ? parseTimestamp(m[1]!) : null
}

/**
 * Fraction done (0..1) from one line of ffmpeg stderr, or null when the line carries no progress.
 * Understands the stats line ("frame=  50 fps=0.0 ... time=00:00:02.00 bitrate=...") and the
 * machine format of `-progress` ("out_time_ms=2000000", "out_time=00:00:02.000000").
 * `durationSec` is the duration of the OUTPUT being produced (after -ss/-t), > 0.
 */
export function parseProgress(line: string, durationSec: number): number | null {
  if (!(durationSec > 0) || !Number.isFinite(durationSec)) return null
  let t: number | null = null
  const stats = /(?:^|\s)time=\s*(-?\d+:\d+:\d+(?:\.\d+)?)/.exec(line)
  if (stats) t = parseTimestamp(stats[1]!)
  else {
    const us = /^\s*out_time_(?:ms|us)=(-?\d+)\s*$/.exec(line) // both are microseconds in ffmpeg
    if (us) t = Number(us[1]) / 1e6
    else {
      const ot = /^\s*out_time=(-?\d+:\d+:\d+(?:\.\d+)?)\s*$/.exec(line)
      if (ot) t = parseTimestamp(ot[1]!)
      else if (/^\s*progress=end\s*$/.test(line)) return 1
    }
  }
  if (t === null || !Number.isFinite(t)) return null
  return Math.min(1, Math.max(0, t / durationSec))
}

/** Lines of ffmpeg stderr that are neither progress stats nor -progress key=value pairs. */
function isProgressLine(line: string): boolean {
  return /^\s*(frame|size)=.*time=/.test(line) || /^\s*[a-z_]+=\S*\s*$/.test(line)
}

// ---------------------------------------------------------------------------------------------
// Input path handling

/**
 * ffmpeg reads "a:b.mp4" as protocol "a"; the file: prefix makes every local path literal
 * (unicode, spaces and colons included).
 */
export function ffmpegInputPath(file: string): string {
  return `file:${path.resolve(file)}`
}

// ---------------------------------------------------------------------------------------------
// Streaming ffmpeg through fluent-ffmpeg

export interface StreamFfmpegOptions {
  /** The media file read (for errors and the input check). */
  file: string
  /** Options placed before `-i` (e.g. ['-ss', '12.5']). */
  inputOptions?: string[]
  /** Options placed after `-i`, before the pipe output (format, codec, filters, maps). */
  outputOptions: string[]
  /** Duration of the output in seconds for progress; when absent, the input's Duration header is used. */
  durationSec?: number
  signal?: AbortSignal
  /** Fraction done, monotonic, 1 exactly once at the successful end. */
  onProgress?: (fraction: number) => void
  /** Human name of the operation for messages, e.g. 'audio decoding'. */
  what?: string
  /** Bytes buffered between ffmpeg and the consumer before ffmpeg is paused (backpressure). */
  highWaterMark?: number
  /** Treat "partial file" warnings as a TRUNCATED error at the end (default true). */
  failOnTruncation?: boolean
  /** When the duration comes from the input header, subtract this (the -ss start) for progress. */
  headerDurationOffset?: number
  /** The error to throw when the requested stream does not exist ("matches no streams"). */
  noStreamError?: () => MediaError
}

/**
 * Run ffmpeg on `file` writing to stdout and yield its output as it arrives. Memory stays flat:
 * ffmpeg is paused through pipe backpressure while the consumer is busy. Breaking out of the loop,
 * an abort or a failure kills ffmpeg. Errors are MediaErrors with the specific cause.
 */
export async function* streamFfmpeg(opts: StreamFfmpegOptions): AsyncGenerator<Buffer> {
  const { file, signal } = opts
  const what = opts.what ?? 'ffmpeg run'
  if (signal?.aborted) throw cancelledError(file, what)
  await checkInputFile(file)
  if (signal?.aborted) throw cancelledError(file, what)
  const tools = ffmpegTools()

  const cmd = ffmpeg({ stdoutLines: 50 })
    .setFfmpegPath(tools.ffmpeg.path)
    .input(ffmpegInputPath(file))
    .inputOptions(['-nostdin', '-hide_banner', ...(opts.inputOptions ?? [])])
    // On a pipe ffmpeg flushes after every packet by default (thousands of small writes and
    // wake-ups for an audio decode); full 32 KB writes halve the Node-side work and the wall time.
    .outputOptions([...opts.outputOptions, '-flush_packets', '0'])

  let duration = opts.durationSec && opts.durationSec > 0 ? opts.durationSec : null
  let best = 0
  let truncated = false
  const messages: string[] = []
  let commandLine = ''
  let untrack: (() => void) | null = null
  let aborted = false
  let exited = false
  let failure: Error | null = null

  const killNow = () => {
    const proc = (cmd as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
  }
  const onAbort = () => {
    aborted = true
    killNow()
  }
  signal?.addEventListener('abort', onAbort, { once: true })

  cmd.on('start', () => {
    const proc = (cmd as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc
    commandLine = shellQuote(proc?.spawnargs ?? [])
    logCommand(commandLine)
    untrack = track({ pid: proc?.pid, command: commandLine, kill: killNow })
    if (aborted || signal?.aborted) onAbort() // aborted while fluent-ffmpeg was preparing
  })
  cmd.on('stderr', (line: string) => {
    if (duration === null) {
      const d = parseDurationLine(line)
      if (d !== null && d - (opts.headerDurationOffset ?? 0) > 0)
        duration = d - (opts.headerDurationOffset ?? 0)
    }
    if (opts.onProgress && duration !== null) {
      const f = parseProgress(line, duration)
      // Stop short of 1: only the clean end of the process reports 1.
      if (f !== null && f > best && f < 1) {
        best = f
        opts.onProgress(f)
      }
    }
    if (!isProgressLine(line)) {
      if (/partial file/i.test(line)) truncated = true
      if (messages.length < 400) messages.push(line)
    }
  })
  // autoDestroy off (and destroyOnReturn false below): fluent-ffmpeg kills the process 20 ms after
  // its output stream closes, which could race with a clean exit.
  const out = new PassThrough({ autoDestroy: false, highWaterMark: opts.highWaterMark ?? 1 << 20 })
  const finished = new Promise<void>((resolve) => {
    cmd.on('end', () => {
      exited = true
      resolve()
    })
    cmd.on('error', (err: Error) => {
      exited = true
      failure = err
      // When ffmpeg never started (fluent-ffmpeg's preparation failed) nothing would end the
      // output stream. Once it has started, its stdout ends `out` itself (after any data still in
      // flight: fluent-ffmpeg reports the exit before stdout is drained).
      if (!commandLine && !out.writableEnded) out.end()
      resolve()
    })
  })

  cmd.pipe(out, { end: true })

  let completed = false
  try {
    for await (const chunk of out.iterator({ destroyOnReturn: false })) {
      yield chunk as Buffer
    }
    await finished
    if (aborted || signal?.aborted) throw cancelledError(file, what)
    if (failure && !commandLine)
      throw new MediaError(
        'FFMPEG_FAILED',
        file,
        `Could not start ffmpeg (${tools.ffmpeg.path}) for the ${what} of ${file}: ${(failure as Error).message}`,
        { cause: failure },
      )
    if (failure) {
      const err = failure as Error & { code?: number }
      const m = /exited with code (\d+)/.exec(err.message)
      const sig = /killed with signal (\w+)/.exec(err.message)
      if (
        opts.noStreamError &&
        messages.some((l) => /matches no streams|does not contain any stream/i.test(l))
      )
        throw opts.noStreamError()
      throw await ffmpegFailure(file, messages.join('\n') || err.message, {
        exitCode: m ? Number(m[1]) : null,
        signal: sig ? sig[1] : null,
        command: commandLine,
        what,
      })
    }
    if (truncated && opts.failOnTruncation !== false)
      throw new MediaError(
        'TRUNCATED',
        file,
        `${file} is truncated: its data ends before the length its header announces, so the ${what} is incomplete.`,
        { detail: `command: ${commandLine}\n${messages.slice(-8).join('\n')}` },
      )
    completed = true
    opts.onProgress?.(1)
  } finally {
    signal?.removeEventListener('abort', onAbort)
    if (!completed && !exited) {
      killNow()
      out.destroy()
    }
    ;(untrack as (() => void) | null)?.()
  }
}

// ---------------------------------------------------------------------------------------------
// Buffered runs (ffprobe, subtitle extraction)

export interface RunToolOptions {
  file: string
  signal?: AbortSignal
  what?: string
  /** Give up (kill, FFMPEG_FAILED) after this many ms. */
  timeoutMs?: number
  /** With `progressDurationSec` (the output's length): fraction done from ffmpeg's stats lines, below 1. */
  onProgress?: (fraction: number) => void
  progressDurationSec?: number
}

export interface RunToolResult {
  stdout: Buffer
  stderr: string
  exitCode: number | null
  signal: NodeJS.Signals | null
  command: string
}

/** The MediaError of a run that failed: ffmpegFailure with its exit code, signal and command line. */
export function runFailure(
  file: string,
  res: RunToolResult,
  what: string,
  stderr = res.stderr,
): Promise<MediaError> {
  return ffmpegFailure(file, stderr, {
    exitCode: res.exitCode,
    signal: res.signal,
    command: res.command,
    what,
  })
}

/** Run ffmpeg or ffprobe to completion, collecting stdout and stderr. Rejects only on cancel/timeout/spawn failure. */
export function runTool(
  tool: 'ffmpeg' | 'ffprobe',
  args: string[],
  opts: RunToolOptions,
): Promise<RunToolResult> {
  const { file, signal } = opts
  const what = opts.what ?? tool
  if (signal?.aborted) return Promise.reject(cancelledError(file, what))
  const bin = ffmpegTools()[tool].path
  const argv = [bin, ...args]
  const command = shellQuote(argv)
  logCommand(command)
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true })
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
    const untrack = track({ pid: child.pid, command, kill })
    const out: Buffer[] = []
    const err: Buffer[] = []
    let errBytes = 0
    child.stdout.on('data', (b: Buffer) => out.push(b))
    let best = 0
    child.stderr.on('data', (b: Buffer) => {
      // Keep the head and a bounded amount: stderr of a long run can be large.
      if (errBytes < 1 << 20) err.push(b)
      errBytes += b.length
      if (opts.onProgress && opts.progressDurationSec)
        for (const line of b.toString('utf8').split(/\r|\n/)) {
          const f = parseProgress(line, opts.progressDurationSec)
          if (f !== null && f > best && f < 1) opts.onProgress((best = f))
        }
    })
    let why: 'cancel' | 'timeout' | null = null
    const onAbort = () => {
      why = 'cancel'
      kill()
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          why ??= 'timeout'
          kill()
        }, opts.timeoutMs)
      : null
    const done = () => {
      signal?.removeEventListener('abort', onAbort)
      if (timer) clearTimeout(timer)
      untrack()
    }
    child.on('error', (e) => {
      done()
      reject(
        new MediaError('FFMPEG_FAILED', file, `Could not start ${tool} (${bin}) for ${file}: ${e.message}`, {
          cause: e,
        }),
      )
    })
    child.on('close', (exitCode, sig) => {
      done()
      if (why === 'cancel') return reject(cancelledError(file, what))
      if (why === 'timeout')
        return reject(
          new MediaError(
            'FFMPEG_FAILED',
            file,
            `${what} on ${file} took longer than ${opts.timeoutMs} ms and was stopped.`,
            {
              detail: `command: ${command}`,
            },
          ),
        )
      resolve({
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8'),
        exitCode,
        signal: sig,
        command,
      })
    })
  })
}
