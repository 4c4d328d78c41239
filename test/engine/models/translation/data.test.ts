// Parallel text reading for translation training and evaluation: plain and gzip files, CRLF,
// misaligned pairs and missing files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { readParallel } from '../../../../src-main/engine/models/translation/data'

const dir = mkdtempSync(path.join(tmpdir(), 'fws-parallel-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('readParallel', () => {
  it('reads aligned files (gzip and CRLF too) and rejects misaligned or missing ones', () => {
    writeFileSync(path.join(dir, 's.en'), 'a b\r\nc\r\n')
    writeFileSync(path.join(dir, 's.de.gz'), gzipSync(Buffer.from('x y\nz\n')))
    writeFileSync(path.join(dir, 'bad.de'), 'only one\n')
    expect(readParallel(path.join(dir, 's.en'), path.join(dir, 's.de.gz'))).toEqual({
      src: ['a b', 'c'],
      tgt: ['x y', 'z'],
    })
    expect(() => readParallel(path.join(dir, 's.en'), path.join(dir, 'bad.de'))).toThrow(
      /2 lines but .* has 1/,
    )
    expect(() => readParallel(path.join(dir, 's.en'), path.join(dir, 'none.de'))).toThrow(
      /no such file: .*none\.de/,
    )
  })
})
