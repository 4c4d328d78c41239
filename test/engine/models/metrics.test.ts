/** Classification metrics against values computed by hand (scikit-learn's definitions). */
import { describe, expect, it } from 'vitest'
import { argmaxRows, classificationReport } from '../../../src-main/engine/models/metrics/classification'

describe('classificationReport', () => {
  it('matches hand-computed accuracy, per-class, macro and weighted F1 and the confusion matrix', () => {
    // gold: a a a b b c ; pred: a a b b c c
    const gold = [0, 0, 0, 1, 1, 2]
    const pred = [0, 0, 1, 1, 2, 2]
    const r = classificationReport(gold, pred, ['a', 'b', 'c'])
    expect(r.accuracy).toBeCloseTo(4 / 6, 10)
    // a: P 2/2 R 2/3 F1 0.8 ; b: P 1/2 R 1/2 F1 0.5 ; c: P 1/2 R 1/1 F1 2/3
    expect(r.perClass.a!.f1).toBeCloseTo(0.8, 10)
    expect(r.perClass.b!.f1).toBeCloseTo(0.5, 10)
    expect(r.perClass.c!.f1).toBeCloseTo(2 / 3, 10)
    expect(r.macroF1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 10)
    expect(r.weightedF1).toBeCloseTo((3 * 0.8 + 2 * 0.5 + 1 * (2 / 3)) / 6, 10)
    expect(r.confusion).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ])
  })

  it('gives a class with no gold and no predictions no weight, and rejects bad input', () => {
    const r = classificationReport([0, 0], [0, 0], ['a', 'b'])
    expect(r.macroF1).toBe(1)
    expect(r.weightedF1).toBe(1)
    expect(() => classificationReport([0], [0, 1], ['a', 'b'])).toThrow(/1 gold labels but 2 predictions/)
    expect(() => classificationReport([0], [5], ['a', 'b'])).toThrow(/out of range/)
  })

  it('argmaxRows picks the first maximum of each row', () => {
    expect(argmaxRows([0.1, 0.7, 0.2, 0.5, 0.5, 0], 3)).toEqual([1, 0])
  })
})
