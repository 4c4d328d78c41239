import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeAudio, readAudio } from '../../../src-main/engine/media/audio'
import { isMediaError } from '../../../src-main/engine/media/errors'
import {
  activeMediaProcesses,
  killAllMediaProcesses,
  parseDurationLine,
  parseProgress,
  parseTimestamp,
  recentMediaCommands,
  setMediaCommandLogger,
  shellQuote,
} from '../../../src-main/engine/media/process'
import { makeSpeechVideo, type SpeechVideo } from '../../helpers/media-fixtures'

const run = promisify(execFile)

// Real stderr lines, copied from the two ffmpeg builds found on this machine
// (@ffmpeg-installer 2018 static build and Debian ffmpeg 5.1) decoding a 24.06 s file.
const REAL = {
  header: '  Duration: 00:00:24.06, start: 0.000000, bitrate: 216 kb/s',
  statsStart:
    'frame=    1 fps=0.0 q=-0.0 size=     225kB time=00:00:00.50 bitrate=3686.4kbits/s speed=48.6x    ',
  statsEnd:
    'frame=   48 fps=0.0 q=-0.0 Lsize=   10800kB time=00:00:24.00 bitrate=3686.4kbits/s speed= 192x    ',
  audioStats: 'size=     768kB time=00:00:12.29 bitrate= 512.0kbits/s speed= 245x    ',
  na: 'size=N/A time=00:00:01.50 bitrate=N/A speed=2.99x    ',
  negative: 'size=       0kB time=-00:00:00.02 bitrate=N/A speed=N/A    ',
  outTimeUs: 'out_time_us=45438',
  outTimeMs: 'out_time_ms=12027937',
  outTime: 'out_time=00:00:24.055875',
  progressEnd: 'progress=end',
  summary:
    'video:10800kB audio:0kB subtitle:0kB other streams:0kB global headers:0kB muxing overhead: 0.000000%',
  stream: '  Stream #0:0 -> #0:0 (h264 (native) -> rawvideo (native))',
}

describe('parseProgress (pure, real ffmpeg lines)', () => {
  it('reads time= from stats lines as a fraction of the duration', () => {
    expect(parseProgress(REAL.statsStart, 24.06)).toBeCloseTo(0.5 / 24.06, 6)
    expect(parseProgress(REAL.statsEnd, 24.06)).toBeCloseTo(24 / 24.06, 6)
    expect(parseProgress(REAL.audioStats, 24.06)).toBeCloseTo(12.29 / 24.06, 6)
    expect(parseProgress(REAL.na, 3)).toBeCloseTo(0.5, 6)
  })
  it('reads the -progress machine format', () => {
    expect(parseProgress(REAL.outTimeUs, 24.06)).toBeCloseTo(0.045438 / 24.06, 6)
    expect(parseProgress(REAL.outTimeMs, 24.06)).toBeCloseTo(12.027937 / 24.06, 6)
    expect(parseProgress(REAL.outTime, 24.06)).toBeCloseTo(24.055875 / 24.06, 6)
    expect(parseProgress(REAL.outTime, 24)).toBe(1) // clamped
    expect(parseProgress(REAL.progressEnd, 24.06)).toBe(1)
  })
  it('clamps to 0..1 and ignores lines without progress or an unusable duration', () => {
    expect(parseProgress(REAL.negative, 10)).toBe(0)
    expect(parseProgress(REAL.statsEnd, 10)).toBe(1)
    expect(parseProgress(REAL.summary, 10)).toBeNull()
    expect(parseProgress(REAL.stream, 10)).toBeNull()
    expect(parseProgress(REAL.header, 10)).toBeNull()
    expect(parseProgress(REAL.statsEnd, 0)).toBeNull()
    expect(parseProgress(REAL.statsEnd, Number.NaN)).toBeNull()
    expect(parseProgress('', 10)).toBeNull()
  })
  it('parses time stamps and the Duration header', () => {
    expect(parseTimestamp('01:02:03.25')).toBeCloseTo(3723.25, 9)
    expect(parseTimestamp('123:00:00.00')).toBe(442800)
    expect(parseTimestamp('-00:00:00.02')).toBeCloseTo(-0.02, 9)
    expect(parseTimestamp('N/A')).toBeNull()
    expect(parseDurationLine(REAL.header)).toBeCloseTo(24.06, 9)
    expect(parseDurationLine('  Duration: N/A, bitrate: N/A')).toBeNull()
  })
})

describe('shellQuote', () => {
  it('leaves safe arguments bare and quotes the rest so a shell gives back the same argv', async () => {
    const argv = ['ffmpeg', '-i', "file:/tmp/my clip's ünïcode.mp4", '-vf', 'fps=2,scale=320:180', '']
    const line = shellQuote(argv)
    expect(line.startsWith('ffmpeg -i ')).toBe(true)
    const { stdout } = await run('sh', ['-c', `printf '%s\\n' ${shellQuote(argv.slice(1))}`])
    expect(stdout.split('\n').slice(0, -1)).toEqual(argv.slice(1))
  })
})

describe('ffmpeg processes: logging, cancellation, shutdown', () => {
  let dir: string
  let video: SpeechVideo
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'fws-proc-'))
    video = await makeSpeechVideo(dir, { durationSec: 60, name: 'long clip ü.mp4' })
  })
  afterAll(async () => {
    setMediaCommandLogger(null)
    await rm(dir, { recursive: true, force: true })
  })

  it('logs a command line that reruns to the same bytes', async () => {
    const logged: string[] = []
    setMediaCommandLogger((l) => logged.push(l))
    const pcm = await readAudio(video.file, { start: 5, end: 7 })
    setMediaCommandLogger(null)
    expect(logged).toHaveLength(1)
    expect(recentMediaCommands().at(-1)).toBe(logged[0])
    const out = path.join(dir, 'rerun.f32')
    // The logged line ends with pipe:1; a user reruns it as is and redirects stdout.
    await run('sh', ['-c', `${logged[0]} > ${shellQuote([out])} 2>/dev/null`])
    const bytes = await readFile(out)
    expect(bytes.length).toBe(pcm.length * 4)
    expect(Buffer.from(pcm.buffer).equals(bytes)).toBe(true)
  })

  it('an AbortSignal kills ffmpeg within 1 s and ends with CANCELLED', async () => {
    const ac = new AbortController()
    const gen = decodeAudio(video.file, { signal: ac.signal })
    let chunks = 0
    let abortedAt = 0
    let pid: number | undefined
    const err = await (async () => {
      try {
        for await (const _ of gen) {
          chunks++
          if (chunks === 1) {
            pid = activeMediaProcesses()[0]?.pid
            abortedAt = performance.now()
            ac.abort()
            // Stop consuming: the process must die from the signal, not from a closed pipe.
            await new Promise((r) => setTimeout(r, 50))
          }
        }
      } catch (e) {
        return e
      }
      return null
    })()
    expect(isMediaError(err, 'CANCELLED')).toBe(true)
    expect(pid).toBeTypeOf('number')
    const deadline = abortedAt + 1000
    while (performance.now() < deadline && isAlive(pid!)) await new Promise((r) => setTimeout(r, 10))
    expect(isAlive(pid!)).toBe(false)
    expect(activeMediaProcesses()).toHaveLength(0)
  })

  it('an already-aborted signal never starts ffmpeg', async () => {
    const before = recentMediaCommands().length
    const ac = new AbortController()
    ac.abort()
    await expect(readAudio(video.file, { signal: ac.signal })).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(recentMediaCommands().length).toBe(before)
  })

  it('killAllMediaProcesses stops every running decode', async () => {
    // Two decodes that have started and are paused by backpressure (nobody reads on).
    const gens = [decodeAudio(video.file), decodeAudio(video.file, { start: 10 })]
    for (const g of gens) expect((await g.next()).done).toBe(false)
    const pids = activeMediaProcesses().map((p) => p.pid!)
    expect(pids).toHaveLength(2)
    expect(killAllMediaProcesses()).toBe(2)
    for (const g of gens) {
      const err = await (async () => {
        try {
          for await (const _ of g) {
            /* drain what was buffered */
          }
          return null
        } catch (e) {
          return e
        }
      })()
      expect(isMediaError(err, 'FFMPEG_FAILED')).toBe(true)
      expect((err as Error).message).toMatch(/killed by SIGKILL/)
    }
    for (const pid of pids) expect(isAlive(pid)).toBe(false)
    expect(activeMediaProcesses()).toHaveLength(0)
  })
})

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
