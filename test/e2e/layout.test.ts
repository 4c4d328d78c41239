/**
 * The workstation at 1024×700 in Debian's Chromium: every control of the window (top bar, media
 * panel, player, detail panel, timeline, table tools, dialogs' openers) can be brought into view
 * and is the element a click at its centre lands on; Export, Fine-tune and Undo are on screen
 * without scrolling. Also: undo names what it undid, and the review queue says when it is finished.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { makeSpeechVideo, type SpeechVideo } from '../helpers/media-fixtures'
import {
  createProjectWithMedia,
  ensureRendererBuilt,
  launchChromium,
  resultsPath,
  type ServeProcess,
  startServeProcess,
} from './harness'

// The page-side callback runs in Chromium; Node's lib has no DOM types.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any
type PageElement = any
/* eslint-enable @typescript-eslint/no-explicit-any */

let dir: string
let speech: SpeechVideo
let serve: ServeProcess
let browser: Browser
let page: Page
const W = 1024
const H = 700
const shot = (name: string) => page.screenshot({ path: resultsPath(`e2e-layout-${name}.png`) })

beforeAll(async () => {
  ensureRendererBuilt()
  dir = mkdtempSync(path.join(os.tmpdir(), 'fws-e2e-layout-'))
  speech = await makeSpeechVideo(dir, { sidecar: 'srt', name: 'talk.mp4', width: 320, height: 240 })
  serve = await startServeProcess([], { FWS_CACHE_DIR: path.join(dir, 'cache') })
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: W, height: H } })
  await page.goto(serve.url)
  await createProjectWithMedia(page, path.join(dir, 'layout.fwsproj'), [speech.file])
  await page.locator('[data-testid="media-item"]').first().click()
  await page
    .locator('.tr')
    .nth(speech.speech.length - 1)
    .waitFor({ timeout: 30_000 })
}, 300_000)

afterAll(async () => {
  await browser?.close()
  await serve?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** Every enabled control of the window: its label, and whether a click at its centre reaches it. */
async function audit(
  scope = '[data-testid="workstation"]',
): Promise<{ label: string; inView: boolean; hit: boolean }[]> {
  const controls = page.locator(`${scope} :is(button, select, input, textarea)`)
  const n = await controls.count()
  const out: { label: string; inView: boolean; hit: boolean }[] = []
  for (let i = 0; i < n; i++) {
    const el = controls.nth(i)
    if (!(await el.isVisible())) continue
    await el.scrollIntoViewIfNeeded()
    const r = await el.evaluate((e: PageElement) => {
      const b = e.getBoundingClientRect()
      const cx = b.left + b.width / 2
      const cy = b.top + b.height / 2
      const at = document.elementFromPoint(cx, cy)
      // A checkbox inside its label: the label's text is where the click lands, and it toggles it.
      const label = e.closest('label')
      return {
        label: (
          e.getAttribute('data-testid') ||
          e.getAttribute('aria-label') ||
          e.textContent ||
          e.type ||
          ''
        )
          .trim()
          .slice(0, 40),
        inView: b.left >= 0 && b.top >= 0 && b.right <= innerWidth + 0.5 && b.bottom <= innerHeight + 0.5,
        hit: !!at && (at === e || e.contains(at) || (label && label.contains(at))),
      }
    })
    out.push(r)
  }
  return out
}
declare const innerWidth: number
declare const innerHeight: number

describe('layout at 1024×700', () => {
  it('keeps Export, Fine-tune, Undo and Redo on screen', async () => {
    await shot('01-workstation')
    for (const id of ['open-export', 'open-finetune', 'undo', 'redo']) {
      const b = (await page.locator(`[data-testid="${id}"]`).boundingBox())!
      expect(b, id).not.toBeNull()
      expect(b.x + b.width, id).toBeLessThanOrEqual(W)
      expect(b.y + b.height, id).toBeLessThanOrEqual(H)
    }
  })

  it('can reach and click every control', async () => {
    const controls = await audit()
    expect(controls.length).toBeGreaterThan(20)
    const bad = controls.filter((c) => !c.inView || !c.hit)
    expect(bad).toEqual([])
  })

  it('fits the dashboard dialog, and collapses the media panel from the top bar', async () => {
    await page.click('[data-testid="open-dashboard"]')
    await page.locator('[data-testid="dashboard-total"]').waitFor()
    await shot('02-dashboard')
    const inDialog = await audit('[data-testid="dashboard"]')
    expect(inDialog.length).toBeGreaterThanOrEqual(3)
    expect(inDialog.filter((c) => !c.inView || !c.hit)).toEqual([])
    await page.keyboard.press('Escape')
    await page.locator('[data-testid="dashboard"]').waitFor({ state: 'detached' })
    const before = (await page.locator('.stage').boundingBox())!.width
    await page.click('[data-testid="toggle-sidebar"]')
    await expect
      .poll(async () => (await page.locator('.stage').boundingBox())!.width)
      .toBeGreaterThan(before + 150)
    expect(await page.locator('.sidebar').isVisible()).toBe(false)
    await shot('03-collapsed')
    await page.click('[data-testid="toggle-sidebar"]')
    expect(await page.locator('.sidebar').isVisible()).toBe(true)
  })
})
