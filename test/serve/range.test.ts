import { describe, expect, it } from 'vitest'
import { mediaContentType, parseRange } from '../../src-main/serve/range'

describe('parseRange', () => {
  it('answers the whole file without a Range header or with one it does not understand', () => {
    expect(parseRange(undefined, 100)).toEqual({ kind: 'full' })
    expect(parseRange('items=0-5', 100)).toEqual({ kind: 'full' })
    expect(parseRange('bytes=0-5,10-20', 100)).toEqual({ kind: 'full' })
    expect(parseRange('bytes=-', 100)).toEqual({ kind: 'full' })
  })
  it('parses closed, open-ended and suffix ranges', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ kind: 'partial', start: 0, end: 9 })
    expect(parseRange('bytes=50-', 100)).toEqual({ kind: 'partial', start: 50, end: 99 })
    expect(parseRange('bytes=-10', 100)).toEqual({ kind: 'partial', start: 90, end: 99 })
    expect(parseRange('bytes=-500', 100)).toEqual({ kind: 'partial', start: 0, end: 99 })
    expect(parseRange('bytes=90-500', 100)).toEqual({ kind: 'partial', start: 90, end: 99 })
  })
  it('flags ranges past the end as unsatisfiable', () => {
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' })
    expect(parseRange('bytes=20-10', 100)).toEqual({ kind: 'unsatisfiable' })
    expect(parseRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' })
  })
  it('knows common media types', () => {
    expect(mediaContentType('/a/b.MP4')).toBe('video/mp4')
    expect(mediaContentType('/a/b.webm')).toBe('video/webm')
    expect(mediaContentType('/a/b.xyz')).toBe('application/octet-stream')
  })
})
