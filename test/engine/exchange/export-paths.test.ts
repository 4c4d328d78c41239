/**
 * Export destinations that cannot be written: a /proc path (where Node's recursive mkdir loops
 * forever), a read-only folder, a file name where a folder is needed. Each fails with a specific
 * ExchangePathError within 2 s, through the engine service (the app's and browser mode's path)
 * and through `fws export`, and nothing is half-written.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { exportProject } from '../../../src-main/engine/exchange/export'
import { ExchangePathError } from '../../../src-main/engine/exchange/safe-path'
import { createEngineService } from '../../../src-main/engine/service'
import { ProjectStore } from '../../../src-main/engine/project/store'
import { validateRequest } from '../../../src-main/contract/contract'
import { UnknownIdError } from '../../../src-main/engine/core/unknown-id'
import { httpStatusFor } from '../../../src-main/serve/errors'
import { runFws, type FwsRun } from '../../helpers/fws-cli'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-export-paths-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
let k = 0

function project(mediaCount = 1): { file: string; store: ProjectStore } {
  const file = path.join(tmp, `p${++k}.fwsproj`)
  const store = ProjectStore.create(file, { annotator: 'tester' })
  for (let i = 0; i < mediaCount; i++)
    store.addMedia(
      {
        absPath: path.join(tmp, `clip${k}-${i}.mp4`),
        sha256: `sha-${k}-${i}`,
        sizeBytes: 1,
        durationSec: 10,
        hasAudio: true,
        hasVideo: true,
        probe: {},
      },
      [{ start: 0, end: 1, text: 'hello', source: 'test' }],
    )
  return { file, store }
}

async function timed<T>(p: Promise<T>): Promise<{ err: unknown; ms: number }> {
  const t0 = performance.now()
  try {
    await p
    return { err: null, ms: performance.now() - t0 }
  } catch (err) {
    return { err, ms: performance.now() - t0 }
  }
}

/** Runs `fws` from source, timed (as root: without the capabilities that pass over file permissions). */
async function fws(args: string[]): Promise<FwsRun & { ms: number }> {
  const t0 = performance.now()
  const r = await runFws(args, { withoutRootOverride: true, timeoutMs: 20_000 })
  return { ...r, ms: performance.now() - t0 }
}

describe('export to a place that cannot be written', () => {
  it('a /proc path fails with a specific unwritable error in under 2 s (engine)', async () => {
    const { store } = project()
    for (const out of ['/proc/nope/x.srt', '/proc/nope/deeper/x.jsonl', '/proc/x.srt']) {
      const format = out.endsWith('.srt') ? 'srt' : 'jsonl'
      const { err, ms } = await timed(exportProject(store, { format, out }))
      expect(err).toBeInstanceOf(ExchangePathError)
      expect((err as ExchangePathError).code).toBe('unwritable')
      expect((err as Error).message).toMatch(/cannot write to \/proc\//)
      expect(ms).toBeLessThan(2000)
    }
    store.close()
  })

  it('a read-only folder fails with permission denied and leaves no temporary file', async () => {
    const ro = path.join(tmp, 'readonly')
    mkdirSync(ro)
    chmodSync(ro, 0o555)
    try {
      if (process.getuid?.() !== 0) {
        // In the engine itself (root writes anywhere: then only through the CLI, below).
        const { store } = project()
        const { err, ms } = await timed(exportProject(store, { format: 'csv', out: path.join(ro, 'x.csv') }))
        store.close()
        expect((err as ExchangePathError).code).toBe('unwritable')
        expect((err as Error).message).toMatch(/permission denied/)
        expect(ms).toBeLessThan(2000)
      }
      const { file, store } = project()
      store.close()
      const warm = await fws(['export', file, '--format', 'csv', '--out', path.join(tmp, 'warm.csv')])
      expect(warm.code, warm.stderr).toBe(0)
      for (const out of [path.join(ro, 'x.csv'), path.join(ro, 'a/b/x.csv')]) {
        const r = await fws(['export', file, '--format', 'csv', '--out', out])
        expect(r.code).toBe(1)
        expect(r.stderr).toMatch(/permission denied/)
        expect(r.ms - warm.ms).toBeLessThan(2000)
      }
      expect(readdirSync(ro)).toEqual([])
    } finally {
      chmodSync(ro, 0o755)
    }
  }, 60_000)

  it('the engine service words the error for a dialog, and other requests keep being answered', async () => {
    const { file, store } = project(2)
    store.close()
    const svc = createEngineService()
    try {
      await svc.handlers['project.open'](validateRequest('project.open', { path: file }))
      const exp = timed(
        svc.handlers['exchange.export'](
          validateRequest('exchange.export', { format: 'jsonl', out: '/proc/nope/x.jsonl' }),
        ),
      )
      // While the export fails, the same event loop answers a list request.
      const listed = await svc.handlers['media.list'](undefined)
      expect(listed).toHaveLength(2)
      const { err, ms } = await exp
      expect(ms).toBeLessThan(2000)
      expect((err as ExchangePathError).code).toBe('unwritable')
      expect((err as Error).message).toMatch(/^Export failed: cannot write to \/proc\/nope.*Choose a folder/)
      expect((err as Error).message).not.toMatch(/--out/)
      // All media into one file name: a folder is needed, said in dialog words.
      const one = await timed(
        svc.handlers['exchange.export'](
          validateRequest('exchange.export', { format: 'srt', out: path.join(tmp, 'all.srt') }),
        ),
      )
      expect((one.err as ExchangePathError).code).toBe('needs-folder')
      expect((one.err as Error).message).toMatch(/choose a folder/)
      expect((one.err as Error).message).not.toMatch(/--out/)
      expect(existsSync(path.join(tmp, 'all.srt'))).toBe(false)
      // A folder works: one file per media.
      const ok = await svc.handlers['exchange.export'](
        validateRequest('exchange.export', { format: 'srt', out: path.join(tmp, 'all-srt') }),
      )
      expect(ok.files).toHaveLength(2)
    } finally {
      await svc.dispose()
    }
  })

  it('a media id that is not in the project is named as such (404 in browser mode)', async () => {
    const { store } = project()
    const { err } = await timed(
      exportProject(store, { format: 'jsonl', out: path.join(tmp, 'one.jsonl'), mediaId: 'm_nope' }),
    )
    store.close()
    expect(err).toBeInstanceOf(UnknownIdError)
    expect(httpStatusFor(err)).toBe(404)
    expect((err as Error).message).toBe('no media with id "m_nope" in this project')
  })

  it('creating a project under /proc fails at once (store and engine service)', async () => {
    const t0 = performance.now()
    expect(() => ProjectStore.create('/proc/nope/x.fwsproj')).toThrow(/cannot create the folder \/proc\/nope/)
    const svc = createEngineService()
    try {
      const { err } = await timed(
        svc.handlers['project.create'](validateRequest('project.create', { path: '/proc/nope/y.fwsproj' })),
      )
      expect((err as Error).message).toMatch(/^Creating the project failed: cannot write to \/proc\/nope/)
      expect(await svc.handlers['project.current'](undefined)).toBeNull()
    } finally {
      await svc.dispose()
    }
    expect(performance.now() - t0).toBeLessThan(2000)
  })

  it('`fws export` to /proc fails in under 2 s with CLI wording and exit code 1', async () => {
    const { file, store } = project(2)
    store.close()
    // Warm-up: the CLI's own start-up time (tsx compile) is not part of the 2 s budget.
    const warm = await fws(['export', file, '--format', 'jsonl', '--out', path.join(tmp, 'warm.jsonl')])
    expect(warm.code).toBe(0)
    const r = await fws(['export', file, '--format', 'jsonl', '--out', '/proc/nope/x.jsonl'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(
      /cannot write to \/proc\/nope: .*give an --out path in a folder you can write to/,
    )
    expect(r.ms - warm.ms).toBeLessThan(2000)
    const f = await fws(['export', file, '--format', 'srt', '--out', path.join(tmp, 'cli-all.srt')])
    expect(f.code).toBe(1)
    expect(f.stderr).toMatch(/give a folder for --out/)
  }, 60_000)
})
