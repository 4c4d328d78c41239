/**
 * The workstation end to end, in Debian's Chromium against a real `fws serve` on a temp project:
 * create the project, add a generated video with speech and subtitles, run inference, review with
 * the keyboard (navigate, relabel, accept, edit translation), undo/redo, reload and find every
 * correction kept, export EAF and VTT and check the files. Screenshots go to test-results/.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { makeSpeechVideo, type SpeechVideo } from '../helpers/media-fixtures'
import {
  availableModels,
  createProjectWithMedia,
  ensureRendererBuilt,
  launchChromium,
  resultsPath,
  type ServeProcess,
  startServeProcess,
} from './harness'

// Inference needs the default models (resources/models, or FWS_RESOURCES). Steps that cannot run
// without them are skipped, loudly, rather than failing on something this UI does not own.
const models = availableModels()
if (models.missing) console.warn(`[e2e] default models missing, inference steps limited: ${models.missing}`)

let dir: string
let video: SpeechVideo
let serve: ServeProcess
let browser: Browser
let page: Page
const pageErrors: string[] = []

/** expect.poll with a timeout that survives a loaded CI machine (vitest's default is 1 s). */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 })
const shot = (name: string) => page.screenshot({ path: resultsPath(`e2e-${name}.png`) })
const selectedRow = () => page.locator('.tr.selected')
const rowById = (id: string) => page.locator(`.tr[data-id="${id}"]`)
async function selectedId(): Promise<string> {
  return (await selectedRow().getAttribute('data-id')) ?? ''
}
async function waitSaved(): Promise<void> {
  await page.locator('[data-testid="save-state"][data-state="saved"]').waitFor({ timeout: 15_000 })
}

beforeAll(async () => {
  ensureRendererBuilt()
  dir = mkdtempSync(path.join(os.tmpdir(), 'fws-e2e-'))
  video = await makeSpeechVideo(dir, { sidecar: 'srt', name: 'interview clip.mp4', width: 320, height: 240 })
  serve = await startServeProcess([], { FWS_CACHE_DIR: path.join(dir, 'cache') })
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  page.on('pageerror', (e) => pageErrors.push(e.message))
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await serve?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('workstation in the browser', () => {
  it('refuses the page without the token', async () => {
    const res = await page.goto(new URL(serve.url).origin + '/')
    expect(res?.status()).toBe(401)
  })

  it('creates a project and adds a video: its subtitles become utterances', async () => {
    await page.goto(serve.url)
    expect(new URL(page.url()).search).toBe('') // the token left the address bar for a cookie
    // ...bound to the per-run session path the page now lives under: no other local service gets it.
    const sessionPath = new URL(page.url()).pathname
    expect(sessionPath).toMatch(/^\/s\/[\w-]{22}\/$/)
    const cookies = await page.context().cookies()
    expect(cookies).toHaveLength(1)
    expect(cookies[0]).toMatchObject({ path: sessionPath, httpOnly: true, sameSite: 'Strict' })
    expect(await page.context().cookies(`${new URL(serve.url).origin}/`)).toHaveLength(0)
    await page.locator('[data-testid="welcome"]').waitFor()
    await shot('01-welcome')
    await createProjectWithMedia(page, path.join(dir, 'study.fwsproj'), [video.file], 60_000)
    expect(await page.locator('[data-testid="media-item"] .media-name').textContent()).toContain(
      'interview clip',
    )
    await expect.poll(() => page.locator('.tr').count(), { timeout: 20_000 }).toBe(video.speech.length)
    const firstText = await page.locator('.tr[data-index="0"] [data-col="transcript"]').textContent()
    expect(firstText?.trim()).toBe(video.speech[0]!.text)
    // The video element plays the media streamed from the server.
    await expect
      .poll(
        () => page.locator('video').evaluate((v) => (v as unknown as { readyState: number }).readyState),
        { timeout: 20_000 },
      )
      .toBeGreaterThanOrEqual(1)
    expect(
      await page
        .locator('video')
        .evaluate((v) => Math.round((v as unknown as { duration: number }).duration)),
    ).toBe(Math.round(video.durationSec))
  })

  it('selects a timeline region without moving the playhead, and plays just that utterance', async () => {
    const video_ = page.locator('video')
    const time = () => video_.evaluate((v) => (v as unknown as { currentTime: number }).currentTime)
    const paused = () => video_.evaluate((v) => (v as unknown as { paused: boolean }).paused)
    const box = (await page.locator('canvas.timeline-overlay').boundingBox())!
    const duration = await video_.evaluate((v) => (v as unknown as { duration: number }).duration)
    const target = video.speech[2]!
    const before = await time()
    await page.mouse.click(
      box.x + ((target.start + target.end) / 2 / duration) * box.width,
      box.y + box.height - 20,
    )
    await poll(() => page.locator('.tr.selected').getAttribute('data-index')).toBe('2')
    expect(await time()).toBe(before)
    // Space plays [start, end] of the selected utterance and stops at its end.
    await page.keyboard.press('Space')
    await expect.poll(time, { timeout: 15_000 }).toBeGreaterThan(target.start)
    await expect.poll(paused, { timeout: 15_000 }).toBe(true)
    const stoppedAt = await time()
    expect(stoppedAt).toBeGreaterThanOrEqual(target.end - 0.1)
    expect(stoppedAt).toBeLessThan(target.end + 0.3)
  })

  it.skipIf(!models.emotion && !models.translation)(
    'cancels a running inference job and says so',
    async () => {
      await page.click('[data-testid="run-inference"]')
      const job = page.locator('[data-testid="job"]').first()
      const refused = page.locator('[data-testid="jobs-panel"] .error')
      await Promise.race([job.waitFor(), refused.waitFor()])
      if (await refused.count()) throw new Error(`inference could not start: ${await refused.textContent()}`)
      await job.locator('[data-testid="job-cancel"]').click()
      await expect
        .poll(async () => (await job.getAttribute('data-status')) ?? '', { timeout: 60_000, interval: 250 })
        .toMatch(/cancelled|done|failed/)
      expect(await job.getAttribute('data-status')).toBe('cancelled')
      expect(await job.textContent()).toContain('Cancelled')
      await page.locator('[data-testid="jobs-panel"] button', { hasText: 'clear finished' }).click()
      expect(await page.locator('[data-testid="job"]').count()).toBe(0)
    },
    90_000,
  )

  it.skipIf(!models.emotion && !models.translation)(
    'runs inference as a job and shows emotion and translation per row',
    async () => {
      await page.click('[data-testid="run-inference"]')
      const job = page.locator('[data-testid="job"]').first()
      const refused = page.locator('[data-testid="jobs-panel"] .error')
      await Promise.race([job.waitFor(), refused.waitFor()])
      if (await refused.count()) throw new Error(`inference could not start: ${await refused.textContent()}`)
      await shot('02-inference-running')
      await expect
        .poll(async () => (await job.getAttribute('data-status')) ?? '', { timeout: 150_000, interval: 500 })
        .toMatch(/done|failed|cancelled/)
      const status = await job.getAttribute('data-status')
      if (status !== 'done') throw new Error(`inference ${status}: ${await job.textContent()}`)
      if (models.emotion)
        await expect
          .poll(() => page.locator('.tr [data-col="emotion"] .emo-chip').count(), { timeout: 20_000 })
          .toBe(video.speech.length)
      if (models.translation) {
        const translations = await page.locator('.tr [data-col="translation"]').allTextContents()
        expect(translations.filter((t) => t.trim() && t.trim() !== '—')).toHaveLength(video.speech.length)
      }
      // Both are required for the full acceptance; the warning above names what is missing.
      expect(models.emotion || models.translation).toBe(true)
      await shot('03-after-inference')
    },
    200_000,
  )

  it('reviews with the keyboard: navigate, relabel, edit translation', async () => {
    await page.locator('body').click({ position: { x: 5, y: 5 } }) // focus the page, not a field
    await page.keyboard.press('Escape')
    await page.locator('.tr[data-index="0"]').click()
    const first = await selectedId()
    expect(first).toBeTruthy()
    await page.keyboard.press('j')
    const second = await selectedId()
    expect(second).not.toBe(first)
    await page.keyboard.press('k')
    expect(await selectedId()).toBe(first)
    await page.keyboard.press('ArrowDown')
    expect(await selectedId()).toBe(second)

    // Relabel the second row with key 5 (the 5th label) → corrected, and the loop moves on.
    const labels = await page.locator('.probs .probs-label').allTextContents()
    const label5 = labels[4]!.trim()
    await page.keyboard.press('5')
    await waitSaved()
    await poll(() => rowById(second).locator('[data-col="emotion"]').textContent()).toBe(label5)
    expect(await rowById(second).locator('.badge').textContent()).toBe('corrected')
    expect(await selectedId()).not.toBe(second)

    // Edit the first row's translation inline.
    await rowById(first).click()
    await page.keyboard.press('t')
    const editor = page.locator('input.cell-editor')
    await editor.waitFor()
    await editor.fill('Übersetzung, korrigiert „von Hand“')
    await shot('04-inline-edit')
    await page.keyboard.press('Enter')
    await waitSaved()
    await expect
      .poll(() => rowById(first).locator('[data-col="translation"]').textContent())
      .toBe('Übersetzung, korrigiert „von Hand“')
    expect(await rowById(first).locator('.badge').textContent()).toBe('corrected')
  })

  it.skipIf(!models.emotion)('accepts a model prediction with Enter', async () => {
    const third = await page.locator('.tr[data-index="2"]').getAttribute('data-id')
    await page.locator('.tr[data-index="2"]').click()
    expect(await rowById(third!).locator('.badge').textContent()).toBe('model')
    await page.keyboard.press('Enter')
    await waitSaved()
    await poll(() => rowById(third!).locator('.badge').textContent()).toBe('accepted')
    // The loop moved on to the next row.
    expect(await selectedId()).toBe(await page.locator('.tr[data-index="3"]').getAttribute('data-id'))
    await page.locator('.tr[data-index="0"]').click()
    await shot('05-reviewed')
  })

  it('undoes and redoes one change at a time', async () => {
    // The last change is the translation edit when no prediction could be accepted; the accept otherwise.
    await page.locator('.tr[data-index="0"]').click()
    const first = await selectedId()
    const cell = rowById(first).locator('[data-col="translation"]')
    const accepted = page.locator('.tr .badge', { hasText: 'accepted' })
    const hadAccept = (await accepted.count()) > 0
    if (hadAccept) {
      await page.keyboard.press('Control+z')
      await poll(() => accepted.count()).toBe(0)
      await page.keyboard.press('Control+Shift+z')
      await poll(() => accepted.count()).toBe(1)
      await page.keyboard.press('Control+z')
      await poll(() => accepted.count()).toBe(0)
    }
    await page.keyboard.press('Control+z')
    await poll(() => cell.textContent()).not.toBe('Übersetzung, korrigiert „von Hand“')
    await page.keyboard.press('Control+Shift+z')
    await poll(() => cell.textContent()).toBe('Übersetzung, korrigiert „von Hand“')
    await waitSaved()
    if (hadAccept) {
      await page.click('[data-testid="redo"]') // the accept again, with the toolbar button
      await poll(() => accepted.count()).toBe(1)
      await waitSaved()
    }
    expect(await page.locator('[data-testid="redo"]').isDisabled()).toBe(true)
  })

  it('splits, merges and nudges boundaries with the keyboard, each undoable', async () => {
    const rows = () => page.locator('.tr').count()
    const n = await rows()
    // Split and merge make new utterances (new ids, no stale predictions): follow the row by position.
    const fourth = () => page.locator('.tr[data-index="3"]')
    await fourth().click()
    const timeCell = () => fourth().locator('.c-time').textContent()
    const original = await timeCell()
    await page.keyboard.press('s') // split (the playhead is outside this row: at its middle)
    await poll(rows).toBe(n + 1)
    await waitSaved()
    await fourth().click()
    await page.keyboard.press('m') // merge the first half with the second again
    await poll(rows).toBe(n)
    await waitSaved()
    await fourth().click()
    await page.keyboard.press(']') // start 0.1 s later
    await poll(timeCell).not.toBe(original)
    await waitSaved()
    for (const expected of [n, n + 1, n]) {
      await page.keyboard.press('Control+z')
      await poll(rows).toBe(expected)
      await waitSaved()
    }
    await poll(timeCell).toBe(original)
  })

  it('keeps every correction across a reload', async () => {
    const before = await page.locator('.tr').evaluateAll((rows) =>
      rows.map((r) => ({
        id: r.getAttribute('data-id'),
        emotion: r.querySelector('[data-col="emotion"]')?.textContent?.trim(),
        translation: r.querySelector('[data-col="translation"]')?.textContent?.trim(),
        badge: r.querySelector('.badge')?.textContent?.trim(),
      })),
    )
    await page.reload()
    await page.locator('[data-testid="workstation"]').waitFor()
    await expect.poll(() => page.locator('.tr').count(), { timeout: 20_000 }).toBe(before.length)
    const after = await page.locator('.tr').evaluateAll((rows) =>
      rows.map((r) => ({
        id: r.getAttribute('data-id'),
        emotion: r.querySelector('[data-col="emotion"]')?.textContent?.trim(),
        translation: r.querySelector('[data-col="translation"]')?.textContent?.trim(),
        badge: r.querySelector('.badge')?.textContent?.trim(),
      })),
    )
    expect(after).toEqual(before)
    expect(after.filter((r) => r.badge === 'corrected')).toHaveLength(2)
  })

  it.skipIf(!models.translation)(
    're-translates after a transcript edit',
    async () => {
      const row = page.locator('.tr[data-index="4"]')
      await row.click()
      const id = await selectedId()
      const oldTranslation = await rowById(id).locator('[data-col="translation"]').textContent()
      await page.keyboard.press('e')
      await page.locator('input.cell-editor').fill('Good morning, my friends.')
      await page.keyboard.press('Enter')
      await waitSaved()
      const notice = page.locator('[data-testid="stale-translation"]')
      await notice.waitFor()
      // The new job must be listed before its status is read: the first row may still be an older job.
      const jobsBefore = await page.locator('[data-testid="job"]').count()
      await notice.locator('button').click()
      await expect
        .poll(() => page.locator('[data-testid="job"]').count(), { timeout: 20_000 })
        .toBeGreaterThan(jobsBefore)
      await expect
        .poll(
          async () => (await page.locator('[data-testid="job"]').first().getAttribute('data-status')) ?? '',
          {
            timeout: 150_000,
            interval: 500,
          },
        )
        .toBe('done')
      await expect.poll(() => notice.count(), { timeout: 20_000 }).toBe(0)
      await expect
        .poll(() => rowById(id).locator('[data-col="translation"]').textContent(), { timeout: 20_000 })
        .not.toBe(oldTranslation)
    },
    200_000,
  )

  it('exports ELAN .eaf and WebVTT with the corrections', async () => {
    await page.click('[data-testid="open-export"]')
    await page.locator('[data-testid="export-dialog"]').waitFor()
    await page.check('[data-testid="format-eaf"]')
    const eafPath = path.join(dir, 'out', 'review.eaf')
    await page.fill('[data-testid="export-out"]', eafPath)
    await shot('06-export-dialog')
    await page.click('[data-testid="export-run"]')
    await page.locator('[data-testid="export-result"]').waitFor({ timeout: 30_000 })
    const eaf = readFileSync(eafPath, 'utf8')
    expect(eaf).toMatch(/<ANNOTATION_DOCUMENT[^>]*FORMAT="3.0"/)
    expect(eaf).toContain('Übersetzung, korrigiert „von Hand“')
    expect(eaf).toContain(video.speech[0]!.text)
    expect((eaf.match(/<TIME_SLOT /g) ?? []).length).toBeGreaterThanOrEqual(2 * video.speech.length)

    await page.check('[data-testid="format-vtt"]')
    await page.selectOption('[data-testid="export-text"]', 'translation')
    const vttPath = path.join(dir, 'out', 'review.vtt')
    await page.fill('[data-testid="export-out"]', vttPath)
    await page.click('[data-testid="export-run"]')
    await page.locator('[data-testid="export-result"]').waitFor({ timeout: 30_000 })
    const vtt = readFileSync(vttPath, 'utf8')
    expect(vtt.startsWith('WEBVTT')).toBe(true)
    expect(vtt).toContain('Übersetzung, korrigiert „von Hand“')
    // One cue per utterance that has a translation (all of them after inference).
    const translated = (await page.locator('.tr [data-col="translation"]').allTextContents()).filter(
      (t) => t.trim() && t.trim() !== '—',
    ).length
    const cues = vtt.match(/\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}/g) ?? []
    expect(cues).toHaveLength(translated)
    expect(translated).toBeGreaterThanOrEqual(1)
    await page.keyboard.press('Escape')
  })

  it('shows the fine-tune panel and the keyboard help', async () => {
    await page.keyboard.press('Escape') // whatever dialog an earlier step left open
    await page.click('[data-testid="open-finetune"]')
    await page.locator('[data-testid="finetune-panel"]').waitFor()
    await shot('07-finetune')
    await page.keyboard.press('Escape')
    await page.keyboard.press('?')
    await page.locator('[aria-label="Keyboard shortcuts"]').waitFor()
    await shot('08-shortcuts')
    await page.keyboard.press('Escape')
    expect(await page.locator('[data-testid="status-backend"]').textContent()).toMatch(/Backend: \w+/)
    expect(pageErrors).toEqual([])
  })
})
