import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT, runFws } from '../helpers/fws-cli'

const fws = (args: string[]) => runFws(args, { timeoutMs: 60_000 })

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
