/**
 * The one resumable-state format: a saved state reads back exactly (tensors, optimiser counts, the
 * task's fields, other files); a corrupt file, another task's state, an emotion state of the
 * layout before the one core, and a missing state are refused with specific errors; a save
 * replaces the folder as a whole.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  defaultTrainingDir,
  hasTrainingState,
  openTrainingState,
  saveTrainingState,
} from '../../../../src-main/engine/models/training/state'

const root = mkdtempSync(join(tmpdir(), 'fws-state-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const t = (name: string, values: number[], shape = [values.length]) => ({
  name,
  shape,
  data: Float32Array.from(values),
})

describe('training state', () => {
  it('round-trips and refuses corrupt, foreign, old and missing states', () => {
    const dir = join(root, 'run.training', 'state')
    expect(hasTrainingState(dir)).toBe(false)
    saveTrainingState(dir, {
      task: 'demo',
      step: 7,
      fields: { epoch: 2, history: [{ loss: 0.5 }] },
      tensors: { model: [t('w', [1, 2, 3, 4], [2, 2]), t('b', [0.5])] },
      optimizers: {
        optimizer: {
          step: 7,
          steps: { w: 7 },
          tensors: [t('m/w', [1, 1, 1, 1], [2, 2]), t('v/w', [2, 2, 2, 2], [2, 2])],
        },
      },
      files: { 'vocab.json': '{"a":1}' },
    })
    writeFileSync(join(dir, 'stray'), 'x')
    const s = openTrainingState(dir, 'demo')
    expect(s.meta.step).toBe(7)
    expect(s.meta.epoch).toBe(2)
    expect(s.tensors('model').map((x) => [x.name, x.shape, Array.from(x.data)])).toEqual([
      ['w', [2, 2], [1, 2, 3, 4]],
      ['b', [1], [0.5]],
    ])
    const opt = s.optimizer('optimizer')!
    expect([opt.step, opt.steps, opt.tensors.map((x) => x.name)]).toEqual([7, { w: 7 }, ['m/w', 'v/w']])
    expect(s.optimizer('optimizer-gan')).toBeNull()
    expect(s.file('vocab.json')).toBe('{"a":1}')
    expect(() => openTrainingState(dir, 'other')).toThrow(/holds a demo training state, not other/)

    // A save replaces the whole folder.
    saveTrainingState(dir, {
      task: 'demo',
      step: 8,
      fields: {},
      tensors: { model: [t('w', [9])] },
      optimizers: {},
    })
    expect(existsSync(join(dir, 'stray'))).toBe(false)
    const bin = readFileSync(join(dir, 'weights.bin'))
    bin[0] = bin[0]! ^ 1
    writeFileSync(join(dir, 'weights.bin'), bin)
    expect(() => openTrainingState(dir, 'demo').tensors('model')).toThrow(
      /weights.bin in .* is corrupt \(checksum mismatch\)/,
    )

    const old = join(root, 'old')
    saveTrainingState(old, { task: 'emotion', step: 1, fields: {}, tensors: {}, optimizers: {} })
    rmSync(join(old, 'trainer.json'))
    writeFileSync(join(old, 'state.json'), '{}')
    expect(() => openTrainingState(old, 'emotion')).toThrow(/older version \(state.json\)/)
    expect(() => openTrainingState(join(root, 'none'), 'emotion')).toThrow(/no training state in/)
    expect(defaultTrainingDir('models/x/')).toBe('models/x.training')
  })
})
