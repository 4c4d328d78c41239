/**
 * `npm run bench:media`: the engine's streaming decoders against plain ffmpeg doing the same work
 * to /dev/null, in the same run, on a generated 10-minute 1280×720 H.264 video with speech.
 *
 *  - audio: whole file → 16 kHz mono float32 (engine: decodeAudio, consumer touches every chunk)
 *  - frames: 2 fps scaled to a 320-pixel shorter side, RGB24 (engine: sampleFrames)
 *  - VAD segmentation of the same file (engine only; informational), with boundary errors
 *    against the known speech intervals
 *
 * The baseline is the engine's own logged command line run by a shell with stdout sent to
 * /dev/null, so both sides run the same ffmpeg binary with the same arguments. Measurements run in
 * a fresh child process so its peak RSS is the engine's alone (fixture generation builds the
 * speech track in memory).
 *
 * Each engine run is paired with the baseline run next to it (their order alternates), and the
 * reported ratio is the median of the paired ratios: on a shared machine the load drifts, and
 * neighbouring runs see about the same load. Best-of-n and median-of-n ratios are printed too.
 *
 * Options: --reps N (default 3 for frames, 25 for audio: its runs are short and noisy), --minutes M (default 10).
 */
import { execFile, spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { makeSpeechVideo } from '../test/helpers/media-fixtures'

const run = promisify(execFile)
const self = fileURLToPath(import.meta.url)

interface Measured {
  audio: { engine: number[]; ffmpeg: number[]; engineCpu: number[]; ffmpegCpu: number[]; samples: number }
  frames: {
    engine: number[]
    ffmpeg: number[]
    engineCpu: number[]
    ffmpegCpu: number[]
    count: number
    size: string
  }
  vad: {
    seconds: number
    utterances: number
    known: number
    meanStartErr: number
    meanEndErr: number
    maxErr: number
    over03: number
  }
  maxRssMB: number
  ffmpegPeakRssMB: number
  ffmpeg: { path: string; version: string }
  commands: { audio: string; frames: string }
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : def
}

/** Peak resident memory (VmHWM) of a running process, read from /proc; 0 when unavailable. */
function vmHwmMB(pid: number | undefined): number {
  if (!pid) return 0
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : 0
  } catch {
    return 0
  }
}

async function measure(file: string, speechJson: string): Promise<Measured> {
  const { decodeAudio } = await import('../src-main/engine/media/audio')
  const { sampleFrames } = await import('../src-main/engine/media/frames')
  const { probe } = await import('../src-main/engine/media/probe')
  const { ffmpegTools } = await import('../src-main/engine/media/ffmpeg-locate')
  const { activeMediaProcesses, setMediaCommandLogger } = await import('../src-main/engine/media/process')
  const { segmentMedia } = await import('../src-main/engine/segment')
  const speech = JSON.parse(speechJson) as { start: number; end: number }[]
  const reps = arg('reps', 3)
  const audioReps = Math.max(reps, 25)
  const tools = ffmpegTools()
  let last = ''
  setMediaCommandLogger((line) => (last = line))
  let ffmpegPeak = 0
  const watch = setInterval(() => {
    for (const p of activeMediaProcesses()) {
      // The pid is the /usr/bin/time wrapper's; ffmpeg is its child.
      let kids: number[] = []
      try {
        kids = readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, 'utf8')
          .trim()
          .split(/\s+/)
          .filter(Boolean)
          .map(Number)
      } catch {
        /* exited */
      }
      for (const pid of [p.pid, ...kids]) ffmpegPeak = Math.max(ffmpegPeak, vmHwmMB(pid))
    }
  }, 100)

  // CPU seconds of every ffmpeg run, exact, from the /usr/bin/time wrapper FFMPEG_PATH points to
  // (see main); wall time on a loaded shared machine is noisy, CPU time much less so.
  const cpuLog = process.env.FWS_BENCH_CPU_LOG
  const ffmpegCpuLines = (): number[] => {
    if (!cpuLog) return []
    try {
      return readFileSync(cpuLog, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ').reduce((a, x) => a + Number(x), 0))
    } catch {
      return []
    }
  }
  const ffmpegCpuSince = (n: number) =>
    ffmpegCpuLines()
      .slice(n)
      .reduce((a, x) => a + x, 0)
  /** Wall seconds and CPU seconds (this process + the ffmpeg runs it made) of fn. */
  const time = async (fn: () => Promise<void>, withNode: boolean) => {
    const n0 = ffmpegCpuLines().length
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    await fn()
    const wall = (performance.now() - t0) / 1000
    const c = process.cpuUsage(c0)
    const nodeCpu = withNode ? (c.user + c.system) / 1e6 : 0
    return { wall, cpu: nodeCpu + ffmpegCpuSince(n0) }
  }
  const baseline = (line: string) =>
    time(async () => {
      // The engine's command, verbatim, with its stdout going to /dev/null instead of a pipe.
      await run('sh', ['-c', `${line} > /dev/null 2>/dev/null`], { maxBuffer: 1 << 20 })
    }, false)

  // Warm the page cache and fluent-ffmpeg's one-time capability query.
  await probe(file)
  for await (const _ of decodeAudio(file, { end: 1 })) void _

  const out: Measured = {
    audio: { engine: [], ffmpeg: [], engineCpu: [], ffmpegCpu: [], samples: 0 },
    frames: { engine: [], ffmpeg: [], engineCpu: [], ffmpegCpu: [], count: 0, size: '' },
    vad: {
      seconds: 0,
      utterances: 0,
      known: speech.length,
      meanStartErr: 0,
      meanEndErr: 0,
      maxErr: 0,
      over03: 0,
    },
    maxRssMB: 0,
    ffmpegPeakRssMB: 0,
    ffmpeg: { path: tools.ffmpeg.path, version: tools.ffmpeg.version },
    commands: { audio: '', frames: '' },
  }
  // Engine and baseline alternate which goes first, so neither always meets a warmer cache.
  for (let r = 0; r < audioReps; r++) {
    let n = 0
    let sum = 0
    const engine = () =>
      time(async () => {
        for await (const c of decodeAudio(file)) {
          n += c.length
          sum += c[c.length - 1]! // touch the data
        }
      }, true)
    const base = async (line: string) => {
      const b = await baseline(line)
      out.audio.ffmpeg.push(b.wall)
      out.audio.ffmpegCpu.push(b.cpu)
    }
    if (r % 2 && out.commands.audio) await base(out.commands.audio)
    const e = await engine()
    out.audio.engine.push(e.wall)
    out.audio.engineCpu.push(e.cpu)
    void sum
    out.audio.samples = n
    out.commands.audio = last
    if (!(r % 2)) await base(last)
  }
  for (let r = 0; r < reps; r++) {
    let count = 0
    let size = ''
    const engine = () =>
      time(async () => {
        for await (const f of sampleFrames(file, { fps: 2, shortSide: 320 })) {
          count++
          size = `${f.width}×${f.height}`
        }
      }, true)
    const base = async (line: string) => {
      const b = await baseline(line)
      out.frames.ffmpeg.push(b.wall)
      out.frames.ffmpegCpu.push(b.cpu)
    }
    if (r % 2 && out.commands.frames) await base(out.commands.frames)
    const e = await engine()
    out.frames.engine.push(e.wall)
    out.frames.engineCpu.push(e.cpu)
    out.frames.count = count
    out.frames.size = size
    out.commands.frames = last
    if (!(r % 2)) await base(last)
  }
  const t0 = performance.now()
  const utts = await segmentMedia(file, { vad: true })
  out.vad.seconds = (performance.now() - t0) / 1000
  out.vad.utterances = utts.length
  // Boundary errors: each known interval against the utterance overlapping it most.
  const errs: number[][] = speech.map((s) => {
    const best = utts.reduce(
      (b, u) => {
        const ov = Math.min(u.end, s.end) - Math.max(u.start, s.start)
        return ov > b.ov ? { ov, u } : b
      },
      { ov: 0, u: null as (typeof utts)[number] | null },
    ).u
    return best ? [Math.abs(best.start - s.start), Math.abs(best.end - s.end)] : [Infinity, Infinity]
  })
  out.vad.meanStartErr = errs.reduce((a, e) => a + e[0]!, 0) / errs.length
  out.vad.meanEndErr = errs.reduce((a, e) => a + e[1]!, 0) / errs.length
  out.vad.maxErr = Math.max(...errs.flat())
  out.vad.over03 = errs.flat().filter((e) => e > 0.3).length
  clearInterval(watch)
  out.maxRssMB = process.resourceUsage().maxRSS / 1024
  out.ffmpegPeakRssMB = ffmpegPeak
  return out
}

const best = (xs: number[]) => Math.min(...xs)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!
const f2 = (x: number) => x.toFixed(2)

async function main(): Promise<void> {
  if (process.argv.includes('--measure')) {
    const i = process.argv.indexOf('--measure')
    const res = await measure(process.argv[i + 1]!, process.argv[i + 2]!)
    process.stdout.write(JSON.stringify(res))
    return
  }
  const minutes = arg('minutes', 10)
  const t0 = performance.now()
  process.stdout.write(
    `generating (or reusing) a ${minutes}-minute 1280×720 H.264 video with espeak-ng speech…\n`,
  )
  const video = await makeSpeechVideo(null, {
    durationSec: minutes * 60,
    width: 1280,
    height: 720,
    fps: 25,
    preset: 'veryfast',
  })
  process.stdout.write(`  ${video.file} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`)
  // Both sides run ffmpeg through the same /usr/bin/time wrapper, which appends each run's
  // user + system CPU seconds to a log: exact CPU time of every ffmpeg process.
  const { ffmpegTools } = await import('../src-main/engine/media/ffmpeg-locate')
  const realFfmpeg = ffmpegTools().ffmpeg.path
  const work = mkdtempSync(path.join(os.tmpdir(), 'fws-bench-media-'))
  const cpuLog = path.join(work, 'cpu.log')
  const wrapper = path.join(work, 'ffmpeg')
  writeFileSync(wrapper, `#!/bin/sh\nexec /usr/bin/time -a -o '${cpuLog}' -f '%U %S' '${realFfmpeg}' "$@"\n`)
  chmodSync(wrapper, 0o755)
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      self,
      '--measure',
      video.file,
      JSON.stringify(video.speech),
      ...process.argv.slice(2),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, FFMPEG_PATH: wrapper, FWS_BENCH_CPU_LOG: cpuLog },
    },
  )
  let json = ''
  child.stdout.on('data', (b: Buffer) => (json += b.toString()))
  const code = await new Promise<number | null>((r) => child.on('close', r))
  rmSync(work, { recursive: true, force: true })
  if (code !== 0) throw new Error(`measurement process failed (exit ${code})`)
  const m = JSON.parse(json) as Measured
  const paired = (e: number[], b: number[]) => median(e.map((x, i) => x / b[i]!))
  const ra = paired(m.audio.engine, m.audio.ffmpeg)
  const rf = paired(m.frames.engine, m.frames.ffmpeg)
  const rba = best(m.audio.engine) / best(m.audio.ffmpeg)
  const rbf = best(m.frames.engine) / best(m.frames.ffmpeg)
  const rma = median(m.audio.engine) / median(m.audio.ffmpeg)
  const rmf = median(m.frames.engine) / median(m.frames.ffmpeg)
  const lines = [
    `ffmpeg ${m.ffmpeg.version} (${m.ffmpeg.path})`,
    `video: ${video.durationSec} s, 1280×720 H.264 25 fps, ${video.speech.length} known speech intervals`,
    '',
    'median of n runs                   engine (s)   plain ffmpeg → /dev/null (s)   paired ratio (target ≤ 1.2)',
    `audio → 16 kHz mono f32 (n=${m.audio.engine.length})      ${f2(median(m.audio.engine)).padStart(6)}       ${f2(median(m.audio.ffmpeg)).padStart(6)}                      ${f2(ra)}  ${ra <= 1.2 ? 'OK' : 'OVER'}`,
    `frames 2 fps ${m.frames.size} RGB (n=${m.frames.engine.length})  ${f2(median(m.frames.engine)).padStart(6)}       ${f2(median(m.frames.ffmpeg)).padStart(6)}                      ${f2(rf)}  ${rf <= 1.2 ? 'OK' : 'OVER'}`,
    `CPU seconds (ffmpeg + engine process; less sensitive to machine load), median of n:`,
    `  audio:  engine ${f2(median(m.audio.engineCpu))}  ffmpeg ${f2(median(m.audio.ffmpegCpu))}  ratio ${f2(median(m.audio.engineCpu) / median(m.audio.ffmpegCpu))}`,
    `  frames: engine ${f2(median(m.frames.engineCpu))}  ffmpeg ${f2(median(m.frames.ffmpegCpu))}  ratio ${f2(median(m.frames.engineCpu) / median(m.frames.ffmpegCpu))}`,
    `  other wall-time ratios: best-of-n audio ${f2(rba)}, frames ${f2(rbf)}; of medians audio ${f2(rma)}, frames ${f2(rmf)}; machine load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`,
    `  runs: audio engine [${m.audio.engine.map(f2).join(', ')}] ffmpeg [${m.audio.ffmpeg.map(f2).join(', ')}]`,
    `        frames engine [${m.frames.engine.map(f2).join(', ')}] ffmpeg [${m.frames.ffmpeg.map(f2).join(', ')}]`,
    `  output: ${m.audio.samples} samples (${f2(m.audio.samples / 16000)} s), ${m.frames.count} frames`,
    `VAD segmentation (decode + Silero, engine only): ${f2(m.vad.seconds)} s = ${f2(video.durationSec / m.vad.seconds)}× real time; ` +
      `${m.vad.utterances} utterances for ${m.vad.known} known; boundary error mean start ${f2(m.vad.meanStartErr)} s, end ${f2(m.vad.meanEndErr)} s, max ${f2(m.vad.maxErr)} s, ${m.vad.over03} of ${2 * m.vad.known} boundaries off by > 0.3 s`,
    `peak RSS: engine process ${m.maxRssMB.toFixed(0)} MB (target < 300 MB) ${m.maxRssMB < 300 ? 'OK' : 'OVER'}; ffmpeg child ${m.ffmpegPeakRssMB.toFixed(0)} MB`,
    `commands (rerunnable):`,
    `  ${m.commands.audio.replace(wrapper, realFfmpeg)}`,
    `  ${m.commands.frames.replace(wrapper, realFfmpeg)}`,
  ]
  process.stdout.write(lines.join('\n') + '\n')
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:media failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
