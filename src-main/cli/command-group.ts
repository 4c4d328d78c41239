/** A command group such as `fws train` or `fws eval`: one subcommand per task, each added by its own register function. */
import type { Command } from 'commander'

export function addCommandGroup(
  program: Command,
  name: string,
  description: string,
  subcommands: ((group: Command) => void)[],
): Command {
  const group = program.command(name).description(description)
  for (const register of subcommands) register(group)
  return group
}
