/** Building blocks of fusion/nn: the GRU's gradients reach every parameter, for any sequence length. */
import { beforeAll, describe, expect, it } from 'vitest'
import type * as TF from '@tensorflow/tfjs'
import { getTf } from '../../../src-main/engine/backend'
import { Gru, ParamStore } from '../../../src-main/engine/fusion/nn'

let tf: typeof TF
beforeAll(async () => {
  tf = (await getTf()).tf
})

describe('Gru', () => {
  it('has finite, non-zero gradients for its weights and input in both directions, also for one step', () => {
    for (const T of [1, 2, 5])
      for (const reverse of [false, true]) {
        const store = new ParamStore(T)
        const gru = new Gru(store.scope('g'), 6, 4)
        const x = tf.variable(tf.randomNormal([3, T, 6], 0, 1, 'float32', 7))
        const mask = tf.ones([3, T])
        const { value, grads } = tf.variableGrads(
          () => gru.apply(x, mask, reverse).square().sum() as TF.Scalar,
          [x, gru.wx, gru.wh, gru.b],
        )
        expect(Number.isFinite(value.dataSync()[0]!)).toBe(true)
        for (const [name, g] of Object.entries(grads)) {
          const v = g.dataSync()
          expect(v.every(Number.isFinite), `${name} T=${T}`).toBe(true)
          if (!(T === 1 && name.endsWith('wh')))
            expect(
              v.some((e) => e !== 0),
              `${name} T=${T}`,
            ).toBe(true)
        }
        tf.dispose([value, x, mask, ...Object.values(grads)])
        store.dispose()
      }
  })
})
