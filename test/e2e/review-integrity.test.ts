/**
 * Review integrity end to end, in Debian's Chromium against a real `fws serve`: two videos with
 * real predictions from the shipped models (`fws batch --project`), then Enter accepts a row's
 * emotion and leaves its translation 'model' (Shift+Enter is the separate translation accept),
 * an --only-corrected export holds no unreviewed machine translation, the export dialog's default
 * for "all media" is a folder, and an export to /proc/nope/x.srt shows a specific error in under
 * 2 s while the server keeps answering. A third file has the same bytes as the first but its own
 * subtitles: both are in the project and each is reviewed with its own transcripts.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { runFws } from '../helpers/fws-cli'
import { makeSpeechVideo } from '../helpers/media-fixtures'
import {
  availableModels,
  ensureRendererBuilt,
  launchChromium,
  resultsPath,
  startServeProcess,
  type ServeProcess,
} from './harness'

const models = availableModels()
const withModels = models.emotion && models.translation
if (!withModels) console.warn(`[e2e] default models missing, review-integrity skipped: ${models.missing}`)

let dir: string
let serve: ServeProcess
let browser: Browser
let page: Page
const pageErrors: string[] = []
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 })
const state = (field: 'emotion' | 'translation' | 'transcript') =>
  page.locator(`[data-testid="state-${field}"]`).textContent()

beforeAll(async () => {
  if (!withModels) return
  ensureRendererBuilt()
  dir = mkdtempSync(path.join(os.tmpdir(), 'fws-e2e-integrity-'))
  const footage = path.join(dir, 'footage')
  const first = await makeSpeechVideo(footage, {
    sidecar: 'srt',
    name: 'first.mp4',
    phrases: ['I am so happy to see you!', 'Where is the station?', 'That is terrible news.'],
  })
  await makeSpeechVideo(footage, {
    sidecar: 'srt',
    name: 'second.mp4',
    phrases: ['Good morning, my friends.', 'Please close the door.'],
  })
  // The same bytes under another name, with subtitles of its own (same cue times, other words).
  copyFileSync(first.file, path.join(footage, 'duplicate.mp4'))
  writeFileSync(
    path.join(footage, 'duplicate.srt'),
    first.srt.replace('I am so happy to see you!', 'This copy has words of its own.'),
  )
  const env = { FWS_CACHE_DIR: path.join(dir, 'cache') }
  const batch = await runFws(
    [
      ...['batch', footage, '--out', path.join(dir, 'batch'), '--project', path.join(dir, 'study.fwsproj')],
      ...['--fps', '1', '-j', '1'],
    ],
    { env },
  )
  if (batch.code !== 0) throw new Error(`fws batch failed: ${batch.stderr}`)
  serve = await startServeProcess([], env)
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  page.on('pageerror', (e) => pageErrors.push(e.message))
}, 400_000)

afterAll(async () => {
  await browser?.close()
  await serve?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe.skipIf(!withModels)('review integrity in the browser', () => {
  it('opens the batch project with model emotion and translation on every row', async () => {
    await page.goto(serve.url)
    await page.fill('[data-testid="open-path"]', path.join(dir, 'study.fwsproj'))
    await page.click('[data-testid="open-project"]')
    await page.locator('[data-testid="workstation"]').waitFor()
    await page.locator('[data-testid="media-item"]', { hasText: 'first' }).click()
    await poll(() => page.locator('.tr').count()).toBe(3)
    await page.locator('.tr[data-index="0"]').click()
    expect(await state('emotion')).toBe('model')
    expect(await state('translation')).toBe('model')
    expect(await state('transcript')).toBe('imported')
  })

  it('two files with the same bytes but their own subtitles are both reviewable', async () => {
    await poll(() => page.locator('[data-testid="media-item"]').count()).toBe(3)
    const firstRow = () => page.locator('.tr[data-index="0"]').textContent()
    await page.locator('[data-testid="media-item"]', { hasText: 'duplicate' }).click()
    await poll(() => page.locator('.tr').count()).toBe(3)
    await poll(firstRow).toContain('This copy has words of its own.')
    await page.locator('[data-testid="media-item"]', { hasText: 'first' }).click()
    await poll(firstRow).toContain('I am so happy to see you!')
    await poll(() => page.locator('.tr').count()).toBe(3)
  })

  it('Enter accepts the emotion only; Shift+Enter accepts the translation', async () => {
    await page.locator('.tr[data-index="0"]').click()
    await page.locator('body').click({ position: { x: 5, y: 5 } })
    await page.locator('.tr[data-index="0"]').click()
    await page.keyboard.press('Enter')
    await page.locator('[data-testid="save-state"][data-state="saved"]').waitFor({ timeout: 15_000 })
    // The loop moved on; back to the first row to read its per-field states.
    await page.locator('.tr[data-index="0"]').click()
    await poll(() => state('emotion')).toBe('accepted')
    expect(await state('translation')).toBe('model')
    // The shortcut list on screen names both keys.
    const bar = await page.locator('[data-testid="shortcuts"]').textContent()
    expect(bar).toContain('accept emotion')
    expect(bar).toContain('Shift+Enter')
    // Second row: Shift+Enter confirms its translation and nothing else.
    await page.locator('.tr[data-index="1"]').click()
    await page.keyboard.press('Shift+Enter')
    await poll(() => state('translation')).toBe('accepted')
    expect(await state('emotion')).toBe('model')
    await page.screenshot({ path: resultsPath('e2e-integrity-accept.png') })
  })

  it('an only-corrected export carries no unreviewed translation as gold', async () => {
    await page.click('[data-testid="open-export"]')
    await page.locator('[data-testid="export-dialog"]').waitFor()
    await page.check('[data-testid="format-jsonl"]')
    await page.check('[data-testid="export-only-corrected"]')
    const out = path.join(dir, 'exports', 'gold.jsonl')
    await page.fill('[data-testid="export-out"]', out)
    await page.click('[data-testid="export-run"]')
    await page.locator('[data-testid="export-result"]').waitFor({ timeout: 15_000 })
    const recs = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, { value: unknown; provenance: unknown }>)
    expect(recs).toHaveLength(2)
    expect(recs[0].emotion.provenance).toBe('accepted')
    expect(recs[0].translation).toMatchObject({ value: null, provenance: null })
    expect(recs[1].emotion).toMatchObject({ value: null, provenance: null })
    expect(recs[1].translation.provenance).toBe('accepted')
  })

  it('defaults to a folder for all media, and an export to /proc fails fast while the server keeps serving', async () => {
    await page.check('[data-testid="format-srt"]')
    await page.uncheck('[data-testid="export-only-corrected"]')
    await page.selectOption('[data-testid="export-scope"]', 'all')
    expect(await page.inputValue('[data-testid="export-out"]')).toMatch(/\/exports\/[^/]+\/$/)
    await page.fill('[data-testid="export-out"]', '/proc/nope/x.srt')
    await page.selectOption('[data-testid="export-scope"]', 'current')
    await page.fill('[data-testid="export-out"]', '/proc/nope/x.srt')
    const t0 = Date.now()
    await page.click('[data-testid="export-run"]')
    // Meanwhile the server answers another request from the same page.
    const listed = await page.evaluate(async () => {
      const r = await fetch('api/media.list', { method: 'POST' })
      return { status: r.status, body: (await r.json()) as { result: unknown[] } }
    })
    expect(listed.status).toBe(200)
    expect(listed.body.result).toHaveLength(3)
    const error = page.locator('[data-testid="export-error"]')
    await error.waitFor({ timeout: 5_000 })
    expect(Date.now() - t0).toBeLessThan(2_000)
    const text = (await error.textContent()) ?? ''
    expect(text).toMatch(/cannot write to \/proc\/nope/)
    expect(text).toMatch(/Choose a folder you can write to/)
    expect(text).not.toMatch(/--out/)
    await page.screenshot({ path: resultsPath('e2e-integrity-export-error.png') })
    // Still serving: the rows are there after a reload.
    await page.reload()
    await page.locator('[data-testid="workstation"]').waitFor()
    await poll(() => page.locator('.tr').count()).toBeGreaterThan(0)
    expect(pageErrors).toEqual([])
  })
})
