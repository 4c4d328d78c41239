/**
 * The fusion benchmark's writer on fixed cell results (no training): table, CSV and SVG are well
 * formed and carry the numbers, and a rerun reuses every finished cell.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  aggregate,
  runCells,
  writeCell,
  writeOutputs,
  type CellKey,
  type CellResult,
} from '../../bench/fusion-table'

const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'fws-ftable-'))
  dirs.push(d)
  return d
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))

const methods = ['concat', 'autofusion', 'gan <nonsat>', 'text only']
const conditions = ['clean', 'missing30']
const acc: Record<string, number[]> = {
  'concat|clean': [0.9, 0.8],
  'concat|missing30': [0.6, 0.7],
  'autofusion|clean': [0.95, 0.85],
  'autofusion|missing30': [0.75, 0.65],
  'gan <nonsat>|clean': [0.5, 0.5],
  'gan <nonsat>|missing30': [0.4, 0.5],
  'text only|clean': [0.5, 0.4],
  'text only|missing30': [0.3, 0.35],
}
const FP = 'n120-e5'
function cell(k: CellKey): CellResult {
  const a = acc[`${k.method}|${k.condition}`]![k.seed - 1]!
  return {
    ...k,
    accuracy: a,
    macroF1: a - 0.1,
    params: 1000 + k.method.length,
    trainSec: 2 * k.seed,
    epochs: 5,
    bestEpoch: 3,
    options: '-',
    fingerprint: FP,
  }
}
const keys = methods.flatMap((method) =>
  conditions.flatMap((condition) => [1, 2].map((seed) => ({ method, condition, seed }))),
)

/** Minimal XML well-formedness: every tag closed in order, attributes quoted, one root. */
function checkXml(s: string): string[] {
  const stack: string[] = []
  const roots: string[] = []
  const tags = s.match(/<[^>]*>/g) ?? []
  for (const t of tags) {
    if (t.startsWith('</')) {
      expect(stack.pop()).toBe(t.slice(2, -1).trim())
      continue
    }
    const m = /^<([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>$/.exec(t)
    expect(m, `malformed tag ${t}`).not.toBeNull()
    if (!stack.length) roots.push(m![1]!)
    if (!m![3]) stack.push(m![1]!)
  }
  expect(stack).toEqual([])
  // text between tags has no raw '<' or unescaped '&'
  for (const text of s.replace(/<[^>]*>/g, '\u0000').split('\u0000'))
    expect(/&(?!(amp|lt|gt|quot);)/.test(text), text).toBe(false)
  return roots
}

describe('fusion bench writer', () => {
  it('writes a table, a CSV and an SVG from fixed cells', async () => {
    const dir = tmp()
    const cells = await runCells(dir, keys, FP, async (k) => cell(k))
    const agg = aggregate(cells, methods, conditions)
    expect(agg).toHaveLength(8)
    const a = agg.find((x) => x.method === 'autofusion' && x.condition === 'clean')!
    expect(a.accMean).toBeCloseTo(0.9, 10)
    expect(a.accStd).toBeCloseTo(Math.sqrt(0.005), 10) // sample std of 0.95, 0.85
    expect(a.seeds).toBe(2)
    const out = writeOutputs(dir, agg, methods, conditions, ['header line'], 'fusion & conditions')
    const table = readFileSync(out.table, 'utf8')
    expect(table).toContain('header line')
    expect(table).toMatch(/autofusion\s+0\.900 ± 0\.071\s+0\.800 ± 0\.071\s+0\.700 ± 0\.071/)
    const csv = readFileSync(out.csv, 'utf8').trim().split('\n')
    expect(csv).toHaveLength(9)
    const width = csv[0]!.split(',').length
    for (const line of csv) expect(line.split(',')).toHaveLength(width)
    expect(csv).toContain('concat,missing30,2,0.6500,0.0707,0.5500,0.0707,1006,3.00,5.0')
    const svg = readFileSync(out.svg, 'utf8')
    expect(checkXml(svg)).toEqual(['svg'])
    expect(svg).toContain('fusion &amp; conditions')
    expect(svg).toContain('gan &lt;nonsat&gt;')
    // one bar per (method, condition) plus background and legend squares
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(8)
  })

  it('a rerun skips finished cells and recomputes cells of another configuration', async () => {
    const dir = tmp()
    const firstHalf = keys.slice(0, 5)
    await runCells(dir, firstHalf, FP, async (k) => cell(k))
    expect(readdirSync(path.join(dir, 'cells'))).toHaveLength(5)
    const ran: CellKey[] = []
    const reused: string[] = []
    const all = await runCells(
      dir,
      keys,
      FP,
      async (k) => {
        ran.push(k)
        return cell(k)
      },
      (c, r) => r && reused.push(c.method),
    )
    expect(all).toHaveLength(keys.length)
    expect(ran).toEqual(keys.slice(5))
    expect(reused).toHaveLength(5)
    // a stored cell from another configuration (other budget) is not reused
    writeCell(dir, { ...cell(keys[0]!), fingerprint: 'n400-e30' })
    const again: CellKey[] = []
    await runCells(dir, keys, FP, async (k) => (again.push(k), cell(k)))
    expect(again).toEqual([keys[0]])
  })
})
