/** Runs `fws doctor --json` in a fresh process (the backend is chosen once per process) and parses it. */
import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import type { DoctorReport } from '../../src-main/contract/contract'

const run = promisify(execFile)
const fws = path.resolve(__dirname, '../../bin/fws.mjs')

export async function doctorJson(env: NodeJS.ProcessEnv = process.env): Promise<DoctorReport> {
  const { stdout } = await run(process.execPath, [fws, 'doctor', '--json'], {
    env: { ...env, FWS_FROM_SOURCE: '1' },
    timeout: 60_000,
  })
  return JSON.parse(stdout) as DoctorReport
}
