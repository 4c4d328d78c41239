/**
 * `fws`: the headless front end of the engine. Owns argument parsing and the process exit code;
 * each command lives in cli/commands/<name>.ts and calls the same engine functions as the app.
 */
import { Command, CommanderError } from 'commander'
import { registerDoctor } from './commands/doctor'
import { registerBatch } from './commands/batch'
import { registerExport } from './commands/export'
import { registerFinetune } from './commands/finetune'
import { registerImport } from './commands/import'
import { registerProject } from './commands/project'
import { registerProbe } from './commands/probe'
import { registerSegment } from './commands/segment'
import { registerFeatures } from './commands/features'
import { registerServe } from './commands/serve'
import { registerWorker } from './commands/worker'
import { registerTrain } from './commands/train'
import { registerEval } from './commands/eval'
import { registerAverageCheckpoints, registerTranslate } from './commands/translation'
import { CliError } from './output'

export function buildProgram(): Command {
  const program = new Command()
    .name('fws')
    .description('Fusion Workstation: multimodal emotion and translation per utterance, offline.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError()
  registerDoctor(program)
  registerBatch(program)
  registerTrain(program)
  registerEval(program)
  registerTranslate(program)
  registerAverageCheckpoints(program)
  registerProject(program)
  registerExport(program)
  registerImport(program)
  registerFinetune(program)
  registerProbe(program)
  registerSegment(program)
  registerFeatures(program)
  registerServe(program)
  registerWorker(program)
  return program
}

export async function main(argv = process.argv): Promise<number> {
  const program = buildProgram().exitOverride()
  try {
    await program.parseAsync(argv)
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode
    if (err instanceof CliError) {
      process.stderr.write(`fws: ${err.message}\n`)
      return err.exitCode
    }
    process.stderr.write(`fws: ${(err as Error).message ?? String(err)}\n`)
    if (process.env.FWS_DEBUG) process.stderr.write(`${(err as Error).stack}\n`)
    return 1
  }
}
