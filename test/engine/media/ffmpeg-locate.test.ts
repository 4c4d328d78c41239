import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { locateTool, ToolNotFoundError } from '../../../src-main/engine/media/ffmpeg-locate'

/** A fake ffmpeg/ffprobe: a shell script that prints a version line like the real ones. */
function fakeTool(dir: string, name: string, version: string): string {
  const file = path.join(dir, name)
  writeFileSync(file, `#!/bin/sh\necho "${name} version ${version} Copyright (c) the FFmpeg developers"\n`)
  chmodSync(file, 0o755)
  return file
}

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'fws-locate-'))
const none = { 'ffmpeg-static': () => null, 'npm-installer': () => null }

describe('ffmpeg location', () => {
  it('uses the setting first, then FFMPEG_PATH', () => {
    const d = tmp()
    const setting = fakeTool(d, 'ffmpeg-setting', '9.9-setting')
    const env = fakeTool(d, 'ffmpeg-env', '9.9-env')
    const a = locateTool('ffmpeg', {
      settings: { ffmpeg: setting },
      env: { FFMPEG_PATH: env },
      packages: none,
    })
    expect([a.source, a.path, a.version]).toEqual(['setting', setting, '9.9-setting'])
    const b = locateTool('ffmpeg', { env: { FFMPEG_PATH: env, PATH: '' }, packages: none })
    expect([b.source, b.version]).toEqual(['env', '9.9-env'])
  })

  it('a FFMPEG_PATH that points nowhere is a clear error, not a silent fallback', () => {
    const d = tmp()
    fakeTool(d, 'ffmpeg', '5.1')
    expect(() =>
      locateTool('ffmpeg', { env: { FFMPEG_PATH: '/nowhere/ffmpeg', PATH: d }, packages: none }),
    ).toThrow(/FFMPEG_PATH points to \/nowhere\/ffmpeg, which does not exist/)
    expect(() => locateTool('ffprobe', { env: { FFPROBE_PATH: d, PATH: '' }, packages: none })).toThrow(
      /is not a file/,
    )
  })

  it('skips ffmpeg-static when its binary was never downloaded, then takes the npm installer', () => {
    const d = tmp()
    const installer = fakeTool(d, 'installer-ffmpeg', '4.4-installer')
    const loc = locateTool('ffmpeg', {
      env: { PATH: '' },
      packages: { 'ffmpeg-static': () => path.join(d, 'never-downloaded'), 'npm-installer': () => installer },
    })
    expect(loc.source).toBe('npm-installer')
    expect(loc.tried.map((t) => [t.source, t.result])).toEqual([
      ['setting', 'not set'],
      ['env', 'not set'],
      ['ffmpeg-static', 'does not exist'],
      ['npm-installer', 'ok'],
    ])
  })

  it('falls back to PATH, and names everything tried when nothing is found', () => {
    const d = tmp()
    fakeTool(d, 'ffprobe', '5.1.6-0+deb12u1')
    const loc = locateTool('ffprobe', { env: { PATH: `/nonexistent${path.delimiter}${d}` }, packages: none })
    expect([loc.source, loc.version]).toEqual(['system', '5.1.6-0+deb12u1'])
    try {
      locateTool('ffmpeg', { env: { PATH: '/nonexistent' }, packages: none })
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(ToolNotFoundError)
      expect((err as Error).message).toMatch(
        /ffmpeg was not found\. Tried: setting: not set; env: not set; ffmpeg-static.*system: not on PATH/,
      )
    }
  })

  it('finds working ffmpeg and ffprobe on this machine', () => {
    for (const tool of ['ffmpeg', 'ffprobe'] as const) {
      const loc = locateTool(tool)
      expect(loc.version).not.toBe('')
    }
  })
})
