// Checks the custom-gradient ops against tfjs's own gradients (computed on the pure-JS cpu backend,
// where the stock gather/matMul/logSoftmax gradients all work), and that they run on wasm.
import { beforeAll, describe, expect, it } from 'vitest'
import type * as TF from '@tensorflow/tfjs'
import { getTf } from '../../../src-main/engine/backend'
import { dense, embeddingLookup, matMul, softmaxCrossEntropy } from '../../../src-main/engine/core/tf-ops'

let tf: typeof TF
let mainBackend: string

beforeAll(async () => {
  const r = await getTf()
  tf = r.tf
  mainBackend = tf.getBackend()
})

function rand(shape: number[], seed: number): TF.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed)
}

function maxAbsDiff(a: TF.Tensor, b: TF.Tensor): number {
  expect(a.shape).toEqual(b.shape)
  return tf.tidy(() => a.sub(b).abs().max().dataSync()[0]!)
}

async function onBackend<T>(name: string, fn: () => T): Promise<T> {
  const prev = tf.getBackend()
  await tf.setBackend(name)
  try {
    return fn()
  } finally {
    await tf.setBackend(prev)
  }
}

describe('embeddingLookup', () => {
  it('matches tf.gather and its gradient on cpu within 1e-6 (duplicate ids sum)', async () => {
    await onBackend('cpu', () => {
      const table = rand([11, 5], 1)
      const ids = tf.tensor2d(
        [
          [1, 3, 3],
          [0, 10, 1],
        ],
        [2, 3],
        'int32',
      )
      const up = rand([2, 3, 5], 2)
      const ours = embeddingLookup(table, ids)
      const ref = tf.gather(table, ids)
      expect(maxAbsDiff(ours, ref)).toBeLessThan(1e-6)
      const gOurs = tf.grad((t: TF.Tensor) => embeddingLookup(t, ids).mul(up).sum())(table)
      const gRef = tf.grad((t: TF.Tensor) => tf.gather(t, ids).mul(up).sum())(table)
      expect(maxAbsDiff(gOurs, gRef)).toBeLessThan(1e-6)
      // row 3 appears twice: its gradient is the sum of both upstream rows
      const row3 = gOurs.slice([3, 0], [1, 5])
      const sum = up
        .slice([0, 1, 0], [1, 1, 5])
        .add(up.slice([0, 2, 0], [1, 1, 5]))
        .reshape([1, 5])
      expect(maxAbsDiff(row3, sum)).toBeLessThan(1e-6)
    })
  })

  it('trains on the main backend (wasm lacks UnsortedSegmentSum for the stock gradient)', () => {
    const table = tf.variable(rand([7, 4], 3))
    const ids = tf.tensor1d([2, 2, 5], 'int32')
    const g = tf.variableGrads(() => embeddingLookup(table, ids).square().sum() as TF.Scalar)
    const grad = g.grads[table.name]!
    const data = grad.arraySync() as number[][]
    const t = table.arraySync() as number[][]
    for (let j = 0; j < 4; j++) {
      expect(data[2]![j]).toBeCloseTo(4 * t[2]![j]!, 4)
      expect(data[5]![j]).toBeCloseTo(2 * t[5]![j]!, 4)
      expect(data[0]![j]).toBe(0)
    }
    expect(tf.getBackend()).toBe(mainBackend)
  })
})

describe('matMul / dense', () => {
  it('matches tf.matMul and its gradients on cpu (2-D, batched, transposed, folded 3-D)', async () => {
    await onBackend('cpu', () => {
      const cases: Array<[number[], number[], boolean, boolean]> = [
        [[4, 3], [3, 5], false, false],
        [[3, 4], [3, 5], true, false],
        [[4, 3], [5, 3], false, true],
        [[2, 4, 3], [2, 3, 5], false, false],
        [[2, 4, 3], [2, 5, 3], false, true],
      ]
      cases.forEach(([sa, sb, ta, tb], i) => {
        const a = rand(sa, 10 + i)
        const b = rand(sb, 20 + i)
        const yRef = tf.matMul(a, b, ta, tb)
        const up = rand(yRef.shape, 30 + i)
        expect(maxAbsDiff(matMul(a, b, ta, tb), yRef)).toBeLessThan(1e-5)
        const [ga, gb] = tf.grads((x: TF.Tensor, y: TF.Tensor) => matMul(x, y, ta, tb).mul(up).sum())([a, b])
        const [ra, rb] = tf.grads((x: TF.Tensor, y: TF.Tensor) => tf.matMul(x, y, ta, tb).mul(up).sum())([
          a,
          b,
        ])
        expect(maxAbsDiff(ga!, ra!)).toBeLessThan(1e-5)
        expect(maxAbsDiff(gb!, rb!)).toBeLessThan(1e-5)
      })
      // dense on [B, T, D] folds to 2-D and adds the bias
      const x = rand([2, 3, 4], 40)
      const w = rand([4, 6], 41)
      const bias = rand([6], 42)
      const ref = tf
        .matMul(x.reshape([6, 4]), w)
        .add(bias)
        .reshape([2, 3, 6])
      expect(maxAbsDiff(dense(x, w, bias), ref)).toBeLessThan(1e-5)
      const up = rand([2, 3, 6], 43)
      const [gx, gw] = tf.grads((p: TF.Tensor, q: TF.Tensor) => dense(p, q, bias).mul(up).sum())([x, w])
      const [rx, rw] = tf.grads((p: TF.Tensor, q: TF.Tensor) =>
        tf
          .matMul(p.reshape([6, 4]), q)
          .reshape([2, 3, 6])
          .mul(up)
          .sum(),
      )([x, w])
      expect(maxAbsDiff(gx!, rx!)).toBeLessThan(1e-5)
      expect(maxAbsDiff(gw!, rw!)).toBeLessThan(1e-5)
    })
  })
})

describe('softmaxCrossEntropy', () => {
  function reference(l: TF.Tensor, y: TF.Tensor, w: TF.Tensor, eps: number): TF.Tensor {
    const v = l.shape[1]!
    const q = tf
      .oneHot(y, v)
      .toFloat()
      .mul(1 - eps)
      .add(eps / v)
    const perRow = q
      .mul(tf.logSoftmax(l as TF.Tensor2D))
      .sum(1)
      .neg()
    return perRow.mul(w).sum().div(w.sum())
  }

  for (const eps of [0, 0.1]) {
    it(`matches logSoftmax-based loss and gradient on cpu (ε=${eps}, with mask)`, async () => {
      await onBackend('cpu', () => {
        const l = rand([6, 9], 50).mul(3)
        const y = tf.tensor1d([0, 8, 3, 3, 1, 5], 'int32')
        const w = tf.tensor1d([1, 1, 0, 1, 1, 0])
        const ours = softmaxCrossEntropy(l, y, { mask: w, labelSmoothing: eps })
        const ref = reference(l, y, w, eps)
        expect(Math.abs(ours.dataSync()[0]! - ref.dataSync()[0]!)).toBeLessThan(1e-5)
        const g = tf.grad((x: TF.Tensor) => softmaxCrossEntropy(x, y, { mask: w, labelSmoothing: eps }))(l)
        const gr = tf.grad((x: TF.Tensor) => reference(x, y, w, eps))(l)
        expect(maxAbsDiff(g, gr)).toBeLessThan(1e-6)
      })
    })
  }

  it('gives the same smoothed loss and gradient on the main backend as on cpu', async () => {
    // Regression: wasm's OneHot kernel ignores on/off values; a smoothed target built with them
    // silently dropped the gold-label pull and training collapsed to the uniform distribution.
    const l = rand([40, 13], 60).mul(3)
    const y = tf.tensor1d(
      Array.from({ length: 40 }, (_, i) => (i * 7) % 13),
      'int32',
    )
    const w = tf.tensor1d(Array.from({ length: 40 }, (_, i) => (i % 5 === 0 ? 0 : 1)))
    const f = (x: TF.Tensor) => softmaxCrossEntropy(x, y, { mask: w, labelSmoothing: 0.1 })
    const gMain = tf.grad(f)(l).arraySync()
    const vMain = f(l).dataSync()[0]!
    const [gCpu, vCpu] = await onBackend('cpu', () => {
      const lc = tf.tensor(l.arraySync() as number[][])
      const yc = tf.tensor1d(y.arraySync() as number[], 'int32')
      const wc = tf.tensor1d(w.arraySync() as number[])
      const fc = (x: TF.Tensor) => softmaxCrossEntropy(x, yc, { mask: wc, labelSmoothing: 0.1 })
      return [tf.grad(fc)(lc).arraySync(), fc(lc).dataSync()[0]!] as const
    })
    expect(vMain).toBeCloseTo(vCpu, 5)
    expect(maxAbsDiff(tf.tensor(gMain), tf.tensor(gCpu as number[][]))).toBeLessThan(1e-6)
  })

  it('agrees between the main backend and cpu, and masks padding rows out', async () => {
    const l = [
      [2, -1, 0.5],
      [0.1, 0.2, 0.3],
    ]
    const main = softmaxCrossEntropy(tf.tensor2d(l), tf.tensor1d([0, 2], 'int32'), {
      mask: tf.tensor1d([1, 0]),
    }).dataSync()[0]!
    // only row 0 counts: −log softmax([2, −1, 0.5])[0]
    const expected = -(2 - Math.log(Math.exp(2) + Math.exp(-1) + Math.exp(0.5)))
    expect(main).toBeCloseTo(expected, 5)
    expect(() => softmaxCrossEntropy(tf.tensor2d(l), tf.tensor1d([0, 1, 2], 'int32'))).toThrow(
      /3 labels for 2 rows/,
    )
  })
})
