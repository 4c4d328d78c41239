// 16-bit mono WAV: round trip, espeak-ng's streaming header, refusal of other layouts.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { floatToPcm16, parseWav16, pcm16ToFloat, wav16Bytes } from '../../../src-main/engine/media/wav'

describe('16-bit mono WAV', () => {
  it('round-trips samples and rate', () => {
    const pcm = Int16Array.from([0, 1, -1, 32767, -32768, 1234])
    const back = parseWav16(wav16Bytes(22050, pcm))
    expect(back.rate).toBe(22050)
    expect(Array.from(back.pcm)).toEqual(Array.from(pcm))
  })

  it('reads a header written while streaming (data size 0) as the rest of the file', () => {
    const b = wav16Bytes(16000, Int16Array.from([5, 6, 7]))
    b.writeUInt32LE(0, 40)
    expect(Array.from(parseWav16(b).pcm)).toEqual([5, 6, 7])
  })

  it('reads what espeak-ng writes', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'fws-wav-')), 'a.wav')
    execFileSync('espeak-ng', ['-w', file, 'hello'])
    const w = parseWav16(readFileSync(file))
    expect(w.rate).toBe(22050)
    expect(w.pcm.length).toBeGreaterThan(5000)
  })

  it('refuses stereo, 8-bit and non-WAV bytes with the reason', () => {
    const stereo = wav16Bytes(16000, new Int16Array(4))
    stereo.writeUInt16LE(2, 22)
    expect(() => parseWav16(stereo)).toThrow(/2 channels/)
    expect(() => parseWav16(Buffer.from('not a wav file at all, no'))).toThrow(/not a WAV file/)
  })

  it('converts float ↔ 16-bit with clipping', () => {
    expect(Array.from(floatToPcm16(Float32Array.from([0, 1, -1, 2, -2, 0.5])))).toEqual([
      0, 32767, -32767, 32767, -32767, 16384,
    ])
    expect(pcm16ToFloat(Int16Array.from([-32768, 16384]))[0]).toBe(-1)
  })
})
