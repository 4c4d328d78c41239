import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ROOT = path.resolve(import.meta.dirname, '..', '..')

async function fws(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [path.join(ROOT, 'bin', 'fws.mjs'), ...args], {
      env: { ...process.env, FWS_FROM_SOURCE: '1' },
      timeout: 60_000,
    })
    return { code: 0, ...r }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('fws serve', () => {
  it('says how to build the renderer when it is missing', async () => {
    const r = await fws(['serve', '--renderer', path.join(ROOT, 'no-such-renderer-dir')])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(
      /the renderer is not built: .*index\.html is missing\. Run `npx electron-vite build`/,
    )
  })

  it('refuses a bad port', async () => {
    const r = await fws(['serve', '--port', 'eighty'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/--port must be an integer/)
  })
})
