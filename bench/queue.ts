/**
 * `npm run bench:queue`: the same files through `fws batch --queue` with 1 worker, then with 2
 * workers (`fws worker --jobs 1` each, on this machine, a local redis-server on a free port), and
 * the speed-up. Each run starts from an empty output folder with the feature cache off, so both do
 * the full work. Prints wall time per run (enqueue to summary.json, from the watching CLI), the
 * ratio, and the load average (1-minute, sampled during each run) — on a machine shared with
 * other work the ratio says little, and the load figure says how much.
 *
 * Two workers on one machine can at best halve the wall time when it has two free cores; across
 * machines each worker brings its own cores.
 * Options: --files N (default 6), --seconds S of speech per file (default 40), --fps N (default 1),
 * --tiny (tiny models trained here instead of the shipped defaults).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { englishSentences, faceImage, makeSpeechVideo } from './face-video'
import { startRedis } from '../test/helpers/redis-server'

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : def
}
const nFiles = arg('files', 6)
const seconds = arg('seconds', 40)
const fps = arg('fps', 1)
const forceTiny = process.argv.includes('--tiny')
const fwsBin = path.resolve(import.meta.dirname, '../bin/fws.mjs')

async function benchFiles(): Promise<string[]> {
  const dir = path.join(os.tmpdir(), 'fws-bench-queue', `v1-${nFiles}x${seconds}s`)
  mkdirSync(dir, { recursive: true })
  const sentences = englishSentences(400)
  const files: string[] = []
  for (let i = 0; i < nFiles; i++) {
    const file = path.join(dir, `clip-${i + 1}.mp4`)
    if (!existsSync(file)) {
      process.stdout.write(`generating ${path.basename(file)} (${seconds} s) …\n`)
      await makeSpeechVideo(file, {
        sentences: sentences.slice(i * 20),
        durationSec: seconds,
        image: faceImage(),
        srt: true,
      })
    }
    files.push(file)
  }
  return files
}

async function modelArgs(tmp: string): Promise<{ args: string[]; note: string }> {
  const { selectAvailableModels } = await import('../src-main/engine/pipeline/select-models')
  if (!forceTiny) {
    try {
      const { models: m } = selectAvailableModels()
      const tasks = (['emotion', 'translation'] as const).filter((t) => m[t])
      return {
        args: ['--tasks', tasks.join(',')],
        note: `shipped defaults: ${tasks.map((t) => `${m[t]!.name}@${m[t]!.version}`).join(', ')}`,
      }
    } catch {
      /* tiny models below */
    }
  }
  const { trainTinyModels } = await import('../test/engine/pipeline/helpers/tiny-models')
  const t = await trainTinyModels(path.join(tmp, 'models'))
  return {
    args: ['--models', t.dir, '--tasks', t.tasks.join(',')],
    note: `TINY models trained for this bench`,
  }
}

function startWorker(url: string, cache: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fwsBin, 'worker', '--queue', url, '--jobs', '1'], {
      env: { ...process.env, FWS_FROM_SOURCE: '1', FWS_CACHE_DIR: cache },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    child.stdout.on('data', (d: Buffer) => d.toString().includes(': ready') && resolve(child))
    child.on('close', (code) => reject(new Error(`fws worker exited with ${code}`)))
  })
}

async function timedRun(
  url: string,
  files: string[],
  workers: number,
  tmp: string,
  models: string[],
): Promise<{ wall: number; load: number; done: number }> {
  const kids = await Promise.all(
    Array.from({ length: workers }, (_, i) => startWorker(url, path.join(tmp, `cache-${workers}-${i}`))),
  )
  const out = path.join(tmp, `out-${workers}`)
  const loads: number[] = []
  const sample = setInterval(() => loads.push(os.loadavg()[0]!), 1000)
  const t0 = performance.now()
  const code = await new Promise<number | null>((resolve) =>
    spawn(
      process.execPath,
      [
        fwsBin,
        'batch',
        ...files,
        '--out',
        out,
        '--queue',
        url,
        '--fps',
        String(fps),
        '--no-cache',
        '--json',
        ...models,
      ],
      { env: { ...process.env, FWS_FROM_SOURCE: '1' }, stdio: ['ignore', 'ignore', 'inherit'] },
    ).on('close', resolve),
  )
  const wall = (performance.now() - t0) / 1000
  clearInterval(sample)
  for (const k of kids) k.kill('SIGTERM')
  await Promise.all(kids.map((k) => new Promise((r) => (k.exitCode !== null ? r(null) : k.on('close', r)))))
  if (code !== 0) throw new Error(`fws batch --queue exited with ${code}`)
  const s = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as { totals: { done: number } }
  return {
    wall,
    load: loads.length ? loads.reduce((a, b) => a + b, 0) / loads.length : os.loadavg()[0]!,
    done: s.totals.done,
  }
}

async function main() {
  const files = await benchFiles()
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-bench-queue-run-'))
  const redis = await startRedis()
  try {
    const m = await modelArgs(tmp)
    const one = await timedRun(redis.url, files, 1, tmp, m.args)
    const two = await timedRun(`${redis.url}/1`, files, 2, tmp, m.args)
    const cores = os.availableParallelism()
    process.stdout.write(
      [
        '',
        `bench:queue — ${files.length} files × ${seconds} s talking-head video with .srt, fps ${fps}; models: ${m.note}`,
        `1 worker  (--jobs 1): ${one.wall.toFixed(1)} s wall, ${one.done} files done, load average ${one.load.toFixed(1)} on ${cores} cores`,
        `2 workers (--jobs 1): ${two.wall.toFixed(1)} s wall, ${two.done} files done, load average ${two.load.toFixed(1)} on ${cores} cores`,
        `speed-up 1 → 2 workers: ${(one.wall / two.wall).toFixed(2)}×`,
        '',
      ].join('\n'),
    )
  } finally {
    await redis.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
}

await main()
