/**
 * Batch predictions and interactive edits on one project at the same time (`fws batch --project`
 * while the app is open): an editor in another process commits a correction every 50 ms while
 * this process writes 300 one-row and 300 fifty-row prediction batches through its own
 * connection. Every write of both sides must succeed: the store's write transactions take the
 * write lock up front (BEGIN IMMEDIATE) so the busy timeout applies instead of an instant
 * SQLITE_BUSY.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { build } from 'esbuild'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ProjectStore } from '../../../src-main/engine/project/store'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-concurrent-'))
const bundleDir = path.join(import.meta.dirname, '../../../node_modules/.cache/fws-test')
const childJs = path.join(bundleDir, `editor-child-${process.pid}.mjs`)
let child: ChildProcess | null = null

beforeAll(async () => {
  mkdirSync(bundleDir, { recursive: true })
  await build({
    entryPoints: [path.join(import.meta.dirname, 'editor-child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    external: ['better-sqlite3'],
    outfile: childJs,
    logLevel: 'error',
  })
})
afterAll(() => {
  child?.kill('SIGKILL')
  rmSync(tmp, { recursive: true, force: true })
  rmSync(childJs, { force: true })
})

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

it(
  '300 one-row and 300 fifty-row prediction writes next to an editor committing every 50 ms: 0 failures',
  { timeout: 120_000 },
  async () => {
    const file = path.join(tmp, 'busy.fwsproj')
    const seed = ProjectStore.create(file)
    seed.addMedia(
      {
        absPath: path.join(tmp, 'a.wav'),
        sha256: 'abc',
        sizeBytes: 1,
        durationSec: 600,
        hasAudio: true,
        hasVideo: false,
        probe: {},
      },
      Array.from({ length: 100 }, (_, i) => ({
        start: i * 5,
        end: i * 5 + 4,
        text: `u${i}`,
        source: 'test',
      })),
    )
    seed.close()

    child = spawn(process.execPath, [childJs, file, '50'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')))
    while (!out.includes('ready\n')) await pause(10)

    const store = ProjectStore.open(file)
    const ids = store.listUtterances().map((u) => u.id)
    const failures: string[] = []
    let writes = 0
    const probs = (k: number) => ({ joy: (k % 10) / 10, neutral: 1 - (k % 10) / 10 })
    for (const size of [1, 50]) {
      for (let k = 0; k < 300; k++) {
        const rows = Array.from({ length: size }, (_, j) => ({
          utteranceId: ids[(k + j) % ids.length]!,
          task: 'emotion' as const,
          modelVersion: `m@${size}`,
          probabilities: probs(k + j),
        }))
        try {
          store.writePredictions(rows)
          writes++
        } catch (err) {
          failures.push(
            `${size}-row write ${k}: ${(err as Error & { code?: string }).code} ${(err as Error).message}`,
          )
        }
        // Let the editor's timer in: a batch writes between files, not in one tight loop.
        await pause(3)
      }
    }
    child.kill('SIGKILL')
    await new Promise((r) => child!.once('close', r))
    const lines = out.split('\n').filter(Boolean)
    const editorErrors = lines.filter((l) => l.startsWith('error'))
    const edits = lines.filter((l) => l.startsWith('ack')).length
    console.log(
      `concurrent writes: ${writes} prediction writes, ${failures.length} failed; editor ${edits} commits, ${editorErrors.length} failed`,
    )
    expect(failures).toEqual([])
    expect(editorErrors).toEqual([])
    expect(writes).toBe(600)
    // The two really overlapped: the editor committed throughout.
    expect(edits).toBeGreaterThanOrEqual(30)
    // Everything the batch wrote is there, next to every acknowledged edit.
    const rows = store.listUtterances()
    expect(rows.every((r) => r.prediction !== null)).toBe(true)
    expect(store.corrections().length).toBe(edits)
    store.close()
  },
)
