/**
 * The review dashboard end to end in Debian's Chromium against `fws serve`: after inference, the
 * test corrects and accepts some utterances with the keyboard; undo/redo name what they changed;
 * the dashboard's counts and confusion matrix are exactly those corrections against the model's
 * labels; its confidence threshold filters the table; accepting the rest finishes the queue.
 * The evidence panel measures one utterance: model probabilities, face share, voice measures.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import type { UtteranceRow } from '../../src-main/contract/contract'
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

const models = availableModels()
/** Key → label in the review loop's order (EMOTIONS: 1 = neutral, 2 = joy, …). */
const KEYS: Record<string, string> = { neutral: '1', joy: '2', surprise: '3', anger: '4', sadness: '5' }

let dir: string
let speech: SpeechVideo
let serve: ServeProcess
let browser: Browser
let page: Page
const shot = (name: string) => page.screenshot({ path: resultsPath(`e2e-dashboard-${name}.png`) })
const poll = <T>(fn: () => T | Promise<T>, timeout = 20_000) => expect.poll(fn, { timeout })

async function rows(): Promise<UtteranceRow[]> {
  return page.evaluate(async () => {
    const res = await fetch('api/utterances.list', { method: 'POST', body: '{}' })
    return ((await res.json()) as { result: UtteranceRow[] }).result
  })
}
const toast = () => page.locator('.toast').textContent()

beforeAll(async () => {
  ensureRendererBuilt()
  dir = mkdtempSync(path.join(os.tmpdir(), 'fws-e2e-dash-'))
  speech = await makeSpeechVideo(dir, { sidecar: 'srt', name: 'talk.mp4', width: 320, height: 240 })
  serve = await startServeProcess([], { FWS_CACHE_DIR: path.join(dir, 'cache') })
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  await page.goto(serve.url)
  await createProjectWithMedia(page, path.join(dir, 'dash.fwsproj'), [speech.file])
  await page.locator('[data-testid="media-item"]').first().click()
}, 300_000)

afterAll(async () => {
  await browser?.close()
  await serve?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe.skipIf(!models.emotion)('review dashboard', () => {
  it('matches the corrections made, and filters the table by confidence', async () => {
    await page.click('[data-testid="run-inference"]')
    const job = page.locator('[data-testid="job"]').first()
    await job.waitFor()
    await poll(async () => (await job.getAttribute('data-status')) ?? '', 240_000).toMatch(
      /done|failed|cancelled/,
    )
    expect(await job.getAttribute('data-status')).toBe('done')
    await poll(() => page.locator('.tr [data-col="emotion"] .emo-chip').count()).toBe(speech.speech.length)
    const model = (await rows()).sort((a, b) => a.start - b.start)
    expect(model.every((r) => r.prediction)).toBe(true)

    // Row 1: a label the model did not give; row 2: accept; row 3: another disagreement.
    const other = (l: string, not: string) => (l !== not ? l : 'neutral')
    const first = other('anger', String(model[0]!.prediction!.label))
    const third = other('sadness', String(model[2]!.prediction!.label))
    await page.locator('.tr[data-index="0"]').click()
    await page.locator('body').click({ position: { x: 5, y: 5 } })
    // Each key labels the selected row and moves on once saved: wait for the move before the next.
    const selected = () => page.locator('.tr.selected').getAttribute('data-index')
    await page.keyboard.press(KEYS[first]!)
    await poll(selected).toBe('1')
    await page.keyboard.press('Enter')
    await poll(selected).toBe('2')
    await page.keyboard.press(KEYS[third]!)
    await poll(selected).toBe('3')
    await page.locator('[data-testid="save-state"][data-state="saved"]').waitFor({ timeout: 15_000 })

    await shot('00-corrected')
    // Undo says what it undid; redo puts it back and says so.
    await page.keyboard.press('Control+z')
    await poll(toast).toContain(
      `Undid: #3 emotion ${third} (corrected) → ${model[2]!.prediction!.label} (model)`,
    )
    await page.keyboard.press('Control+Shift+z')
    await poll(toast).toContain(`Redid: #3 emotion`)
    await page.locator('[data-testid="save-state"][data-state="saved"]').waitFor({ timeout: 15_000 })

    await page.click('[data-testid="open-dashboard"]')
    const dash = page.locator('[data-testid="dashboard"]')
    await dash.waitFor()
    await poll(() => dash.locator('[data-testid="dashboard-total"]').textContent()).toContain(
      `3 of ${speech.speech.length} utterances reviewed`,
    )
    const expected = new Map<string, number>()
    for (const [i, human] of [
      [0, first],
      [1, String(model[1]!.prediction!.label)],
      [2, third],
    ] as const) {
      const k = `true ${human} → predicted ${model[i]!.prediction!.label}`
      expected.set(k, (expected.get(k) ?? 0) + 1)
    }
    const cells = await dash.locator('[data-testid="dashboard-confusion"] rect title').allTextContents()
    const nonZero = new Map(
      cells
        .map((t) => /^(.*): (\d+)$/.exec(t.trim())!)
        .filter((m) => Number(m[2]) > 0)
        .map((m) => [m[1]!, Number(m[2])]),
    )
    expect(nonZero).toEqual(expected)
    await shot('01-dashboard')

    // The confidence threshold filters the table to the rows the model is least sure of.
    await dash.locator('[data-testid="confidence-threshold"]').fill('0.5')
    await dash.locator('[data-testid="apply-threshold"]').click()
    const low = model.filter((r) => Math.max(...Object.values(r.prediction!.probabilities)) < 0.5).length
    await poll(() => page.locator('.tr').count()).toBe(low)
    await page.click('[data-testid="confidence-filter"]')
    await poll(() => page.locator('.tr').count()).toBe(speech.speech.length)

    // The queue: accept what is left until it says it is finished.
    await page.click('[data-testid="queue-toggle"]')
    await page.locator('body').click({ position: { x: 5, y: 5 } })
    for (let i = 0; i < speech.speech.length - 3; i++) {
      await page.keyboard.press('Enter')
      await page.locator('[data-testid="save-state"][data-state="saved"]').waitFor({ timeout: 15_000 })
    }
    await page.locator('[data-testid="queue-finished"]').waitFor()
    await shot('02-queue-finished')
  }, 400_000)

  it('measures the evidence of an utterance per modality', async () => {
    await page.locator('[data-testid="queue-finished"] button').click() // leave the finished queue
    await page.locator('.tr[data-index="1"]').click()
    await page.click('[data-testid="load-evidence"]')
    const audio = page.locator('[data-testid="evidence-audio"]')
    await audio.waitFor({ timeout: 120_000 })
    // Speech from espeak-ng: voiced, with a pitch range in the range of a voice.
    const m = /(\d+)–(\d+) Hz/.exec((await audio.textContent()) ?? '')
    expect(m).not.toBeNull()
    expect(Number(m![1])).toBeGreaterThan(50)
    expect(Number(m![2])).toBeLessThan(400)
    expect(await audio.textContent()).toMatch(/words\/s/)
    const probs = (await page.locator('[data-testid="evidence-model"]').textContent()) ?? ''
    expect(probs).toMatch(/\d+ ?%/)
    // The test pattern has no face: the frames are counted and the share is 0.
    expect(await page.locator('[data-testid="evidence-face"]').textContent()).toMatch(
      /face in 0 ?% of \d+ frames/,
    )
    await shot('03-evidence')
  }, 180_000)
})
