/**
 * Playback of files the page cannot decode, end to end in Debian's Chromium against `fws serve`:
 * an AVI (MPEG-4 Part 2 + MP3) and an MKV (MPEG-2 video + MP2) are reviewed through the engine's
 * proxy (the video element plays it and utterance times land where they should); a moved file is
 * shown as missing, refused when relinked to other content, and plays again once relinked; the
 * waveform comes from the engine. Screenshots go to test-results/.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, renameSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { ffmpegTools } from '../../src-main/engine/media/ffmpeg-locate'
import { makeSpeechVideo, type SpeechVideo } from '../helpers/media-fixtures'
import {
  createProjectWithMedia,
  ensureRendererBuilt,
  launchChromium,
  resultsPath,
  type ServeProcess,
  startServeProcess,
} from './harness'

let dir: string
let speech: SpeechVideo
let serve: ServeProcess
let browser: Browser
let page: Page
const files: Record<'avi' | 'mkv' | 'mp4', string> = { avi: '', mkv: '', mp4: '' }
const pageErrors: string[] = []

const poll = <T>(fn: () => T | Promise<T>, timeout = 30_000) => expect.poll(fn, { timeout })
const shot = (name: string) => page.screenshot({ path: resultsPath(`e2e-playback-${name}.png`) })
const videoProp = <T>(prop: string) =>
  page.locator('video').evaluate((v, p) => (v as unknown as Record<string, T>)[p]!, prop)

/** Re-encodes the speech video with the given codecs, its sidecar subtitles beside it. */
function transcode(name: string, args: string[]): string {
  const out = path.join(dir, name)
  execFileSync(ffmpegTools().ffmpeg.path, ['-v', 'error', '-y', '-i', speech.file, ...args, out])
  copyFileSync(speech.sidecar!, out.replace(/\.\w+$/, '.srt'))
  return out
}

async function openMedia(name: string): Promise<void> {
  await page.locator('[data-testid="media-item"]', { hasText: name }).click()
  await poll(() => page.locator('.tr').count()).toBe(speech.speech.length)
}

/** Selects utterance `i`, plays it with Space and checks the playhead runs inside its bounds. */
async function playsUtterance(i: number): Promise<void> {
  const u = speech.speech[i]!
  await page.locator(`.tr[data-index="${i}"]`).click()
  await page.keyboard.press('Space')
  await poll(() => videoProp<number>('currentTime')).toBeGreaterThan(u.start + 0.05)
  await poll(() => videoProp<boolean>('paused')).toBe(true)
  const t = await videoProp<number>('currentTime')
  expect(t).toBeGreaterThanOrEqual(u.end - 0.1)
  expect(t).toBeLessThan(u.end + 0.3)
  // The time shown is the media's time.
  const shown = await page.locator('.player-controls .time').textContent()
  expect(shown).toMatch(/\//)
}

beforeAll(async () => {
  ensureRendererBuilt()
  dir = mkdtempSync(path.join(os.tmpdir(), 'fws-e2e-playback-'))
  speech = await makeSpeechVideo(dir, { sidecar: 'srt', name: 'talk.mp4', width: 320, height: 240 })
  files.mp4 = speech.file
  files.avi = transcode('trailer.avi', ['-c:v', 'mpeg4', '-q:v', '6', '-c:a', 'libmp3lame', '-b:a', '64k'])
  files.mkv = transcode('archive.mkv', ['-c:v', 'mpeg2video', '-q:v', '6', '-c:a', 'mp2', '-b:a', '96k'])
  serve = await startServeProcess([], { FWS_CACHE_DIR: path.join(dir, 'cache') })
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.on('pageerror', (e) => pageErrors.push(e.message))
  await page.goto(serve.url)
  await createProjectWithMedia(page, path.join(dir, 'review.fwsproj'), [files.avi, files.mkv, files.mp4])
}, 300_000)

afterAll(async () => {
  await browser?.close()
  await serve?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('playback through the engine', () => {
  for (const [kind, name] of [
    ['avi', 'trailer.avi'],
    ['mkv', 'archive.mkv'],
  ] as const) {
    it(`plays ${kind.toUpperCase()} through a proxy, with utterance times mapped`, async () => {
      await openMedia(name)
      // The conversion shows as a job with progress (it may already be done on a fast machine).
      await page.locator('[data-testid="proxy-badge"]').waitFor({ timeout: 120_000 })
      expect(await videoProp<string>('src')).toContain('/proxy/')
      const job = page.locator('[data-testid="job"]', { hasText: `Playable copy of ${name}` })
      await poll(() => job.getAttribute('data-status')).toBe('done')
      await poll(() => videoProp<number>('readyState')).toBeGreaterThanOrEqual(1)
      expect(Math.abs((await videoProp<number>('duration')) - speech.durationSec)).toBeLessThan(0.2)
      expect(await page.locator('[data-testid="player-error"]').count()).toBe(0)
      await playsUtterance(2)
      // The waveform comes from the engine, not from decoding the file in the page.
      await poll(() => page.locator('[data-testid="waveform-state"]').count()).toBe(0)
      await shot(kind)
    }, 180_000)
  }

  it('plays an MP4 as it is', async () => {
    await openMedia('talk.mp4')
    await poll(() => videoProp<number>('readyState')).toBeGreaterThanOrEqual(1)
    expect(await videoProp<string>('src')).toContain('/media/')
    expect(await page.locator('[data-testid="proxy-badge"]').count()).toBe(0)
    // Playback rate and one-frame steps (25 fps: 40 ms a frame).
    await page.selectOption('[data-testid="playback-rate"]', '1.5')
    expect(await videoProp<number>('playbackRate')).toBe(1.5)
    await page.locator('.tr[data-index="1"]').click()
    await page.locator('canvas.timeline-overlay').click({ position: { x: 2, y: 60 } }) // seek near 0
    const t0 = await videoProp<number>('currentTime')
    await page.click('[data-testid="frame-forward"]')
    await page.click('[data-testid="frame-forward"]')
    await poll(() => videoProp<number>('currentTime')).toBeCloseTo(t0 + 0.08, 2)
    await page.click('[data-testid="frame-back"]')
    await poll(() => videoProp<number>('currentTime')).toBeCloseTo(t0 + 0.04, 2)
    await page.selectOption('[data-testid="playback-rate"]', '1')
  })

  it('drags the end of the selected region on the waveform: a bounds edit', async () => {
    const u = speech.speech[0]!
    await page.locator('.tr[data-index="0"]').click()
    const box = (await page.locator('canvas.timeline-overlay').boundingBox())!
    const pxPerSec = box.width / (await videoProp<number>('duration')) // the view fits the media
    const y = box.y + box.height - 20
    await page.mouse.move(box.x + u.end * pxPerSec - 1, y)
    await page.mouse.down()
    await page.mouse.move(box.x + (u.end + 0.25) * pxPerSec, y, { steps: 4 })
    await page.mouse.up()
    const end = async () => {
      const rows = await page.evaluate(async () => {
        const res = await fetch('api/utterances.list', { method: 'POST', body: '{}' })
        return ((await res.json()) as { result: { index: number; end: number; mediaId: string }[] }).result
      })
      return rows.filter((r) => r.index === 0).map((r) => r.end)
    }
    // The one mp4 row 0 moved by about a quarter second (pixel-rounded); the others did not.
    await poll(async () => (await end()).some((e) => Math.abs(e - (u.end + 0.25)) < 0.08)).toBe(true)
    expect(await page.locator('.tr[data-index="0"]').getAttribute('class')).toContain('selected')
  })

  it('shows a moved file as missing, refuses other content, and relinks the same bytes', async () => {
    const moved = path.join(dir, 'moved', 'talk renamed.mp4')
    execFileSync('mkdir', ['-p', path.dirname(moved)])
    renameSync(files.mp4, moved)
    // Re-open the media: the player asks the engine again.
    await page.locator('[data-testid="media-item"]', { hasText: 'trailer.avi' }).click()
    await page.locator('[data-testid="media-item"]', { hasText: 'talk.mp4' }).click()
    const missing = page.locator('[data-testid="media-missing"]')
    await missing.waitFor()
    expect(await missing.textContent()).toContain('Missing')
    expect(await missing.textContent()).toContain(files.mp4)
    expect(await page.locator('video').count()).toBe(0)
    await shot('missing')
    await page.fill('[data-testid="relink-path"]', files.avi)
    await page.click('[data-testid="relink"]')
    await poll(() => page.locator('[data-testid="player-error"]').textContent()).toContain(
      'not the same file',
    )
    await page.fill('[data-testid="relink-path"]', moved)
    await page.click('[data-testid="relink"]')
    await poll(() => videoProp<number>('readyState')).toBeGreaterThanOrEqual(1)
    expect(await page.locator('[data-testid="media-missing"]').count()).toBe(0)
    await playsUtterance(1)
    expect(pageErrors).toEqual([])
  }, 120_000)
})
