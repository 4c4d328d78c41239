/**
 * `npm run bench:ui`: how the review table behaves with 10,000 utterances, measured in Debian's
 * Chromium against a real `fws serve`. A project gets two media files with sidecar subtitles —
 * 10,000 cues and, as the baseline measured in the same run, 100 cues — and for each the bench
 * times: opening the media until the table shows every row (fetch + render), re-rendering the full
 * table after a filter is cleared, scrolling top to bottom (frame times), and moving the selection
 * with the keyboard. Figures are printed with the 10,000 / 100 ratio.
 *
 * Then the waveform: time from opening a media file to its waveform drawn, for a 3-hour and a
 * 3-minute low-bitrate audio file, the first time (the engine decodes the file once, with ffmpeg)
 * and again (from the engine's peaks cache). `--waveform-only` runs just this part.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { ffmpegTools } from '../src-main/engine/media/ffmpeg-locate'
import { ensureRendererBuilt, launchChromium, resultsPath, startServeProcess } from '../test/e2e/harness'

// The page-side callbacks below run in Chromium; Node's lib has no DOM, so they see these names
// as untyped (module-scoped: nothing leaks into the rest of the Node program).
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any
declare const window: any
declare const requestAnimationFrame: (cb: (t: number) => void) => number
declare const KeyboardEvent: any
declare const Event: any
type HTMLElement = any
type HTMLInputElement = any
/* eslint-enable @typescript-eslint/no-explicit-any */

const BIG = 10_000
const SMALL = 100
const CUE_SEC = 0.3

function srtTime(t: number): string {
  const ms = Math.round(t * 1000)
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor(ms / 60_000) % 60
  const s = Math.floor(ms / 1000) % 60
  const pad = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${pad(h)}:${pad(m)}:${pad(s)},${pad(ms % 1000, 3)}`
}

/** A tiny video (1 fps, 64×64, silent AAC) of `seconds`, with an SRT of `cues` cues beside it. */
function makeMedia(dir: string, name: string, cues: number): string {
  const seconds = Math.ceil(cues * CUE_SEC) + 2
  const file = path.join(dir, `${name}.mp4`)
  const ffmpeg = ffmpegTools().ffmpeg.path
  execFileSync(ffmpeg, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `color=c=0x223344:s=64x64:r=1:d=${seconds}`,
    '-f',
    'lavfi',
    '-i',
    `anullsrc=r=8000:cl=mono`,
    '-t',
    String(seconds),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-c:a',
    'aac',
    '-b:a',
    '16k',
    '-shortest',
    file,
  ])
  const lines: string[] = []
  for (let i = 0; i < cues; i++) {
    const a = 1 + i * CUE_SEC
    lines.push(
      String(i + 1),
      `${srtTime(a)} --> ${srtTime(a + CUE_SEC * 0.9)}`,
      `Cue ${i + 1}: the quick brown fox number ${i}`,
      '',
    )
  }
  writeFileSync(path.join(dir, `${name}.srt`), lines.join('\n'))
  return file
}

async function api(origin: string, token: string, name: string, payload?: unknown): Promise<unknown> {
  const res = await fetch(`${origin}/api/${name}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: payload === undefined ? '' : JSON.stringify(payload),
  })
  const body = (await res.json()) as { result?: unknown; error?: string }
  if (!res.ok) throw new Error(`${name}: ${body.error}`)
  return body.result
}

interface Figures {
  openMs: number
  rerenderMs: number
  domRows: number
  frameMeanMs: number
  frameP95Ms: number
  frameMaxMs: number
  longFrames: number
  frames: number
  keyStepMs: number
}

async function measure(page: Page, mediaName: string, rows: number): Promise<Figures> {
  // Open: click the media, wait until the table lists every row, then two frames (painted).
  const t0 = await page.evaluate(() => performance.now())
  await page.locator('[data-testid="media-item"]', { hasText: mediaName }).click()
  await page
    .locator('[data-testid="row-count"]', { hasText: `${rows} / ${rows}` })
    .waitFor({ timeout: 120_000 })
  const openMs =
    (await page.evaluate(
      () =>
        new Promise<number>((r) =>
          requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))),
        ),
    )) - t0

  // Re-render: filter to nothing, then clear the filter and time until the rows are painted again.
  await page.fill('[data-testid="filter"]', 'no row matches this')
  await page.locator('[data-testid="row-count"]', { hasText: `0 / ${rows}` }).waitFor()
  const rerenderMs = await page.evaluate(async (n) => {
    const input = document.querySelector('[data-testid="filter"]') as HTMLInputElement
    const start = performance.now()
    input.value = ''
    input.dispatchEvent(new Event('input', { bubbles: true }))
    for (;;) {
      await new Promise((r) => requestAnimationFrame(r))
      if (document.querySelector('[data-testid="row-count"]')?.textContent?.startsWith(`${n} /`)) break
    }
    await new Promise((r) => requestAnimationFrame(r))
    return performance.now() - start
  }, rows)
  const domRows = await page.locator('.tr').count()

  // Scroll 300 frames at 900 px per frame, bouncing between the ends (the 100-row table is short),
  // recording frame intervals.
  const scroll = await page.evaluate(async () => {
    const el = document.querySelector('[data-testid="utable-body"]') as HTMLElement
    el.scrollTop = 0
    await new Promise((r) => requestAnimationFrame(r))
    const times: number[] = []
    let last = performance.now()
    let dir = 1
    for (let f = 0; f < 300; f++) {
      const max = el.scrollHeight - el.clientHeight
      let next = el.scrollTop + dir * 900
      if (next >= max || next <= 0) {
        next = Math.max(0, Math.min(max, next))
        dir = -dir
      }
      el.scrollTop = next
      await new Promise((r) => requestAnimationFrame(r))
      // Force layout of what Vue rendered for this position, so its cost lands in this frame.
      void el.querySelector('.tr')?.getBoundingClientRect()
      const now = performance.now()
      times.push(now - last)
      last = now
    }
    return times
  })
  const sorted = [...scroll].sort((a, b) => a - b)
  const frameMeanMs = scroll.reduce((a, b) => a + b, 0) / Math.max(1, scroll.length)

  // Keyboard: 200 × "next", each until the selection moved and was painted.
  await page.locator('[data-testid="utable-body"]').evaluate(async (el) => {
    el.scrollTop = 0
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))
  })
  await page.locator('.tr[data-index="0"]').dispatchEvent('mousedown')
  await page.locator('body').focus()
  const keyStepMs = await page.evaluate(async (n) => {
    const steps = Math.min(200, n - 1)
    const start = performance.now()
    for (let i = 0; i < steps; i++) {
      const before = document.querySelector('.tr.selected')?.getAttribute('data-id')
      window.dispatchEvent(new KeyboardEvent('keydown', { key: 'j', bubbles: true }))
      for (let f = 0; f < 60; f++) {
        await new Promise((r) => requestAnimationFrame(r))
        if (document.querySelector('.tr.selected')?.getAttribute('data-id') !== before) break
        if (f === 59) throw new Error(`selection did not move at step ${i}`)
      }
    }
    return (performance.now() - start) / steps
  }, rows)

  return {
    openMs,
    rerenderMs,
    domRows,
    frameMeanMs,
    frameP95Ms: sorted[Math.floor(sorted.length * 0.95)] ?? 0,
    frameMaxMs: sorted[sorted.length - 1] ?? 0,
    longFrames: scroll.filter((t) => t > 50).length,
    frames: scroll.length,
    keyStepMs,
  }
}

const LONG_SEC = 3 * 3600
const SHORT_SEC = 180

/** A 10-minute low-bitrate MP3 (16 kHz mono, 24 kb/s) of a slowly varying tone. */
function makePiece(dir: string): string {
  const piece = path.join(dir, 'piece.mp3')
  execFileSync(ffmpegTools().ffmpeg.path, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'aevalsrc=0.4*sin(2*PI*220*t)*(0.55+0.45*sin(2*PI*0.1*t)):s=16000:d=600',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '24k',
    piece,
  ])
  return piece
}

/**
 * `seconds` of the piece, looped without re-encoding (a 3-hour file takes a second to make), with a
 * sidecar SRT of three cues: segmenting a 3-hour file is not what is measured here.
 */
function makeAudio(piece: string, name: string, seconds: number): string {
  const file = path.join(path.dirname(piece), `${name}.mp3`)
  execFileSync(ffmpegTools().ffmpeg.path, [
    '-v',
    'error',
    '-y',
    '-stream_loop',
    String(Math.ceil(seconds / 600) - 1),
    '-i',
    piece,
    '-t',
    String(seconds),
    '-c',
    'copy',
    file,
  ])
  const cues = [1, 60, 120].map((a, i) => `${i + 1}\n${srtTime(a)} --> ${srtTime(a + 2)}\nCue ${i + 1}\n`)
  writeFileSync(file.replace(/\.mp3$/, '.srt'), cues.join('\n'))
  return file
}

/**
 * From clicking a media item: milliseconds to the first waveform drawn (the engine answers with
 * what its first decode has reached after at most a second) and to the complete waveform.
 */
async function timeToWaveform(page: Page, mediaName: string): Promise<{ first: number; complete: number }> {
  const t = performance.now()
  await page.locator('[data-testid="media-item"]', { hasText: mediaName }).click()
  const painted = () =>
    page.evaluate(
      () => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))),
    )
  await page
    .locator('[data-testid="timeline"]:is([data-waveform="partial"], [data-waveform="ready"])')
    .waitFor({ timeout: 900_000 })
  await painted()
  const first = performance.now() - t
  await page.locator('[data-testid="timeline"][data-waveform="ready"]').waitFor({ timeout: 900_000 })
  await painted()
  return { first, complete: performance.now() - t }
}

async function waveformBench(
  page: Page,
  origin: string,
  token: string,
  dir: string,
): Promise<[string, number, number][]> {
  const piece = makePiece(dir)
  // A short file first: the page opens on it, so neither measured file is opened before its click.
  const opener = makeAudio(piece, 'opener', 10)
  const long = makeAudio(piece, 'three-hours', LONG_SEC)
  const short = makeAudio(piece, 'three-minutes', SHORT_SEC)
  await api(origin, token, 'project.create', { path: path.join(dir, 'waveform.fwsproj') })
  await api(origin, token, 'media.add', { paths: [opener, short, long] })
  await page.reload()
  await page.locator('[data-testid="timeline"][data-waveform="ready"]').waitFor({ timeout: 120_000 })
  const coldShort = await timeToWaveform(page, 'three-minutes')
  const coldLong = await timeToWaveform(page, 'three-hours')
  const warmShort = await timeToWaveform(page, 'three-minutes')
  const warmLong = await timeToWaveform(page, 'three-hours')
  await page.screenshot({ path: resultsPath('bench-ui-waveform-3h.png') })
  return [
    ['first open: first waveform drawn (ms)', coldShort.first, coldLong.first],
    ['first open: complete waveform (ms)', coldShort.complete, coldLong.complete],
    ['again (cached peaks): complete waveform (ms)', warmShort.complete, warmLong.complete],
  ]
}

async function main(): Promise<void> {
  if (process.argv.includes('--waveform-only')) return waveformOnly()
  ensureRendererBuilt()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fws-bench-ui-'))
  const serve = await startServeProcess([], { FWS_CACHE_DIR: path.join(dir, 'cache') })
  const browser = await launchChromium()
  try {
    const small = makeMedia(dir, `baseline-${SMALL}`, SMALL)
    const big = makeMedia(dir, `big-${BIG}`, BIG)
    const origin = new URL(serve.url).origin
    const token = new URL(serve.url).searchParams.get('token')!
    await api(origin, token, 'project.create', { path: path.join(dir, 'bench.fwsproj') })
    const added = (await api(origin, token, 'media.add', { paths: [small, big] })) as {
      id: string
      utteranceCount: number
    }[]
    const counts = added.map((m) => m.utteranceCount)
    if (counts[0] !== SMALL || counts[1] !== BIG)
      throw new Error(`expected ${SMALL} and ${BIG} utterances, got ${counts}`)

    // The engine + HTTP share of opening a media: the same request the renderer makes, from Node.
    const listMs: number[] = []
    for (const m of added) {
      await api(origin, token, 'utterances.list', { mediaId: m.id }) // warm-up
      const t = performance.now()
      await api(origin, token, 'utterances.list', { mediaId: m.id })
      listMs.push(performance.now() - t)
    }

    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    await page.goto(serve.url)
    await page.locator('[data-testid="workstation"]').waitFor()
    const version = browser.version()
    // Warm-up pass on the baseline (JIT, fonts), then the measured passes.
    await measure(page, `baseline-${SMALL}`, SMALL)
    const base = await measure(page, `baseline-${SMALL}`, SMALL)
    const heavy = await measure(page, `big-${BIG}`, BIG)
    await page.screenshot({ path: resultsPath('bench-ui-10000.png') })

    const f = (x: number) => x.toFixed(1)
    const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a')
    const rows: [string, number, number, string][] = [
      ['utterances.list over HTTP, from Node (ms)', listMs[0]!, listMs[1]!, ratio(listMs[1]!, listMs[0]!)],
      ['open media → table painted (ms)', base.openMs, heavy.openMs, ratio(heavy.openMs, base.openMs)],
      [
        're-render all rows after clearing filter (ms)',
        base.rerenderMs,
        heavy.rerenderMs,
        ratio(heavy.rerenderMs, base.rerenderMs),
      ],
      ['DOM rows rendered', base.domRows, heavy.domRows, ratio(heavy.domRows, base.domRows)],
      [
        'scroll: mean frame (ms)',
        base.frameMeanMs,
        heavy.frameMeanMs,
        ratio(heavy.frameMeanMs, base.frameMeanMs),
      ],
      ['scroll: p95 frame (ms)', base.frameP95Ms, heavy.frameP95Ms, ratio(heavy.frameP95Ms, base.frameP95Ms)],
      [
        'scroll: worst frame (ms)',
        base.frameMaxMs,
        heavy.frameMaxMs,
        ratio(heavy.frameMaxMs, base.frameMaxMs),
      ],
      ['scroll: frames > 50 ms', base.longFrames, heavy.longFrames, ''],
      ['scroll: frames measured', base.frames, heavy.frames, ''],
      [
        'keyboard next → painted (ms/step)',
        base.keyStepMs,
        heavy.keyStepMs,
        ratio(heavy.keyStepMs, base.keyStepMs),
      ],
    ]
    process.stdout.write(`UI table benchmark — Chromium ${version}, 1440×900, ${os.cpus().length} cores\n`)
    process.stdout.write(
      `${'measure'.padEnd(48)}${`${SMALL} rows`.padStart(12)}${`${BIG} rows`.padStart(14)}${'ratio'.padStart(10)}\n`,
    )
    for (const [name, a, b, r] of rows)
      process.stdout.write(`${name.padEnd(48)}${f(a).padStart(12)}${f(b).padStart(14)}${r.padStart(10)}\n`)
    process.stdout.write(
      `each scroll run: ${heavy.frames} frames of 900 px; screenshot: test-results/bench-ui-10000.png\n`,
    )
    printWaveform(await waveformBench(page, origin, token, dir))
  } finally {
    await browser.close()
    await serve.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

function printWaveform(rows: [string, number, number][]): void {
  process.stdout.write(
    `\n${'waveform (engine peaks, 24 kb/s MP3)'.padEnd(48)}${'3 min'.padStart(12)}${'3 hours'.padStart(14)}${'ratio'.padStart(10)}\n`,
  )
  for (const [name, a, b] of rows)
    process.stdout.write(
      `${name.padEnd(48)}${a.toFixed(0).padStart(12)}${b.toFixed(0).padStart(14)}${(b / a).toFixed(2).padStart(9)}×\n`,
    )
}

async function waveformOnly(): Promise<void> {
  ensureRendererBuilt()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fws-bench-waveform-'))
  const serve = await startServeProcess([], { FWS_CACHE_DIR: path.join(dir, 'cache') })
  const browser = await launchChromium()
  try {
    const origin = new URL(serve.url).origin
    const token = new URL(serve.url).searchParams.get('token')!
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    await page.goto(serve.url)
    await page.locator('[data-testid="welcome"]').waitFor()
    printWaveform(await waveformBench(page, origin, token, dir))
  } finally {
    await browser.close()
    await serve.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err) => {
  process.stderr.write(`bench:ui failed: ${(err as Error).stack ?? err}\n`)
  process.exit(1)
})
