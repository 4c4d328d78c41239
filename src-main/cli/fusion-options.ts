/**
 * The fusion-method options `fws train emotion` and `fws train translation` share: GAN-Fusion's λ,
 * noise σ, discriminator size, stage schedule, generator loss and real-sample gradient. Owns their
 * flags and their parsing into the `fusionOptions` a model records (GAN-Fusion: every value, with
 * its default filled in, so a manifest says exactly how the model was trained).
 */
import type { Command } from 'commander'
import {
  resolveGanSettings,
  type FusionMethod,
  type GanGeneratorLoss,
  type GanRealGrad,
  type MethodFusionOptions,
} from '../engine/fusion/types'
import { parseOptionalNumber } from './number-options'
import { CliError } from './output'

export interface GanCliOptions {
  ganLambda?: string
  ganNoise?: string
  ganDHidden?: string
  ganDSteps?: string
  ganGeneratorLoss?: string
  ganRealGrad?: string
}

const FLAGS: Record<keyof GanCliOptions, string> = {
  ganLambda: '--gan-lambda',
  ganNoise: '--gan-noise',
  ganDHidden: '--gan-d-hidden',
  ganDSteps: '--gan-d-steps',
  ganGeneratorLoss: '--gan-generator-loss',
  ganRealGrad: '--gan-real-grad',
}

/** Adds the --gan-* flags to a train subcommand. */
export function addGanOptions(cmd: Command): Command {
  return cmd
    .option('--gan-lambda <x>', 'GAN-Fusion: weight λ of the adversarial loss in J_total (default 0.1)')
    .option('--gan-noise <x>', 'GAN-Fusion: σ of the Gaussian noise added to z_m before G (default 0.01)')
    .option('--gan-d-hidden <n>', 'GAN-Fusion: discriminator hidden size H (default: the latent size)')
    .option(
      '--gan-d-steps <n>',
      'GAN-Fusion: D-real + D-fake updates per batch before the G update (default 1)',
    )
    .option(
      '--gan-generator-loss <kind>',
      'GAN-Fusion: saturating = minimise log(1 − D(G(z))) as the method (default) | non-saturating = −log D(G(z))',
    )
    .option(
      '--gan-real-grad <mode>',
      "GAN-Fusion: fixed = the real sample is a stop-gradient input of D's step (default) | trained = D's loss also trains the real-sample AutoFusions",
    )
}

/**
 * The `fusionOptions` to build and record: GAN-Fusion's settings resolved against their defaults
 * (latentDim gives D's default size); other methods take no --gan-* flag (an error, not ignored).
 */
export function fusionOptionsFromCli(
  method: FusionMethod,
  o: GanCliOptions,
  latentDim: number,
): MethodFusionOptions {
  const given = (Object.keys(FLAGS) as (keyof GanCliOptions)[]).filter((k) => o[k] !== undefined)
  if (method !== 'ganfusion') {
    if (given.length)
      throw new CliError(`${FLAGS[given[0]!]} applies to --fusion ganfusion only (this run uses ${method})`)
    return {}
  }
  try {
    return resolveGanSettings({
      modalities: [],
      latentDim,
      outputDim: 1,
      ganLambda: parseOptionalNumber(o.ganLambda, FLAGS.ganLambda.slice(2), false),
      ganNoise: parseOptionalNumber(o.ganNoise, FLAGS.ganNoise.slice(2), false),
      ganHidden: parseOptionalNumber(o.ganDHidden, FLAGS.ganDHidden.slice(2), true),
      ganDSteps: parseOptionalNumber(o.ganDSteps, FLAGS.ganDSteps.slice(2), true),
      ganGeneratorLoss: o.ganGeneratorLoss as GanGeneratorLoss | undefined,
      ganRealGrad: o.ganRealGrad as GanRealGrad | undefined,
    })
  } catch (err) {
    if (err instanceof CliError) throw err
    throw new CliError((err as Error).message)
  }
}
