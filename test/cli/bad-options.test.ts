// A bad number on the command line: `fws batch`, `fws features` and `fws worker` refuse it the
// same way (one check, cli/number-options.ts), with exit code 2, before any work or output.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runFws } from '../helpers/fws-cli'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-bad-options-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const fws = (args: string[]) => runFws(args, { timeoutMs: 60_000 })

describe('numeric options', () => {
  it.each<[string[], string]>([
    [
      ['batch', 'in', '--out', 'OUT', '--fps', '0'],
      "--fps must be a positive number no larger than 30, got '0'",
    ],
    [
      ['features', 'in.mp4', '--out', 'OUT', '--fps', '40'],
      "--fps must be a positive number no larger than 30, got '40'",
    ],
    [
      ['batch', 'in', '--out', 'OUT', '--detect-every', '1.5'],
      "--detect-every must be a positive integer, got '1.5'",
    ],
    [
      ['features', 'in.mp4', '--out', 'OUT', '--detect-every', '0'],
      "--detect-every must be a positive integer, got '0'",
    ],
    [
      ['worker', '--queue', 'redis://127.0.0.1:1', '--jobs', 'two'],
      "--jobs must be a positive integer, got 'two'",
    ],
  ])('fws %j: exit 2, %s', { timeout: 60_000 }, async (args, message) => {
    const out = path.join(tmp, `${args[0]}-${args.at(-1)}`)
    const r = await fws(args.map((a) => (a === 'OUT' ? out : a)))
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain(message)
    expect(existsSync(out)).toBe(false)
  })
})
