/**
 * Numeric options: the check of a number given as option text (a number, a whole one where the
 * option wants it, with an error naming the flag), and options declared as a table, so that each
 * one's flag, help, default and kind of number are written once and parsed in one place.
 */
import type { Command } from 'commander'
import { CliError } from './output'

/** The number `text` gives for `--name`; a CliError (with `exitCode`) when it is not a number, or not whole when `int`. */
export function parseNumber(text: string, name: string, int = false, exitCode = 1): number {
  const n = Number(text)
  if (!Number.isFinite(n) || (int && !Number.isInteger(n)))
    throw new CliError(`--${name} must be ${int ? 'an integer' : 'a number'}, got '${text}'`, exitCode)
  return n
}

/**
 * The number `text` gives for `--name` when it must be above zero (whole when `int`, at most
 * `max` when given); a CliError with `exitCode` otherwise.
 */
export function parsePositive(
  text: string,
  name: string,
  opts: { int?: boolean; max?: number; exitCode?: number } = {},
): number {
  const n = Number(text)
  const { int = false, max, exitCode = 1 } = opts
  if (!(Number.isFinite(n) && n > 0 && (!int || Number.isInteger(n)) && (max === undefined || n <= max)))
    throw new CliError(
      `--${name} must be a positive ${int ? 'integer' : 'number'}${max === undefined ? '' : ` no larger than ${max}`}, got '${text}'`,
      exitCode,
    )
  return n
}

/** parseNumber for an option that may be absent: undefined when it was not given. */
export function parseOptionalNumber(
  text: string | undefined,
  name: string,
  int = false,
  exitCode = 1,
): number | undefined {
  return text === undefined ? undefined : parseNumber(text, name, int, exitCode)
}

/** A numeric option: its flag ("--lr <x>"), help, default (none: unset unless given) and whether it must be whole. */
export interface NumberOption {
  flag: string
  help: string
  default?: string
  int?: boolean
}

/** A table of numeric options, keyed by the name commander gives each value ("--batch-size" → batchSize). */
export type NumberOptionTable = Record<string, NumberOption>

/** The parsed values of a table: a number where the option has a default, else number | undefined. */
export type NumberValues<T extends NumberOptionTable> = {
  [K in keyof T]: T[K] extends { default: string } ? number : number | undefined
}

/** Adds the table's options to a command, in the table's order. */
export function addNumberOptions(cmd: Command, table: NumberOptionTable): Command {
  for (const [key, spec] of Object.entries(table)) {
    const option = cmd.createOption(spec.flag, spec.help).default(spec.default)
    if (option.attributeName() !== key)
      throw new Error(`numeric option ${spec.flag} is keyed '${key}', not '${option.attributeName()}'`)
    cmd.addOption(option)
  }
  return cmd
}

/** The table's options parsed from what commander gave (their texts, by key). */
export function readNumberOptions<T extends NumberOptionTable>(
  given: Partial<Record<keyof T, string>>,
  table: T,
): NumberValues<T> {
  const values: Record<string, number | undefined> = {}
  for (const [key, spec] of Object.entries(table))
    values[key] = parseOptionalNumber(given[key], spec.flag.split(' ')[0]!.slice(2), spec.int)
  return values as NumberValues<T>
}

/** The items of a comma-separated option ("text, audio" → ["text", "audio"]). */
export function commaList(text: string): string[] {
  return text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
}

/** --fps (frames per second sampled for visual features, at most 30) and --detect-every, exit code 2 on a bad value. */
export function parseFrameOptions(o: { fps: string; detectEvery: string }): {
  fps: number
  detectEvery: number
} {
  return {
    fps: parsePositive(o.fps, 'fps', { max: 30, exitCode: 2 }),
    detectEvery: parsePositive(o.detectEvery, 'detect-every', { int: true, exitCode: 2 }),
  }
}
