import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
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

describe('discoverMedia: only regular files are media', () => {
  it('follows links, reports FIFOs, broken links and loops with their reason, and never opens a FIFO', async () => {
    const root = path.join(dir, 'links')
    const other = path.join(dir, 'elsewhere')
    mkdirSync(path.join(root, 'sub'), { recursive: true })
    mkdirSync(other, { recursive: true })
    writeFileSync(path.join(other, 'real.mp4'), 'x')
    writeFileSync(path.join(root, 'plain.mp4'), 'x')
    symlinkSync(path.join(other, 'real.mp4'), path.join(root, 'linked.mp4'))
    symlinkSync(path.join(root, 'plain.mp4'), path.join(root, 'same.mp4'))
    symlinkSync(path.join(other, 'gone.mp4'), path.join(root, 'broken.mp4'))
    symlinkSync(path.join(root, 'loop-b.mp4'), path.join(root, 'loop-a.mp4'))
    symlinkSync(path.join(root, 'loop-a.mp4'), path.join(root, 'loop-b.mp4'))
    symlinkSync(root, path.join(root, 'sub', 'up')) // a folder link back to an ancestor
    execFileSync('mkfifo', [path.join(root, 'pipe.mp4')])
    const d = await discoverMedia([root, path.join(root, 'pipe.mp4')])
    const rel = (p: string) => path.relative(root, p)
    expect(d.files.map((f) => rel(f.file))).toEqual(['linked.mp4', 'plain.mp4'])
    const why = Object.fromEntries(d.skipped.map((s) => [`${rel(s.file)}`, s.code]))
    expect(why).toEqual({
      'broken.mp4': 'broken-link',
      'loop-a.mp4': 'link-loop',
      'loop-b.mp4': 'link-loop',
      'pipe.mp4': 'not-regular',
      'same.mp4': 'duplicate',
      'sub/up': 'link-loop',
    })
    // A folder named twice (or inside another input) is walked once, and said so.
    const twice = await discoverMedia([root, path.join(root, 'sub')])
    expect(twice.skipped.find((x) => x.file === path.join(root, 'sub'))).toMatchObject({ code: 'duplicate' })
    // The explicitly named FIFO is reported too (once per mention), never kept or opened.
    expect(d.skipped.filter((s) => rel(s.file) === 'pipe.mp4')).toHaveLength(2)
    expect(d.skipped.find((s) => s.code === 'not-regular')!.reason).toMatch(/named pipe \(FIFO\)/)
    expect(d.skipped.find((s) => s.code === 'broken-link')!.reason).toMatch(/target does not exist/)
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

  it('gives every input path its own name, also when names differ only by extension, case or cleaned characters', () => {
    const files = [
      '/f/clip.mp4',
      '/f/clip.mkv',
      "/f/a'b.mp4",
      '/f/a_b.mp4',
      '/f/Take.mp4',
      '/f/take.mp4',
      '/g/clip.mp4',
    ]
    const names = outputNames(files)
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(files.length)
    expect(names[0]).toBe('f__clip.mp4')
    expect(names[1]).toBe('f__clip.mkv')
    expect(names[6]).toBe('g__clip')
    expect(names[2]).toMatch(/^a_b\.mp4~[0-9a-f]{8}$/)
    expect(names[3]).toMatch(/^a_b\.mp4~[0-9a-f]{8}$/)
    // Deterministic: the same inputs give the same names (what --resume relies on).
    expect(outputNames(files)).toEqual(names)
    expect(outputNames(['/f/clip.mp4'])).toEqual(['clip'])
  })
})
