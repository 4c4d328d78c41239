/**
 * Crash safety: a child applies corrections and acknowledges each after its commit; we kill it
 * with SIGKILL at random moments (also while it is still opening the file), reopen the project
 * and check that every acknowledged correction is there and PRAGMA integrity_check is ok.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { build } from 'esbuild'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ProjectStore } from '../../../src-main/engine/project/store'

const TRIALS = 60
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-crash-'))
// Bundled inside the package so that the external better-sqlite3 resolves from node_modules.
const bundleDir = path.join(import.meta.dirname, '../../../node_modules/.cache/fws-test')
const childJs = path.join(bundleDir, `crash-child-${process.pid}.mjs`)
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true })
  rmSync(childJs, { force: true })
})

beforeAll(async () => {
  mkdirSync(bundleDir, { recursive: true })
  // A prebuilt bundle starts in ~50 ms instead of ~1 s through tsx, so 60 trials fit in seconds.
  await build({
    entryPoints: [path.join(import.meta.dirname, 'crash-child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    external: ['better-sqlite3'],
    outfile: childJs,
    logLevel: 'error',
  })
})

/** Seeded random numbers so a failure can be replayed. */
function rng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
}

/** Kills `killAfterMs` after spawn, or after the child acknowledged its first commit when `fromReady`. */
function runAndKill(file: string, trial: number, killAfterMs: number, fromReady: boolean): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childJs, file, String(trial)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    let timer: NodeJS.Timeout | undefined
    const arm = () => (timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs))
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8')
      if (fromReady && !timer && out.includes('\nack ')) arm()
    })
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')))
    if (!fromReady) arm()
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (signal !== 'SIGKILL') return reject(new Error(`child ended on its own (code ${code}): ${err}`))
      // Only complete lines count as acknowledged; a torn last line was never fully printed.
      const lines = out.split('\n')
      lines.pop()
      resolve(lines)
    })
  })
}

interface Ack {
  historyId: number
  utteranceId: string
  field: string
  value: string
}

function seedProject(file: string): void {
  const seed = ProjectStore.create(file)
  const m = seed.addMedia(
    {
      absPath: path.join(tmp, 'a.wav'),
      sha256: `sha256:${file}`,
      sizeBytes: 1,
      durationSec: 60,
      hasAudio: true,
      hasVideo: false,
      probe: {},
    },
    Array.from({ length: 12 }, (_, i) => ({ start: i * 4, end: i * 4 + 3, text: `u${i}`, source: 'test' })),
  )
  expect(m.utteranceCount).toBe(12)
  seed.close()
}

/** One lane: `trials` kill/reopen cycles on its own project file; returns the acknowledged edits. */
async function lane(file: string, first: number, trials: number, random: () => number) {
  const acked: Ack[] = []
  let beforeReady = 0
  let midStream = 0
  for (let trial = first; trial < first + trials; trial++) {
    // One trial in six is killed 0–300 ms after spawn (often while still opening the file), the
    // rest 0–150 ms after the first acknowledged commit, i.e. while commits are flowing.
    const early = trial % 6 === 0
    const lines = await runAndKill(file, trial, Math.floor(random() * (early ? 300 : 150)), !early)
    if (!lines.includes('ready')) beforeReady++
    let n = 0
    for (const line of lines) {
      const m = /^ack (\d+) (\S+) (text|label):(.*)$/.exec(line)
      if (!m) continue
      n++
      acked.push({ historyId: Number(m[1]), utteranceId: m[2], field: m[3], value: m[4] })
    }
    if (n > 0) midStream++
    // Reopen after every crash: the next child continues on the recovered file.
    const store = ProjectStore.open(file)
    expect(store.integrityCheck()).toBe('ok')
    store.close()
  }
  return { acked, beforeReady, midStream }
}

function verify(file: string, acked: Ack[]): void {
  const store = ProjectStore.open(file)
  expect(store.integrityCheck()).toBe('ok')
  const log = new Map(store.corrections().map((c) => [c.historyId, c]))
  const missing = acked.filter((a) => {
    const c = log.get(a.historyId)
    const field = a.field === 'text' ? 'transcript' : 'emotion'
    return !c || c.utteranceId !== a.utteranceId || c.field !== field || c.value !== a.value
  })
  expect(missing).toEqual([])
  // The current value of each utterance is its last logged correction (acked or committed just before the kill).
  const lastLogged = new Map<string, string>()
  for (const c of store.corrections())
    if (c.field === 'transcript') lastLogged.set(c.utteranceId, c.value as string)
  for (const u of store.listUtterances())
    if (lastLogged.has(u.id)) expect(u.transcript).toBe(lastLogged.get(u.id))
  store.close()
}

it(`loses no acknowledged correction over ${TRIALS} SIGKILLs`, { timeout: 180_000 }, async () => {
  // Two lanes on two project files run side by side (2 cores): same total number of kills, half the time.
  const files = [path.join(tmp, 'crash-a.fwsproj'), path.join(tmp, 'crash-b.fwsproj')]
  files.forEach(seedProject)
  const t0 = Date.now()
  const half = TRIALS / 2
  const results = await Promise.all(files.map((f, i) => lane(f, i * half, half, rng(20261127 + i))))
  const elapsed = Date.now() - t0
  results.forEach((r, i) => verify(files[i], r.acked))
  const acked = results.reduce((n, r) => n + r.acked.length, 0)
  const beforeReady = results.reduce((n, r) => n + r.beforeReady, 0)
  const midStream = results.reduce((n, r) => n + r.midStream, 0)
  console.log(
    `crash test: ${TRIALS} SIGKILLs in ${(elapsed / 1000).toFixed(1)} s, ${acked} acknowledged corrections, ` +
      `0 lost; ${beforeReady} kills before the child was ready, ${midStream} mid-stream`,
  )
  expect(acked).toBeGreaterThan(TRIALS)
  // Most kills must land while commits are flowing, or the test would prove little.
  expect(midStream).toBeGreaterThanOrEqual(TRIALS / 2)
})
