// A bad number on the command line: `fws batch`, `fws features` and `fws worker` refuse it the
// same way (one check, cli/number-options.ts), with exit code 2, before any work or output.
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = path.resolve(import.meta.dirname, '../..')
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-bad-options-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function fws(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, 'bin/fws.mjs'), ...args],
      { env: { ...process.env, FWS_FROM_SOURCE: '1' }, timeout: 60_000 },
      (err, _stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr }),
    )
  })
}

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
