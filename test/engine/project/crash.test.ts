/**
 * Crash safety: processes apply operations to a project and acknowledge each after its commit;
 * we kill them with SIGKILL at random moments (also while still opening the file), reopen the
 * project and check that nothing acknowledged was lost and PRAGMA integrity_check is ok.
 *
 * Operations: transcript, label, bounds, split and merge corrections, undo and redo (crash-ops.ts).
 * Two lanes run a child that applies them as fast as it can and prints the digest of the rows
 * after each commit; the reopened file must show the last acknowledged digest, or that state plus
 * the one operation that was committed but not yet acknowledged when the kill came (then undoing,
 * or for an undo redoing, that one operation gives the acknowledged digest exactly). A third lane
 * runs the real CLI (`fws project edit|undo|redo`, bundled) once per trial and kills it mid-way.
 * At the end each file's history is replayed: undo to the very start (the seeded rows) and redo
 * back to the final state.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { build } from 'esbuild'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ProjectStore } from '../../../src-main/engine/project/store'
import { pickOp, stateDigest } from './crash-ops'

/** Trials per child lane (two lanes) and for the CLI lane. */
const CHILD_TRIALS = 85
const CLI_TRIALS = 60
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-crash-'))
// Bundled inside the package so that external packages resolve from node_modules.
const bundleDir = path.join(import.meta.dirname, '../../../node_modules/.cache/fws-test')
const childJs = path.join(bundleDir, `crash-child-${process.pid}.mjs`)
const cliJs = path.join(bundleDir, `crash-cli-${process.pid}.mjs`)
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true })
  rmSync(childJs, { force: true })
  rmSync(cliJs, { force: true })
})

beforeAll(async () => {
  mkdirSync(bundleDir, { recursive: true })
  // Prebuilt bundles start in ~50 ms (child) / ~250 ms (CLI) instead of ~1 s through tsx.
  await build({
    entryPoints: [path.join(import.meta.dirname, 'crash-child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    external: ['better-sqlite3'],
    outfile: childJs,
    logLevel: 'error',
  })
  await build({
    entryPoints: [path.join(import.meta.dirname, '../../../src-main/cli/index.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: cliJs,
    logLevel: 'error',
  })
})

/** Seeded random numbers so a failure can be replayed. */
function rng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
}

/** Spawns `args`, kills it with SIGKILL `killAfterMs` after spawn (or after its first ack when `fromAck`). */
function runAndKill(
  args: string[],
  killAfterMs: number,
  fromAck: boolean,
): Promise<{ lines: string[]; killed: boolean; code: number | null; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now()
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    let timer: NodeJS.Timeout | undefined
    const arm = () => (timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs))
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8')
      if (fromAck && !timer && out.includes('\nack ')) arm()
    })
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')))
    if (!fromAck) arm()
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      // Only complete lines count as acknowledged; a torn last line was never fully printed.
      const lines = out.split('\n')
      lines.pop()
      resolve({ lines, killed: signal === 'SIGKILL', code, stderr: err, ms: Date.now() - t0 })
    })
  })
}

function seedProject(file: string): string {
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
    Array.from({ length: 12 }, (_, i) => ({
      start: i * 4,
      end: i * 4 + 3,
      text: `u${i} a b c d`,
      source: 'test',
    })),
  )
  expect(m.utteranceCount).toBe(12)
  const d = stateDigest(seed)
  seed.close()
  return d
}

/**
 * After a kill: the file must hold the acknowledged state `acked`, or that state with the one
 * unacknowledged operation `pending` committed on top (proved by undoing it, or redoing an undo,
 * which must give `acked` exactly, and then putting it back). Returns the state now on disk.
 */
function checkAfterKill(file: string, acked: string, pending: string | null): string {
  const store = ProjectStore.open(file)
  try {
    expect(store.integrityCheck()).toBe('ok')
    const now = stateDigest(store)
    if (now === acked) return now
    expect(
      pending,
      `state ${now} is not the acknowledged ${acked} and no operation was pending`,
    ).not.toBeNull()
    const [back, forth] = pending === 'undo' ? (['redo', 'undo'] as const) : (['undo', 'redo'] as const)
    expect(store[back](), `${back} of the committed-but-unacknowledged ${pending}`).not.toBeNull()
    expect(stateDigest(store)).toBe(acked)
    expect(store[forth]()).not.toBeNull()
    expect(stateDigest(store)).toBe(now)
    return now
  } finally {
    store.close()
  }
}

/** One child lane: `trials` kill/reopen cycles on its own project file. */
async function childLane(file: string, first: number, trials: number, random: () => number) {
  const seeded = seedProject(file)
  let state = seeded
  let acked = 0
  let beforeReady = 0
  let midStream = 0
  const kinds = new Map<string, number>()
  for (let trial = first; trial < first + trials; trial++) {
    // One trial in six is killed 0–300 ms after spawn (often while still opening the file), the
    // rest 0–150 ms after the first acknowledged commit, i.e. while commits are flowing.
    const early = trial % 6 === 0
    const r = await runAndKill(
      [childJs, file, String(trial)],
      Math.floor(random() * (early ? 300 : 150)),
      !early,
    )
    if (!r.killed) throw new Error(`child ended on its own (code ${r.code}): ${r.stderr}`)
    let expected = state
    let pending: string | null = null
    let n = 0
    for (const line of r.lines) {
      const [tag, kind, , digest] = line.split(' ')
      if (tag === 'ready') expect(kind, 'the child opened the state we verified').toBe(state)
      else if (tag === 'pending') pending = kind!
      else if (tag === 'ack') {
        expected = digest!
        pending = null
        n++
        kinds.set(kind!, (kinds.get(kind!) ?? 0) + 1)
      }
    }
    if (!r.lines.some((l) => l.startsWith('ready'))) beforeReady++
    if (n > 0) midStream++
    acked += n
    // Reopen after every crash: the next child continues on the recovered file.
    state = checkAfterKill(file, expected, pending)
  }
  return { seeded, acked, beforeReady, midStream, kinds }
}

/** The CLI lane: one `fws project edit|undo|redo` per trial, killed at a random moment. */
async function cliLane(file: string, trials: number, random: () => number) {
  const seeded = seedProject(file)
  let state = seeded
  let acked = 0
  let kills = 0
  const kinds = new Map<string, number>()
  // Kill delays spread over [0, 1.25 × the running time of the commands that finished], whatever
  // the machine's load: most runs are killed, before, during or after the commit.
  let runMs = 400
  for (let trial = 0; trial < trials; trial++) {
    const store = ProjectStore.open(file)
    const op = pickOp(store.listUtterances(), random, `cli${trial}`)
    store.close()
    const args =
      op.kind === 'edit'
        ? [cliJs, 'project', 'edit', file, JSON.stringify(op.edit)]
        : [cliJs, 'project', op.kind, file]
    const r = await runAndKill(args, Math.floor(random() * 1.25 * runMs), false)
    if (r.killed) kills++
    else if (r.code !== 0) throw new Error(`fws project ${op.kind} failed (code ${r.code}): ${r.stderr}`)
    else runMs = 0.7 * runMs + 0.3 * r.ms
    const ack = r.lines.find((l) => /^(history \d+:|undo: history|redo: history)/.test(l))
    if (ack) {
      acked++
      const kind = op.kind === 'edit' ? op.edit.kind : op.kind
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
      // Acknowledged: the operation is on disk (undoing it gives the state before, exactly).
      const now = checkAfterKill(file, state, op.kind)
      expect(now === state, `acknowledged ${op.kind} changed nothing`).toBe(false)
      state = now
    } else {
      state = checkAfterKill(file, state, op.kind)
      if (r.killed) runMs = Math.min(10_000, runMs * 1.05)
    }
  }
  return { seeded, acked, kills, kinds }
}

/** Undo everything (back to the seeded rows), then redo as many steps (back to the final rows). */
function replayHistory(file: string, seeded: string): number {
  const store = ProjectStore.open(file)
  try {
    const end = stateDigest(store)
    let n = 0
    while (store.undo()) n++
    expect(stateDigest(store)).toBe(seeded)
    for (let i = 0; i < n; i++) expect(store.redo()).not.toBeNull()
    expect(stateDigest(store)).toBe(end)
    return n
  } finally {
    store.close()
  }
}

it(
  `loses no acknowledged operation over ≥ 200 SIGKILLs (edits of every kind, undo, redo, CLI)`,
  { timeout: 240_000 },
  async () => {
    const files = ['crash-a', 'crash-b', 'crash-cli'].map((n) => path.join(tmp, `${n}.fwsproj`))
    const t0 = Date.now()
    const [a, b, cli] = await Promise.all([
      childLane(files[0]!, 0, CHILD_TRIALS, rng(20261127)),
      childLane(files[1]!, CHILD_TRIALS, CHILD_TRIALS, rng(20261128)),
      cliLane(files[2]!, CLI_TRIALS, rng(20261129)),
    ])
    const elapsed = Date.now() - t0
    const replayed = [a, b, cli].map((r, i) => replayHistory(files[i]!, r.seeded))
    const kinds = new Map<string, number>()
    for (const r of [a, b, cli]) for (const [k, v] of r.kinds) kinds.set(k, (kinds.get(k) ?? 0) + v)
    const acked = a.acked + b.acked + cli.acked
    console.log(
      `crash test: ${2 * CHILD_TRIALS + cli.kills} SIGKILLs (CLI: ${cli.kills} of ${CLI_TRIALS} runs) in ${(elapsed / 1000).toFixed(1)} s, ${acked} acknowledged operations ` +
        `(${[...kinds].map(([k, v]) => `${k} ${v}`).join(', ')}), 0 lost; ${a.beforeReady + b.beforeReady} kills before the child was ready, ` +
        `${a.midStream + b.midStream} mid-stream; CLI ${cli.acked}/${CLI_TRIALS} acknowledged; history replayed ${replayed.join(' + ')} steps to the start and back`,
    )
    expect(2 * CHILD_TRIALS + cli.kills).toBeGreaterThanOrEqual(200)
    expect(acked).toBeGreaterThan(2 * CHILD_TRIALS)
    // Most kills must land while commits are flowing, or the test would prove little.
    expect(a.midStream + b.midStream).toBeGreaterThanOrEqual(CHILD_TRIALS)
    for (const k of ['transcript', 'label', 'bounds', 'split', 'merge', 'undo', 'redo'])
      expect(kinds.get(k) ?? 0, `acknowledged ${k} operations`).toBeGreaterThan(0)
    // The CLI lane's kills fall on both sides of the commit.
    expect(cli.acked).toBeGreaterThan(0)
    expect(cli.acked).toBeLessThan(CLI_TRIALS)
  },
)
