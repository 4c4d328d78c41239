/**
 * The `--condition` option of `fws train emotion` and `fws eval emotion`: corpus conditions
 * (engine/models/corpus-conditions.ts) applied to the examples after their features are extracted,
 * seeded, so a researcher can stress a model with missing, corrupted or conflicting modalities on
 * their own data (train degraded, or train clean and evaluate degraded for a shift).
 */
import type { Command } from 'commander'
import { CONDITION_SYNTAX, parseConditions, type CorpusCondition } from '../engine/models/corpus-conditions'
import { CliError } from './output'

export interface ConditionCliOptions {
  condition?: string[]
  conditionSeed?: string
}

export function addConditionOptions(cmd: Command, applied: string): Command {
  return cmd
    .option('--condition <specs...>', `corpus conditions applied to ${applied}: ${CONDITION_SYNTAX}`)
    .option('--condition-seed <n>', 'seed of the condition draws', '1')
}

/** The parsed conditions and their seed (no conditions: an empty list). */
export function conditionsFromCli(o: ConditionCliOptions): { conditions: CorpusCondition[]; seed: number } {
  const seed = Number(o.conditionSeed ?? '1')
  if (!Number.isInteger(seed))
    throw new CliError(`--condition-seed must be an integer, got '${o.conditionSeed}'`, 2)
  try {
    return { conditions: parseConditions(o.condition ?? []), seed }
  } catch (err) {
    throw new CliError(`--condition: ${(err as Error).message}`, 2)
  }
}
