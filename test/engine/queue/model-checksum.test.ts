// A model folder's checksum: equal for a byte-identical copy elsewhere, different when any file's
// bytes, name or presence differ; modelMismatch names the task, the folder and both checksums.
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  modelChecksum,
  modelMismatch,
  selectionChecksums,
} from '../../../src-main/engine/queue/model-checksum'
import type { ModelSelection } from '../../../src-main/engine/pipeline/types'

let tmp: string
let dir: string

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-model-sum-'))
  dir = path.join(tmp, 'emotion-a')
  mkdirSync(path.join(dir, 'vocab'), { recursive: true })
  writeFileSync(path.join(dir, 'manifest.json'), '{"task":"emotion","version":"1"}\n')
  writeFileSync(path.join(dir, 'model.json'), '{"weightsManifest":[]}\n')
  writeFileSync(path.join(dir, 'weights.bin'), Buffer.from([1, 2, 3, 4]))
  writeFileSync(path.join(dir, 'vocab', 'words.txt'), 'a\nb\n')
})
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('modelChecksum', () => {
  it('is the same for a copy and changes with bytes, names and files', async () => {
    const sum = await modelChecksum(dir)
    expect(sum).toMatch(/^[0-9a-f]{64}$/)
    const copy = path.join(tmp, 'copy')
    cpSync(dir, copy, { recursive: true })
    expect(await modelChecksum(copy)).toBe(sum)
    writeFileSync(path.join(copy, 'weights.bin'), Buffer.from([1, 2, 3, 5]))
    expect(await modelChecksum(copy)).not.toBe(sum)
    cpSync(dir, copy, { recursive: true })
    expect(await modelChecksum(copy)).toBe(sum)
    renameSync(path.join(copy, 'vocab', 'words.txt'), path.join(copy, 'vocab', 'other.txt'))
    expect(await modelChecksum(copy)).not.toBe(sum)
    rmSync(copy, { recursive: true })
    cpSync(dir, copy, { recursive: true })
    writeFileSync(path.join(copy, 'README.md'), 'x')
    expect(await modelChecksum(copy)).not.toBe(sum)
  })

  it('modelMismatch: null when the folders match, else which model, where and why', async () => {
    const models: ModelSelection = { emotion: { name: 'a', version: '1', dir }, translation: null }
    const sums = await selectionChecksums(models)
    expect(sums.translation).toBeNull()
    expect(await modelMismatch(models, sums)).toBeNull()
    expect(await modelMismatch(models, { ...sums, emotion: 'f'.repeat(64) })).toMatch(
      new RegExp(
        `its emotion model ${dir} differs here \\(sha256 ${sums.emotion!.slice(0, 12)}…, the run expects ffffffffffff…\\)`,
      ),
    )
    const gone = { emotion: { name: 'a', version: '1', dir: path.join(tmp, 'nowhere') }, translation: null }
    expect(await modelMismatch(gone, sums)).toMatch(
      /emotion model folder .*nowhere cannot be read on this machine \(ENOENT\)/,
    )
  })
})
