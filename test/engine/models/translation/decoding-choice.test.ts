import { describe, expect, it } from 'vitest'
import { chooseTransferringDecoding } from '../../../../src-main/engine/models/translation/decoding-choice'

describe('chooseTransferringDecoding', () => {
  it('does not pick the val winner when it loses on the confirmation set', () => {
    const c = chooseTransferringDecoding([
      { lengthPenalty: 0.6, val: 36.5, confirm: 36.9 },
      { lengthPenalty: 1.2, val: 37.1, confirm: 37.2 },
      { lengthPenalty: 2.0, val: 37.3, confirm: 36.0 },
    ])
    expect(c.lengthPenalty).toBe(1.2)
  })

  it('picks the setting best on both when there is one', () => {
    const c = chooseTransferringDecoding([
      { lengthPenalty: 0.6, val: 35, confirm: 35 },
      { lengthPenalty: 2.0, val: 37, confirm: 38 },
    ])
    expect(c.lengthPenalty).toBe(2.0)
  })

  it('breaks near-ties toward α 1.0', () => {
    const c = chooseTransferringDecoding([
      { lengthPenalty: 0.8, val: 37.0, confirm: 37.0 },
      { lengthPenalty: 1.0, val: 36.95, confirm: 36.95 },
      { lengthPenalty: 1.5, val: 37.05, confirm: 37.0 },
    ])
    expect(c.lengthPenalty).toBe(1.0)
  })

  it('refuses an empty list', () => {
    expect(() => chooseTransferringDecoding([])).toThrow(/no decoding candidates/)
  })
})
