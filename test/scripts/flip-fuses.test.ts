// scripts/flip-fuses.ts on a file laid out like an Electron binary's fuse wire (sentinel, version,
// length, one byte per fuse): every fuse set as the script says, and a wire with a fuse the script
// does not know is refused rather than shipped in its default state.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { FuseV1Options } from '@electron/fuses'

const run = promisify(execFile)
/** The marker Electron puts before its fuse wire (Electron's fuse documentation). */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'
const root = path.resolve(import.meta.dirname, '../..')
const dir = mkdtempSync(path.join(tmpdir(), 'fws-fuses-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Random bytes around a version-1 fuse wire of `n` fuses, all enabled ('1'). */
function fakeElectron(name: string, n: number): string {
  const file = path.join(dir, name)
  const wire = Buffer.concat([Buffer.from(SENTINEL), Buffer.from([1, n]), Buffer.alloc(n, '1')])
  writeFileSync(file, Buffer.concat([Buffer.alloc(4096, 7), wire, Buffer.alloc(4096, 9)]))
  return file
}

const flip = (file: string) =>
  run(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/flip-fuses.ts'), file], { cwd: root })

describe('scripts/flip-fuses.ts', () => {
  it('sets every fuse: no RunAsNode, NODE_OPTIONS or --inspect; cookie encryption and asar integrity on', async () => {
    const file = fakeElectron('electron', 8)
    await flip(file)
    const bytes = readFileSync(file)
    const at = bytes.indexOf(SENTINEL) + SENTINEL.length + 2
    const state = (o: FuseV1Options) => (bytes[at + o] === 0x31 ? 'on' : bytes[at + o] === 0x30 ? 'off' : '?')
    expect(state(FuseV1Options.RunAsNode)).toBe('off')
    expect(state(FuseV1Options.EnableNodeOptionsEnvironmentVariable)).toBe('off')
    expect(state(FuseV1Options.EnableNodeCliInspectArguments)).toBe('off')
    expect(state(FuseV1Options.EnableCookieEncryption)).toBe('on')
    expect(state(FuseV1Options.EnableEmbeddedAsarIntegrityValidation)).toBe('on')
    expect(state(FuseV1Options.OnlyLoadAppFromAsar)).toBe('on')
    expect(state(FuseV1Options.GrantFileProtocolExtraPrivileges)).toBe('off')
  })

  it('refuses a wire with a fuse it has no setting for', async () => {
    await expect(flip(fakeElectron('newer-electron', 9))).rejects.toThrow(/strictlyRequireAllFuses/)
  })
})
