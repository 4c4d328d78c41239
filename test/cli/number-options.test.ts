/** Numeric options: the check of one value, and a table of options declared and parsed in one place. */
import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import {
  addNumberOptions,
  commaList,
  parseFrameOptions,
  parseNumber,
  parsePositive,
  parseOptionalNumber,
  readNumberOptions,
  type NumberOptionTable,
} from '../../src-main/cli/number-options'
import { CliError } from '../../src-main/cli/output'

const TABLE = {
  batchSize: { flag: '--batch-size <n>', help: 'batch size', default: '32', int: true },
  lr: { flag: '--lr <x>', help: 'learning rate', default: '0.002' },
  maxSteps: { flag: '--max-steps <n>', help: 'step limit', int: true },
} as const satisfies NumberOptionTable

function thrown(f: () => unknown): CliError {
  try {
    f()
  } catch (err) {
    return err as CliError
  }
  throw new Error('did not throw')
}

describe('parseNumber', () => {
  it('gives the number, or an error naming the flag with the exit code asked for', () => {
    expect(parseNumber('0.5', 'lr')).toBe(0.5)
    expect(parseNumber('12', 'epochs', true)).toBe(12)
    const notWhole = thrown(() => parseNumber('1.5', 'epochs', true))
    expect(notWhole).toBeInstanceOf(CliError)
    expect(notWhole.message).toBe("--epochs must be an integer, got '1.5'")
    expect(notWhole.exitCode).toBe(1)
    const notNumber = thrown(() => parseNumber('abc', 'held-out', false, 2))
    expect(notNumber.message).toBe("--held-out must be a number, got 'abc'")
    expect(notNumber.exitCode).toBe(2)
    expect(parseOptionalNumber(undefined, 'beam', true)).toBeUndefined()
    expect(parseOptionalNumber('5', 'beam', true)).toBe(5)
  })
})

describe('parsePositive', () => {
  it('takes numbers above zero (whole ones where asked, up to a maximum), naming the flag otherwise', () => {
    expect(parsePositive('0.5', 'fps')).toBe(0.5)
    expect(parsePositive('30', 'fps', { max: 30 })).toBe(30)
    expect(parsePositive('4', 'jobs', { int: true })).toBe(4)
    for (const [text, opts, message] of [
      ['0', {}, "--fps must be a positive number, got '0'"],
      ['-1', { int: true }, "--jobs must be a positive integer, got '-1'"],
      ['2.5', { int: true }, "--jobs must be a positive integer, got '2.5'"],
      ['31', { max: 30 }, "--fps must be a positive number no larger than 30, got '31'"],
      ['', {}, "--fps must be a positive number, got ''"],
      ['NaN', {}, "--fps must be a positive number, got 'NaN'"],
    ] as const) {
      const name = message.slice(2, message.indexOf(' '))
      const err = thrown(() => parsePositive(text, name, { ...opts, exitCode: 2 }))
      expect(err.message).toBe(message)
      expect(err.exitCode).toBe(2)
    }
  })

  it('checks --fps and --detect-every alike for fws batch and fws features', () => {
    expect(parseFrameOptions({ fps: '2', detectEvery: '3' })).toEqual({ fps: 2, detectEvery: 3 })
    expect(thrown(() => parseFrameOptions({ fps: '40', detectEvery: '3' })).message).toMatch(
      /no larger than 30/,
    )
    expect(thrown(() => parseFrameOptions({ fps: '2', detectEvery: '0' })).exitCode).toBe(2)
  })

  it('splits a comma list, dropping blanks', () => {
    expect(commaList(' text, audio ,,visual')).toEqual(['text', 'audio', 'visual'])
    expect(commaList('')).toEqual([])
  })
})

describe('a table of numeric options', () => {
  it('declares them in order with their defaults and parses what commander gives', () => {
    const cmd = addNumberOptions(new Command('t').exitOverride(), TABLE)
    expect(cmd.options.map((o) => o.flags)).toEqual(['--batch-size <n>', '--lr <x>', '--max-steps <n>'])
    cmd.parse(['--lr', '0.01'], { from: 'user' })
    expect(readNumberOptions(cmd.opts(), TABLE)).toEqual({ batchSize: 32, lr: 0.01, maxSteps: undefined })
    expect(() => readNumberOptions({ batchSize: '3.5' }, TABLE)).toThrow(
      "--batch-size must be an integer, got '3.5'",
    )
  })

  it('refuses a key that is not the name commander gives the value', () => {
    expect(() =>
      addNumberOptions(new Command('t'), { batch: { flag: '--batch-size <n>', help: 'batch size' } }),
    ).toThrow(/keyed 'batch', not 'batchSize'/)
  })
})
