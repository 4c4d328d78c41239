// `fws features <video> --subs FILE --out DIR`: run through the real CLI entry (bin/fws.mjs from
// source), then read the export back both with our .npy reader and, when NumPy is installed, with
// Python itself, to prove the documented format is what a Python user gets.
import { execFile, execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeNpy } from '../../src-main/engine/features/npy'
import { runFws } from '../helpers/fws-cli'
import { faceSpeechVideo, testPhotos } from '../engine/features/fixtures'

const run = promisify(execFile)
let tmp: string
let video: string
let srt: string

function hasNumpy(): boolean {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'pipe' })
    return true
  } catch {
    return false
  }
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-cli-features-'))
  video = (await faceSpeechVideo(testPhotos().face)).file
  srt = path.join(tmp, 'clip.srt')
  writeFileSync(
    srt,
    '1\n00:00:00,200 --> 00:00:02,800\nHello there, this is a test.\n\n2\n00:00:03,200 --> 00:00:05,800\nNo one is here.\n',
  )
})

afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const fws = (args: string[]) => runFws(args, { env: { FWS_CACHE_DIR: path.join(tmp, 'cache') } })

describe('fws features', () => {
  it('writes .npy sequences, pooled matrices and a manifest that NumPy reads', async () => {
    const out = path.join(tmp, 'out')
    const r = await fws(['features', video, '--subs', srt, '--out', out, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const summary = JSON.parse(r.stdout) as Record<string, number | string>
    expect(summary).toMatchObject({
      utterances: 2,
      source: 'srt',
      audioPresent: 1,
      visualPresent: 2,
      facePresent: 1,
    })

    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'))
    expect(m.format).toBe('fws-features-npy-1')
    expect(m.audio.columns).toHaveLength(43)
    expect(m.visual.columns).toHaveLength(161)
    expect(m.visual.columns[148]).toBe('face_missing')
    const [u1, u2] = m.utterances
    expect(u1).toMatchObject({
      id: 'u0001',
      start: 0.2,
      end: 2.8,
      audioPresent: true,
      facePresent: true,
      audioFrames: 258,
    })
    expect(u2).toMatchObject({ id: 'u0002', audioPresent: false, facePresent: false, visualPresent: true })
    const a = decodeNpy(readFileSync(path.join(out, u1.audioFile)))
    expect(a.shape).toEqual([258, 43])
    const v = decodeNpy(readFileSync(path.join(out, u2.visualFile)))
    expect(v.shape).toEqual([u2.visualFrames, 161])
    for (let t = 0; t < u2.visualFrames; t++) expect(v.data[t * 161 + 148]).toBe(1)
    expect(decodeNpy(readFileSync(path.join(out, 'pooled_visual.npy'))).shape).toEqual([2, 322])

    if (!hasNumpy()) {
      console.log('python3 with numpy not installed: checked the .npy files with our reader only')
      return
    }
    const py = `
import json, sys, numpy as np
d = sys.argv[1]
m = json.load(open(d + '/manifest.json'))
u = m['utterances']
a = np.load(d + '/' + u[0]['audioFile'])
v = np.load(d + '/' + u[1]['visualFile'])
pa = np.load(d + '/pooled_audio.npy')
print(json.dumps({'a': list(a.shape), 'dtype': str(a.dtype), 'v_missing': float(v[:, m['visual']['columns'].index('face_missing')].min()),
  'pa': list(pa.shape), 'mean0': float(a[:, 0].mean()), 'pooled0': float(pa[0, 0])}))
`
    const { stdout: pyOut } = await run('python3', ['-c', py, out])
    const np = JSON.parse(pyOut) as {
      a: number[]
      dtype: string
      v_missing: number
      pa: number[]
      mean0: number
      pooled0: number
    }
    expect(np.a).toEqual([258, 43])
    expect(np.dtype).toBe('float32')
    expect(np.v_missing).toBe(1)
    expect(np.pa).toEqual([2, 86])
    expect(np.pooled0).toBeCloseTo(np.mean0, 3)
  })

  it('reports bad options and a missing file with a non-zero exit and a clear message', async () => {
    const badFps = await fws(['features', video, '--out', path.join(tmp, 'x'), '--fps', 'abc'])
    expect(badFps.code, badFps.stderr).toBe(2)
    expect(badFps.stderr).toContain('--fps')
    const busy = path.join(tmp, 'busy')
    mkdirSync(busy)
    writeFileSync(path.join(busy, 'keep.txt'), 'mine')
    const overwrite = await fws(['features', video, '--out', busy])
    expect(overwrite.code, overwrite.stderr).toBe(2)
    expect(overwrite.stderr).toContain('refusing to overwrite')
    expect(readFileSync(path.join(busy, 'keep.txt'), 'utf8')).toBe('mine')
    const missing = await fws(['features', path.join(tmp, 'nope.mp4'), '--out', path.join(tmp, 'y')])
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toContain('nope.mp4')
  })
})
