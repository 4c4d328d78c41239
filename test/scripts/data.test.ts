/**
 * `npm run data` (scripts/data.ts): fills a target folder from a mirror or over HTTP, verifies every
 * file's sha256, refuses a damaged file by name, and fails within seconds listing what it needs when
 * there is neither a mirror nor a reachable source. Small data sets of its own shape are used so
 * the test needs no real data; the last test runs the command itself.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATASETS, dataMirror, type Dataset } from '../../src-main/engine/datasets'
import { getData } from '../../scripts/data'

const root = path.resolve(import.meta.dirname, '../..')
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-data-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const texts = { 'a.txt': 'first file\n', 'b.csv': 'x,y\n1,2\n' }
const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex')
const tiny: Dataset = {
  title: 'tiny',
  source: { repo: 'owner/tiny', commit: 'c0ffee', dir: 'raw', licence: 'test' },
  files: Object.fromEntries(Object.entries(texts).map(([f, t]) => [f, sha(t)])),
}
const datasets = { meld: tiny }
const quiet = () => {}

function writeMirror(dir: string, overrides: Record<string, string> = {}): string {
  mkdirSync(path.join(dir, 'meld'), { recursive: true })
  for (const [f, t] of Object.entries({ ...texts, ...overrides })) writeFileSync(path.join(dir, 'meld', f), t)
  return dir
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as AddressInfo).port
  await new Promise((r) => s.close(r))
  return port
}

describe('getData', () => {
  let server: Server
  let base = ''
  beforeAll(async () => {
    // Serves <repo>/<commit>/<dir>/<file> like raw.githubusercontent.com; b.csv is served damaged under /bad.
    server = createServer((req, res) => {
      const m = /^\/(bad\/)?owner\/tiny\/c0ffee\/raw\/(.+)$/.exec(req.url ?? '')
      const text = m ? texts[m[2] as keyof typeof texts] : undefined
      if (text === undefined) return void res.writeHead(404).end()
      res.writeHead(200).end(m![1] && m![2] === 'b.csv' ? text + ' ' : text)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise((r) => server.close(r)))

  it('copies a good mirror into the target with every checksum verified, and keeps intact files on a second run', async () => {
    const mirror = writeMirror(path.join(tmp, 'good-mirror'))
    const target = path.join(tmp, 'filled')
    const r = await getData({
      datasets,
      target,
      mirror: { dir: mirror, via: 'FWS_DATA_MIRROR' },
      baseUrl: base,
      log: quiet,
    })
    expect(r).toEqual({ ok: true, files: { 'meld/a.txt': 'mirror', 'meld/b.csv': 'mirror' }, errors: [] })
    for (const [f, t] of Object.entries(texts))
      expect(readFileSync(path.join(target, 'meld', f), 'utf8')).toBe(t)
    const again = await getData({ datasets, target, mirror: null, baseUrl: base, log: quiet })
    expect(again.files).toEqual({ 'meld/a.txt': 'present', 'meld/b.csv': 'present' })
  })

  it('refuses a mirror file with one byte changed, naming it, and copies the rest', async () => {
    const mirror = writeMirror(path.join(tmp, 'bad-mirror'), { 'b.csv': 'x,y\n1,3\n' })
    const target = path.join(tmp, 'refused')
    const r = await getData({
      datasets,
      target,
      mirror: { dir: mirror, via: 'FWS_DATA_MIRROR' },
      baseUrl: base,
      log: quiet,
    })
    expect(r.ok).toBe(false)
    expect(r.files).toEqual({ 'meld/a.txt': 'mirror', 'meld/b.csv': 'refused' })
    expect(r.errors).toHaveLength(1)
    expect(r.errors[0]).toContain(path.join(mirror, 'meld', 'b.csv'))
    expect(r.errors[0]).toMatch(/expected [0-9a-f]{64}: refused/)
    expect(existsSync(path.join(target, 'meld', 'b.csv'))).toBe(false)
  })

  it('downloads what the mirror lacks, and refuses a download whose checksum differs', async () => {
    const target = path.join(tmp, 'downloaded')
    const r = await getData({ datasets, target, mirror: null, baseUrl: base, log: quiet })
    expect(r).toEqual({ ok: true, files: { 'meld/a.txt': 'download', 'meld/b.csv': 'download' }, errors: [] })
    expect(readFileSync(path.join(target, 'meld', 'b.csv'), 'utf8')).toBe(texts['b.csv'])
    const bad = await getData({
      datasets,
      target: path.join(tmp, 'bad-dl'),
      mirror: null,
      baseUrl: base + '/bad',
      log: quiet,
    })
    expect(bad.files).toEqual({ 'meld/a.txt': 'download', 'meld/b.csv': 'refused' })
    expect(bad.errors[0]).toMatch(/\/bad\/owner\/tiny\/c0ffee\/raw\/b\.csv: sha256 [0-9a-f]{64}, expected/)
  })

  it('without a mirror and with the source unreachable it fails at once, listing every file and its URL', async () => {
    const port = await closedPort()
    const t0 = performance.now()
    const r = await getData({
      datasets,
      target: path.join(tmp, 'none'),
      mirror: null,
      baseUrl: `http://127.0.0.1:${port}`,
      log: quiet,
    })
    expect(performance.now() - t0).toBeLessThan(5000)
    expect(r.ok).toBe(false)
    expect(r.files).toEqual({ 'meld/a.txt': 'missing', 'meld/b.csv': 'missing' })
    expect(r.errors[0]).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/)
    expect(r.errors[0]).toContain(
      `meld/a.txt  from http://127.0.0.1:${port}/owner/tiny/c0ffee/raw/a.txt  sha256 ${tiny.files['a.txt']}`,
    )
    expect(r.errors[0]).toContain('meld/b.csv  from')
  })
})

describe('npm run data (the command)', () => {
  const run = (env: Record<string, string>) =>
    promisify(execFile)(
      process.execPath,
      [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'scripts/data.ts'],
      {
        cwd: root,
        env: { ...process.env, ...env },
      },
    ).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    )

  it('with no mirror and no network it exits 1 within seconds, naming all 14 files', async () => {
    const port = await closedPort()
    const t0 = performance.now()
    const r = await run({
      FWS_DATA_DIR: path.join(tmp, 'cmd-none'),
      FWS_DATA_MIRROR: 'none',
      FWS_DATA_BASE_URL: `http://127.0.0.1:${port}`,
    })
    expect(performance.now() - t0).toBeLessThan(15_000)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/cannot reach .* \(ECONNREFUSED\) and no mirror has these files; needed:/)
    expect(r.stderr.match(/^ {2}(multi30k|meld)\/\S+ {2}from http/gm)).toHaveLength(14)
    expect(r.stderr).toContain('meld/dev_sent_emo.csv  from http')
    expect(r.stderr).toContain('data NOT complete')
  })

  it('with the real mirror it fills the folder, every checksum verified', async (ctx) => {
    const mirror = dataMirror()
    if (!mirror) return ctx.skip('no data mirror (FWS_DATA_MIRROR or the default location)')
    const r = await run({ FWS_DATA_DIR: path.join(tmp, 'cmd-real'), FWS_DATA_MIRROR: mirror.dir })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(
      `data ready in ${path.join(tmp, 'cmd-real')} (14 mirror; every file's sha256 verified)`,
    )
    for (const [set, ds] of Object.entries(DATASETS))
      for (const [f, want] of Object.entries(ds.files))
        expect(sha(readFileSync(path.join(tmp, 'cmd-real', set, f)))).toBe(want)
  })

  it('refuses a damaged mirror file by name', async () => {
    const mirror = path.join(tmp, 'cmd-bad-mirror')
    mkdirSync(path.join(mirror, 'meld'), { recursive: true })
    writeFileSync(path.join(mirror, 'meld', 'dev_sent_emo.csv'), 'not MELD\n')
    const port = await closedPort()
    const r = await run({
      FWS_DATA_DIR: path.join(tmp, 'cmd-bad'),
      FWS_DATA_MIRROR: mirror,
      FWS_DATA_BASE_URL: `http://127.0.0.1:${port}`,
    })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(
      `${path.join(mirror, 'meld', 'dev_sent_emo.csv')}: sha256 ${sha('not MELD\n')}, expected`,
    )
    expect(r.stderr).toMatch(/refused/)
  })
})
