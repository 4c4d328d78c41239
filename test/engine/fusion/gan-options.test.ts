/**
 * GAN-Fusion as the method states by default (saturating generator loss, the real sample fixed
 * during D's step) and its named alternatives; presence masks: an absent modality adds no
 * reconstruction or adversarial loss (AutoFusion and GAN-Fusion).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type * as TF from '@tensorflow/tfjs'
import { getTf } from '../../../src-main/engine/backend'
import {
  createFusion,
  type FusionInputs,
  type FusionOptions,
  type GanFusionModule,
  type Modality,
} from '../../../src-main/engine/fusion'
import type { AutoFusion } from '../../../src-main/engine/fusion/adaptive'
import { ParamStore } from '../../../src-main/engine/fusion/nn'

let tf: typeof TF
beforeAll(async () => {
  tf = (await getTf()).tf
})

const MODS: Modality[] = ['text', 'audio', 'visual']
const L = 6
const B = 8

function inputs(present: Partial<Record<Modality, number[]>> = {}, seed = 5): FusionInputs {
  const store = new ParamStore(seed)
  const latents: FusionInputs['latents'] = {}
  const masks: FusionInputs['masks'] = {}
  for (const m of MODS) {
    latents[m] = store.normalInit([B, L], 1) as TF.Tensor2D
    masks[m] = tf.tensor1d(present[m] ?? new Array<number>(B).fill(1))
  }
  return { latents, masks }
}

function gan(opts: Partial<FusionOptions> = {}): GanFusionModule {
  return createFusion('ganfusion', {
    modalities: MODS,
    latentDim: L,
    outputDim: 4,
    seed: 11,
    ganNoise: 0,
    ...opts,
  }) as GanFusionModule
}

const value = (s: TF.Scalar): number => s.dataSync()[0]!

function gradsOf(f: () => TF.Scalar, vars: TF.Variable[]): Map<string, Float32Array> {
  const { value: v, grads } = tf.variableGrads(f, vars)
  v.dispose()
  const out = new Map(vars.map((x) => [x.name, (grads[x.name]?.dataSync() as Float32Array) ?? null]))
  tf.dispose(Object.values(grads))
  return new Map([...out].map(([k, g]) => [k, g ?? new Float32Array(0)]))
}
const maxAbs = (a: Float32Array): number => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0)

describe('GAN-Fusion options', () => {
  it('defaults are the method: saturating G loss, fixed real sample, λ 0.1, σ 0.01, H = L, one D step', () => {
    const g = gan({ ganNoise: undefined })
    expect(g.settings).toEqual({
      ganLambda: 0.1,
      ganNoise: 0.01,
      ganHidden: L,
      ganGeneratorLoss: 'saturating',
      ganRealGrad: 'fixed',
      ganDSteps: 1,
    })
    g.dispose()
    const o = gan({
      ganLambda: 0.5,
      ganNoise: 0.2,
      ganHidden: 3,
      ganGeneratorLoss: 'non-saturating',
      ganRealGrad: 'trained',
      ganDSteps: 2,
    })
    expect(o.settings).toEqual({
      ganLambda: 0.5,
      ganNoise: 0.2,
      ganHidden: 3,
      ganGeneratorLoss: 'non-saturating',
      ganRealGrad: 'trained',
      ganDSteps: 2,
    })
    expect(o.lambda).toBe(0.5)
    // D's hidden size is the option: its first layer is [L, H].
    expect(o.discriminatorVariables().some((v) => v.shape.join('x') === `${L}x3`)).toBe(true)
    o.dispose()
    expect(() => gan({ ganDSteps: 0 })).toThrow(/D steps/)
    expect(() => gan({ ganLambda: -1 })).toThrow(/λ/)
    expect(() => gan({ ganGeneratorLoss: 'minimax' as never })).toThrow(/saturating or non-saturating/)
    expect(() => gan({ ganRealGrad: 'both' as never })).toThrow(/fixed or trained/)
  })

  it('saturating G loss is log(1 − D(G(z))): exactly minus D’s fake loss; non-saturating is not', () => {
    const inp = inputs()
    const sat = gan()
    const fake = value(sat.discriminatorLoss(inp, 'fake'))
    const gSat = value(sat.generatorLoss(inp))
    expect(gSat).toBeLessThan(0)
    expect(gSat).toBeCloseTo(-fake, 5)
    // Same seed, same weights: only the objective differs.
    const ns = gan({ ganGeneratorLoss: 'non-saturating' })
    const gNs = value(ns.generatorLoss(inp))
    expect(value(ns.discriminatorLoss(inp, 'fake'))).toBeCloseTo(fake, 5)
    expect(gNs).toBeGreaterThan(0)
    expect(Math.abs(gNs + fake)).toBeGreaterThan(1e-3)
    sat.dispose()
    ns.dispose()
  })

  it("real sample fixed during D's step: the real AutoFusions get only J_tr's gradient; 'trained' lets D's loss through", () => {
    const inp = inputs()
    // λ = 0: apply().auxLoss is exactly the real AutoFusions' J_tr.
    const fixed = gan({ ganLambda: 0 })
    const R = fixed.realFusionVariables()
    const dReal = gradsOf(() => fixed.discriminatorLoss(inp, 'real'), R)
    const jtr = gradsOf(() => fixed.apply(inp, { training: true }).auxLoss!, R)
    for (const v of R) {
      const a = dReal.get(v.name)!
      const b = jtr.get(v.name)!
      expect(a.length, v.name).toBe(b.length)
      for (let i = 0; i < a.length; i++) expect(a[i]!).toBeCloseTo(b[i]!, 5)
    }
    const trained = gan({ ganLambda: 0, ganRealGrad: 'trained' })
    const R2 = trained.realFusionVariables()
    const dReal2 = gradsOf(() => trained.discriminatorLoss(inp, 'real'), R2)
    const diff = R2.map((v, k) => {
      const a = dReal2.get(v.name)!
      const b = jtr.get(R[k]!.name)!
      return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0)
    })
    expect(Math.max(...diff)).toBeGreaterThan(1e-4)
    fixed.dispose()
    trained.dispose()
  })
})

describe('absent modalities add no auxiliary loss', () => {
  const half = [1, 1, 1, 1, 0, 0, 0, 0]
  const none = new Array<number>(B).fill(0)

  it("AutoFusion's J_tr covers the present blocks only", () => {
    const af = createFusion('autofusion', {
      modalities: MODS,
      latentDim: L,
      outputDim: 4,
      seed: 3,
    }) as AutoFusion
    const inp = inputs({ audio: half, visual: none })
    const z = tf
      .concat(
        MODS.map((m) => inp.latents[m]!),
        1,
      )
      .arraySync() as number[][]
    const r = af.reconstruction(inp).arraySync() as number[][]
    let sum = 0
    let n = 0
    for (let b = 0; b < B; b++)
      for (let j = 0; j < 3 * L; j++) {
        const block = Math.floor(j / L)
        const present = block === 0 || (block === 1 && half[b] === 1)
        if (!present) continue
        sum += (r[b]![j]! - z[b]![j]!) ** 2
        n++
      }
    expect(value(af.reconstructionLoss(inp))).toBeCloseTo(sum / n, 5)
    // All present: the plain mean over every element.
    const all = inputs()
    const z2 = tf.concat(
      MODS.map((m) => all.latents[m]!),
      1,
    )
    const plain = value(af.reconstruction(all).sub(z2).square().mean() as TF.Scalar)
    expect(value(af.reconstructionLoss(all))).toBeCloseTo(plain, 5)
    af.dispose()
  })

  it('GAN-Fusion: an absent target adds no adversarial loss and its G/D get no gradient from it', () => {
    const g = gan()
    const inp = inputs({ audio: none })
    const G = g.generatorVariables().filter((v) => v.name.includes('G_audio'))
    const D = g.discriminatorVariables().filter((v) => v.name.includes('D_audio'))
    expect(G.length).toBeGreaterThan(0)
    for (const [, a] of gradsOf(() => g.generatorLoss(inp), G)) expect(maxAbs(a)).toBe(0)
    for (const which of ['real', 'fake'] as const)
      for (const [, a] of gradsOf(() => g.discriminatorLoss(inp, which), D)) expect(maxAbs(a)).toBe(0)
    // Present targets still train.
    const Dt = g.discriminatorVariables().filter((v) => v.name.includes('D_text'))
    expect(
      Math.max(...[...gradsOf(() => g.discriminatorLoss(inp, 'fake'), Dt).values()].map(maxAbs)),
    ).toBeGreaterThan(0)
    // The absent latent's values do not change G's adversarial loss.
    const other = { ...inp, latents: { ...inp.latents, audio: inp.latents.audio!.mul(50) as TF.Tensor2D } }
    expect(value(g.generatorLoss(other))).toBeCloseTo(value(g.generatorLoss(inp)), 5)
    g.dispose()
  })

  it('GAN-Fusion: with only one modality present in every row there is no adversarial loss at all', () => {
    const g = gan()
    const inp = inputs({ audio: none, visual: none })
    expect(value(g.generatorLoss(inp))).toBe(0)
    expect(value(g.discriminatorLoss(inp, 'fake'))).toBe(0)
    // D-real is then the real AutoFusions' J_tr alone (λ·J_adv = 0 in apply's auxLoss too).
    const jtr = value(g.apply(inp, { training: true }).auxLoss!)
    expect(value(g.discriminatorLoss(inp, 'real'))).toBeCloseTo(jtr, 5)
    g.dispose()
  })
})
