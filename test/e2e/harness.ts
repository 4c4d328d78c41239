/**
 * End-to-end harness: makes sure the renderer is built (and not older than its sources), starts a
 * real `fws serve` child process, and launches Debian's Chromium through playwright-core. Shared by
 * the e2e tests and `npm run bench:ui`.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { selectAvailableModels } from '../../src-main/engine/pipeline/select-models'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const RENDERER_DIR = path.join(ROOT, 'out', 'renderer')
export const RESULTS_DIR = path.join(ROOT, 'test-results')
export const CHROMIUM = process.env.FWS_CHROMIUM ?? '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--autoplay-policy=no-user-gesture-required',
]

function newestMtime(dir: string): number {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return newest
}

/**
 * Builds out/renderer with electron-vite when it is missing or older than what it is built from:
 * src-renderer, the contract, and the engine's core and domain-type modules the contract re-exports.
 */
export function ensureRendererBuilt(): void {
  const index = path.join(RENDERER_DIR, 'index.html')
  const engine = path.join(ROOT, 'src-main', 'engine')
  const domainTypes = readdirSync(engine, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(engine, e.name, 'types.ts')))
    .map((e) => statSync(path.join(engine, e.name, 'types.ts')).mtimeMs)
  const sources = Math.max(
    newestMtime(path.join(ROOT, 'src-renderer')),
    newestMtime(path.join(ROOT, 'src-main', 'contract')),
    newestMtime(path.join(engine, 'core')),
    ...domainTypes,
  )
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return
  execFileSync(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'],
    {
      cwd: ROOT,
      stdio: 'pipe',
      env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
    },
  )
  if (!existsSync(index)) throw new Error('electron-vite build did not produce out/renderer/index.html')
}

export interface ServeProcess {
  url: string
  port: number
  child: ChildProcess
  stderr: () => string
  stop(): Promise<void>
}

/** Starts `fws serve --json` from source (so the test runs the code under test, not a stale bundle). */
export async function startServeProcess(
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'fws.mjs'), 'serve', '--json', ...args], {
    cwd: ROOT,
    env: { ...process.env, FWS_FROM_SOURCE: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let err = ''
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const first = await new Promise<{ url: string; port: number }>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`fws serve did not start in 60 s: ${err}`)), 60_000)
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (line) {
        clearTimeout(timer)
        resolve(JSON.parse(line) as { url: string; port: number })
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`fws serve exited with ${code}: ${err}`))
    })
  })
  return {
    ...first,
    child,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null) return
      const done = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await done
      clearTimeout(t)
    },
  }
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`)
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true })
}

/**
 * Through the welcome screen: creates the project `projectFile`, adds `media` (one path a line) and
 * waits until every one is listed; the page is on the workstation afterwards.
 */
export async function createProjectWithMedia(
  page: Page,
  projectFile: string,
  media: string[],
  timeout = 120_000,
): Promise<void> {
  await page.locator('[data-testid="welcome"]').waitFor()
  await page.fill('[data-testid="create-path"]', projectFile)
  await page.click('[data-testid="create-project"]')
  await page.locator('[data-testid="workstation"]').waitFor()
  await page.fill('[data-testid="media-paths"]', media.join('\n'))
  await page.click('[data-testid="add-media"]')
  await page
    .locator('[data-testid="media-item"]')
    .nth(media.length - 1)
    .waitFor({ timeout })
}

export function resultsPath(name: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  return path.join(RESULTS_DIR, name)
}

/**
 * Which default models the server will find (it inherits this process's environment), and why
 * the others are missing: the same selection the inference job makes.
 */
export function availableModels(): { emotion: boolean; translation: boolean; missing: string } {
  try {
    const { models, missing } = selectAvailableModels()
    return { emotion: !!models.emotion, translation: !!models.translation, missing: missing.join(' ') }
  } catch (err) {
    return { emotion: false, translation: false, missing: (err as Error).message }
  }
}
