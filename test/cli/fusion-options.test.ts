/** The --gan-* flags of `fws train emotion|translation`: parsed, resolved against defaults, refused where they do not apply. */
import { describe, expect, it } from 'vitest'
import { fusionOptionsFromCli } from '../../src-main/cli/fusion-options'

describe('fusionOptionsFromCli', () => {
  it('GAN-Fusion records every setting, the method defaults filled in', () => {
    expect(fusionOptionsFromCli('ganfusion', {}, 64)).toEqual({
      ganLambda: 0.1,
      ganNoise: 0.01,
      ganHidden: 64,
      ganGeneratorLoss: 'saturating',
      ganRealGrad: 'fixed',
      ganDSteps: 1,
    })
    expect(
      fusionOptionsFromCli(
        'ganfusion',
        {
          ganLambda: '0.3',
          ganNoise: '0',
          ganDHidden: '16',
          ganDSteps: '3',
          ganGeneratorLoss: 'non-saturating',
          ganRealGrad: 'trained',
        },
        64,
      ),
    ).toEqual({
      ganLambda: 0.3,
      ganNoise: 0,
      ganHidden: 16,
      ganGeneratorLoss: 'non-saturating',
      ganRealGrad: 'trained',
      ganDSteps: 3,
    })
  })

  it('gives a specific error for a bad value or a flag of another method', () => {
    expect(() => fusionOptionsFromCli('ganfusion', { ganDSteps: '1.5' }, 8)).toThrow(
      /--gan-d-steps must be an integer, got '1.5'/,
    )
    expect(() => fusionOptionsFromCli('ganfusion', { ganLambda: 'x' }, 8)).toThrow(
      /--gan-lambda must be a number/,
    )
    expect(() => fusionOptionsFromCli('ganfusion', { ganRealGrad: 'yes' }, 8)).toThrow(/fixed or trained/)
    expect(() => fusionOptionsFromCli('autofusion', { ganNoise: '0.1' }, 8)).toThrow(
      /--gan-noise applies to --fusion ganfusion only \(this run uses autofusion\)/,
    )
    expect(fusionOptionsFromCli('lmf', {}, 8)).toEqual({})
  })
})
