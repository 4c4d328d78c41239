/**
 * `npm run bench:batch`: `fws batch` end to end on a generated 10-minute 1280×720 H.264 video with
 * speech (espeak-ng, Multi30K sentences) over a real face photo, with an .srt sidecar, against plain
 * ffmpeg decoding the same streams in the same run (audio → 16 kHz mono f32, frames at the batch's
 * fps scaled to a 320-pixel shorter side, both to /dev/null).
 *
 * Prints wall time per stage (worker time, from summary.json), the real-time factor (media seconds
 * per wall second) of the batch and of the bare decodes, and the peak RSS of the batch process
 * (main + worker threads; ffmpeg children are separate processes, reported beside).
 *
 * Then the visual extractor against its previous settings (fws-features-2: detector every 8th frame,
 * face analysed on every 2nd, no still-picture hold) and against the every-frame reference, interleaved on the same frames of the bench
 * video's first minute: CPU per frame of each and the per-utterance agreement of the pooled face
 * columns (bench/visual-agreement.ts). The load average is printed with the figures.
 *
 * Models: the shipped defaults in resources/models when present; otherwise (or with --tiny) tiny
 * real models trained here with the project's own code, said so in the output.
 * Options: --minutes M (default 10), --fps N (default 2), --tiny, --jobs N, --agreement-sec S
 * (default 60; 0 skips the comparison).
 */
import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { englishSentences, faceImage, makeSpeechVideo } from './face-video'
import { compareVisual, formatAgreement } from './visual-agreement'

const run = promisify(execFile)

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : def
}
const minutes = arg('minutes', 10)
const fps = arg('fps', 2)
const jobs = arg('jobs', os.availableParallelism())
const forceTiny = process.argv.includes('--tiny')
const agreementSec = arg('agreement-sec', 60)
const loadNow = () =>
  `load ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`

/** The visual extractor, new vs previous settings, on the bench video's first `agreementSec` seconds. */
async function visualAgreement(file: string): Promise<string[]> {
  if (!(agreementSec > 0)) return []
  const { sampleFrames } = await import('../src-main/engine/media/frames')
  const { parseSrt } = await import('../src-main/engine/media/subtitles')
  const { loadFaceApi } = await import('../src-main/engine/features/visual/faces')
  const frames = []
  for await (const f of sampleFrames(file, { fps, shortSide: 320, end: agreementSec })) frames.push(f)
  const cues = parseSrt(readFileSync(file.replace(/\.mp4$/, '.srt'), 'utf8')).filter(
    (c) => c.start < agreementSec,
  )
  await loadFaceApi()
  return formatAgreement(await compareVisual(frames, cues))
}

/** The bench video, generated once per settings and kept in the temp folder. */
async function benchVideo(): Promise<{ file: string; durationSec: number }> {
  const dir = path.join(os.tmpdir(), 'fws-bench-batch', `v1-${minutes}min`)
  const file = path.join(dir, 'talking-head.mp4')
  if (existsSync(file) && existsSync(file.replace(/\.mp4$/, '.srt')))
    return { file, durationSec: minutes * 60 }
  mkdirSync(dir, { recursive: true })
  process.stdout.write(`generating a ${minutes}-minute 1280×720 video with speech over a face photo …\n`)
  const tmp = path.join(dir, 'tmp.mp4')
  const v = await makeSpeechVideo(tmp, {
    sentences: englishSentences(2000),
    durationSec: minutes * 60,
    image: faceImage(),
    width: 1280,
    height: 720,
    srt: true,
  })
  renameSync(tmp.replace(/\.mp4$/, '.srt'), file.replace(/\.mp4$/, '.srt'))
  renameSync(tmp, file)
  return { file, durationSec: v.durationSec }
}

/** Wall seconds of one ffmpeg run to /dev/null, and its peak RSS (from GNU time when available). */
async function timeFfmpeg(ffmpeg: string, args: string[]): Promise<{ sec: number; rssMB: number | null }> {
  const t0 = performance.now()
  const useTime = existsSync('/usr/bin/time')
  const cmd = useTime ? '/usr/bin/time' : ffmpeg
  const argv = useTime ? ['-f', '%M', ffmpeg, ...args] : args
  const { stderr } = await run(cmd, argv, { maxBuffer: 1 << 26 })
  const sec = (performance.now() - t0) / 1000
  const m = useTime ? /(\d+)\s*$/.exec(stderr.trim()) : null
  return { sec, rssMB: m ? Number(m[1]) / 1024 : null }
}

async function models(tmp: string): Promise<{ args: string[]; note: string }> {
  const { selectAvailableModels } = await import('../src-main/engine/pipeline/select-models')
  if (!forceTiny) {
    try {
      const { models: m, missing } = selectAvailableModels()
      if (m.emotion) {
        const tasks = (['emotion', 'translation'] as const).filter((t) => m[t])
        return {
          args: ['--tasks', tasks.join(',')],
          note: `shipped defaults: ${tasks.map((t) => `${m[t]!.name}@${m[t]!.version}`).join(', ')}${missing.length ? ` (missing: ${missing.map((x) => x.split(':')[0]).join('; ')})` : ''}`,
        }
      }
    } catch {
      /* fall through to tiny models */
    }
  }
  const { trainTinyModels } = await import('../test/engine/pipeline/helpers/tiny-models')
  const t = await trainTinyModels(path.join(tmp, 'models'))
  return {
    args: ['--models', t.dir, '--tasks', t.tasks.join(',')],
    note: `TINY models trained for this bench (${t.tasks.join(', ')}; text+audio+visual AutoFusion emotion model) — default models not installed`,
  }
}

async function main() {
  const { ffmpegTools } = await import('../src-main/engine/media/ffmpeg-locate')
  const ffmpeg = ffmpegTools().ffmpeg.path
  const video = await benchVideo()
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-bench-batch-run-'))
  try {
    const m = await models(tmp)
    const loadAtStart = loadNow()
    const scale = `fps=${fps},scale=-2:320:flags=bilinear`
    const base = ['-nostdin', '-v', 'error', '-i', video.file]
    const audio = await timeFfmpeg(ffmpeg, [
      ...base,
      '-vn',
      '-ac',
      '1',
      '-ar',
      '16000',
      '-f',
      'f32le',
      '-y',
      '/dev/null',
    ])
    const frames = await timeFfmpeg(ffmpeg, [
      ...base,
      '-an',
      '-vf',
      scale,
      '-pix_fmt',
      'rgb24',
      '-f',
      'rawvideo',
      '-y',
      '/dev/null',
    ])

    // The batch as a user runs it: the CLI (from source), its own process, feature cache off.
    const out = path.join(tmp, 'out')
    const t0 = performance.now()
    // GNU time (when present) adds the CPU seconds of the run, ffmpeg children included: a figure
    // that, unlike wall time, does not depend on what else the machine is doing.
    const timeOut = path.join(tmp, 'time.txt')
    const gnuTime = existsSync('/usr/bin/time')
    const child = spawn(
      gnuTime ? '/usr/bin/time' : process.execPath,
      [
        ...(gnuTime ? ['-f', '%U %S', '-o', timeOut, process.execPath] : []),
        path.resolve(import.meta.dirname, '../bin/fws.mjs'),
        'batch',
        video.file,
        '--out',
        out,
        '--fps',
        String(fps),
        '--jobs',
        String(jobs),
        '--no-cache',
        '--json',
        ...m.args,
      ],
      {
        env: { ...process.env, FWS_FROM_SOURCE: '1', FWS_CACHE_DIR: path.join(tmp, 'cache') },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    let peakKB = 0
    /** The fws node process: the child itself, or GNU time's child. */
    const fwsPid = (): number | undefined => {
      if (!gnuTime) return child.pid
      try {
        const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)
        return kids[0] ? Number(kids[0]) : undefined
      } catch {
        return undefined
      }
    }
    const poll = setInterval(() => {
      try {
        const mm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${fwsPid()}/status`, 'utf8'))
        if (mm) peakKB = Math.max(peakKB, Number(mm[1]))
      } catch {
        /* not started yet, or exited */
      }
    }, 200)
    let lastStage = ''
    child.stdout.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        try {
          const o = JSON.parse(line) as { type: string; stage?: string }
          if (o.type === 'file-progress' && o.stage !== lastStage) {
            lastStage = o.stage!
            process.stdout.write(`  … ${lastStage} at ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)
          }
        } catch {
          /* not JSON */
        }
      }
    })
    const code = await new Promise<number | null>((r) => child.on('close', r))
    clearInterval(poll)
    const wall = (performance.now() - t0) / 1000
    const loadAtEnd = loadNow()
    if (code !== 0) throw new Error(`fws batch exited with ${code}`)
    const s = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as {
      stageSec: Record<string, number>
      totals: { utterances: number; mediaSec: number }
      backend: string[]
    }
    const media = s.totals.mediaSec || video.durationSec
    const cpu = gnuTime
      ? readFileSync(timeOut, 'utf8')
          .trim()
          .split(/\s+/)
          .slice(-2)
          .reduce((a, x) => a + Number(x), 0)
      : null
    const cores = os.availableParallelism()
    const rowsOut = readFileSync(path.join(out, 'talking-head.utterances.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { modalities: Record<string, boolean>; translation: string | null })
    const pct = (f: (r: (typeof rowsOut)[number]) => boolean) =>
      `${((100 * rowsOut.filter(f).length) / Math.max(1, rowsOut.length)).toFixed(0)}%`
    const coverage = `text ${pct((r) => r.modalities.text!)}, audio ${pct((r) => r.modalities.audio!)}, visual ${pct((r) => r.modalities.visual!)}, face found ${pct((r) => r.modalities.face!)}, translated ${pct((r) => !!r.translation)}`
    const rows: [string, number][] = Object.entries(s.stageSec)
    const pad = (x: string, n: number) => x.padEnd(n)
    const lines = [
      '',
      `bench:batch — ${media.toFixed(0)} s of 1280×720 H.264 + AAC, speech over a face photo, .srt sidecar; fps ${fps}; jobs ${jobs}; backend ${s.backend.join(',')}`,
      `models: ${m.note}`,
      `utterances: ${s.totals.utterances} (modalities present: ${coverage})`,
      '',
      `${pad('stage (worker wall s, summed over workers)', 44)} ${pad('seconds', 9)} share of ${jobs} workers × run wall`,
      ...rows.map(
        ([k, v]) => `${pad(k, 44)} ${pad(v.toFixed(2), 9)} ${((100 * v) / (wall * jobs)).toFixed(1)}%`,
      ),
      '',
      `${pad('run', 40)} ${pad('wall s', 9)} ${pad('× real time', 12)} peak RSS`,
      `${pad('ffmpeg: audio → 16 kHz mono f32', 40)} ${pad(audio.sec.toFixed(2), 9)} ${pad((media / audio.sec).toFixed(1), 12)} ${audio.rssMB?.toFixed(0) ?? '?'} MB`,
      `${pad(`ffmpeg: frames ${fps} fps → 320p rgb24`, 40)} ${pad(frames.sec.toFixed(2), 9)} ${pad((media / frames.sec).toFixed(1), 12)} ${frames.rssMB?.toFixed(0) ?? '?'} MB`,
      `${pad('ffmpeg: both decodes (sum)', 40)} ${pad((audio.sec + frames.sec).toFixed(2), 9)} ${pad((media / (audio.sec + frames.sec)).toFixed(1), 12)}`,
      `${pad('fws batch end to end (CLI process)', 40)} ${pad(wall.toFixed(2), 9)} ${pad((media / wall).toFixed(1), 12)} ${(peakKB / 1024).toFixed(0)} MB`,
      '',
      `batch / plain decode time: ${(wall / (audio.sec + frames.sec)).toFixed(2)}×`,
      `batch wall time per media minute: ${((60 * wall) / media).toFixed(2)} s (compare --minutes 10 and --minutes 60 runs for linearity)`,
      ...(cpu !== null
        ? [
            `batch CPU time (user+sys, ffmpeg children included): ${cpu.toFixed(1)} s → ${(media / (cpu / cores)).toFixed(1)}× real time if it had the ${cores} cores to itself (estimate; the wall figure above is the measurement)`,
          ]
        : []),
      `targets (issue 18, idle machine): ≥ 20× real time: ${media / wall >= 20 ? 'MET' : 'NOT MET'} (${(media / wall).toFixed(2)}×); batch ≤ 3.5× plain decode: ${wall / (audio.sec + frames.sec) <= 3.5 ? 'MET' : 'NOT MET'} (${(wall / (audio.sec + frames.sec)).toFixed(2)}×); peak RSS ≤ 1 GB: ${peakKB / 1024 <= 1024 ? 'MET' : 'NOT MET'} (${(peakKB / 1024).toFixed(0)} MB)`,
      `load average at the end of the batch: ${loadAtEnd} on ${os.availableParallelism()} cores (at the start: ${loadAtStart})`,
      '',
    ]
    process.stdout.write(lines.join('\n'))
    process.stdout.write(['', ...(await visualAgreement(video.file)), ''].join('\n'))
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

await main()
