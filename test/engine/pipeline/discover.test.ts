import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { discoverMedia, outputNames } from '../../../src-main/engine/pipeline/discover'

const dir = mkdtempSync(path.join(os.tmpdir(), 'fws-discover-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('discoverMedia', () => {
  it('walks folders recursively, takes media by extension, probes unknown extensions, skips sidecars', async () => {
    mkdirSync(path.join(dir, 'in', 'sub', 'deeper'), { recursive: true })
    mkdirSync(path.join(dir, 'in', 'out'), { recursive: true })
    const f = (p: string, c = 'x') => writeFileSync(path.join(dir, 'in', p), c)
    f('b.mp4')
    f('a.MOV')
    f('a.srt')
    f('notes.txt')
    f('sub/deeper/c.wav')
    f('sub/camera.xyz', 'media')
    f('sub/random.bin', 'junk')
    f('.hidden.mp4')
    f('out/old.mp4')
    const probed: string[] = []
    const d = await discoverMedia([path.join(dir, 'in')], {
      exclude: [path.join(dir, 'in', 'out')],
      isMedia: async (file) => {
        probed.push(path.basename(file))
        return path.basename(file) === 'camera.xyz'
      },
    })
    const rel = (p: string) => path.relative(path.join(dir, 'in'), p)
    expect(d.files.map((x) => [rel(x.file), x.how])).toEqual([
      ['a.MOV', 'extension'],
      ['b.mp4', 'extension'],
      ['sub/camera.xyz', 'probe'],
      ['sub/deeper/c.wav', 'extension'],
    ])
    expect(probed.sort()).toEqual(['camera.xyz', 'random.bin'])
    expect(d.skipped.map((s) => rel(s.file)).sort()).toEqual(['a.srt', 'notes.txt', 'sub/random.bin'])
  })

  it('keeps an explicitly named file whatever it is, once, and rejects a missing input', async () => {
    const junk = path.join(dir, 'junk.txt')
    writeFileSync(junk, '')
    const d = await discoverMedia([junk, junk])
    expect(d.files).toEqual([{ file: junk, how: 'explicit' }])
    await expect(discoverMedia([path.join(dir, 'nope')])).rejects.toThrow(/input not found/)
  })
})

describe('outputNames', () => {
  it('uses the base name and disambiguates clashes with parent folders', () => {
    expect(outputNames(['/x/a/take1.mp4', '/x/b/take1.mp4', '/x/b/other.wav', '/y/odd name?.mkv'])).toEqual([
      'a__take1',
      'b__take1',
      'other',
      'odd name_',
    ])
  })
})
