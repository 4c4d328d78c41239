// `fws segment`, `fws features` and `fws project add` stop cleanly on SIGINT, SIGTERM and SIGHUP
// (not only Ctrl-C): the running ffmpeg is stopped, the command says "cancelled" and exits with
// 128 + the signal's number; `project add` keeps the media it had already saved.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProjectStore } from '../../src-main/engine/project/store'
import { runFws, type FwsRun } from '../helpers/fws-cli'
import { makeSpeechVideo } from '../helpers/media-fixtures'

let tmp: string
let long: string
let short: string

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-cli-stop-'))
  // Four minutes of small video with noise for sound: voice activity detection alone takes
  // seconds, so the signal lands while the command is working.
  long = path.join(tmp, 'long.mp4')
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=5'],
    ...['-f', 'lavfi', '-i', 'anoisesrc=color=pink:amplitude=0.3:sample_rate=16000'],
    ...['-t', '240', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', long],
  ])
  short = (await makeSpeechVideo(null, { video: false, phrases: ['Call me back when you can.'] })).file
}, 120_000)

afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** The arguments of the ffmpeg/ffprobe processes `pid` has started (Linux /proc). */
function ffmpegRuns(pid: number): string[][] {
  let children: string[]
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)
  } catch {
    return [] // it has exited
  }
  const runs: string[][] = []
  for (const c of children.filter(Boolean)) {
    try {
      // A child forked but not yet exec'd still shows fws's own command line: skip it.
      const argv = readFileSync(`/proc/${c}/cmdline`, 'utf8').split('\0')
      if (/^ff(mpeg|probe)$/.test(path.basename(argv[0] ?? ''))) runs.push(argv)
    } catch {
      // it has just exited
    }
  }
  return runs
}

/**
 * Runs fws, sends `sig` once it has started an ffmpeg/ffprobe reading the file `on`,
 * and reports how it ended (`ms`: from the signal to the exit; -1 when it was never sent).
 */
async function stopWhileWorking(
  args: string[],
  sig: NodeJS.Signals,
  on: string,
): Promise<FwsRun & { ms: number }> {
  let sentAt = 0
  let poll: NodeJS.Timeout | undefined
  try {
    const r = await runFws(args, {
      env: { FWS_CACHE_DIR: path.join(tmp, 'cache') },
      timeoutMs: 120_000,
      onSpawn: (child) => {
        poll = setInterval(() => {
          if (!sentAt && ffmpegRuns(child.pid!).some((args) => args.includes(`file:${on}`))) {
            sentAt = Date.now()
            child.kill(sig)
          }
        }, 20)
      },
    })
    return { ...r, ms: sentAt ? Date.now() - sentAt : -1 }
  } finally {
    clearInterval(poll)
  }
}

describe('stop signals on the single-file commands', () => {
  it.each([
    ['segment', 'SIGTERM', 143],
    ['features', 'SIGHUP', 129],
    ['features', 'SIGINT', 130],
  ] as const)('fws %s stops on %s: "cancelled", exit %i', { timeout: 150_000 }, async (cmd, sig, code) => {
    const out = path.join(tmp, `${cmd}-${sig}`)
    const args = cmd === 'segment' ? ['segment', long, '--json'] : ['features', long, '--out', out]
    const r = await stopWhileWorking(args, sig, long)
    expect(r.ms, 'the command never started ffmpeg').toBeGreaterThanOrEqual(0)
    expect(r.signal, 'killed by the signal: no handler').toBeNull()
    expect(r.code, r.stderr).toBe(code)
    expect(r.stderr).toMatch(/cancelled/)
    expect(r.ms).toBeLessThan(10_000)
    if (cmd === 'features') expect(existsSync(out), 'no partial export').toBe(false)
  })

  it(
    'fws project add stops on SIGTERM and keeps the media saved before the stop',
    { timeout: 150_000 },
    async () => {
      const file = path.join(tmp, 'stopped.fwsproj')
      // The signal comes once the first file is in and the second is being probed.
      const r = await stopWhileWorking(['project', 'add', file, short, long], 'SIGTERM', long)
      expect(r.ms).toBeGreaterThanOrEqual(0)
      expect(r.signal).toBeNull()
      expect(r.code, r.stderr).toBe(143)
      expect(r.stderr).toMatch(/cancelled/)
      const store = ProjectStore.open(file)
      try {
        const media = store.listMedia()
        expect(media.map((m) => m.name)).toEqual([path.basename(short)])
        expect(store.listUtterances(media[0]!.id).length).toBeGreaterThan(0)
      } finally {
        store.close()
      }
    },
  )
})
