/**
 * The fusion benchmark's results: one JSON file per finished (method, condition, seed) cell in the
 * output folder (a rerun skips them, so a long run can be continued), their aggregation into
 * mean ± std per method × condition, and the paper outputs: a text table, a CSV and an SVG chart
 * (grouped bars per condition, one bar per method, error bars = std over seeds). No training here.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export interface CellKey {
  method: string
  condition: string
  seed: number
}

export interface CellResult extends CellKey {
  accuracy: number
  macroF1: number
  params: number
  trainSec: number
  epochs: number
  bestEpoch: number
  options: string
  /** Identifies the configuration (corpus, budget); a cell from another configuration is not reused. */
  fingerprint: string
}

export function cellFile(dir: string, k: CellKey): string {
  const slug = (s: string) => s.replace(/[^A-Za-z0-9.-]+/g, '_')
  return path.join(dir, 'cells', `${slug(k.method)}__${slug(k.condition)}__seed${k.seed}.json`)
}

/** The stored cell, or null when there is none for this configuration. */
export function readCell(dir: string, k: CellKey, fingerprint: string): CellResult | null {
  const f = cellFile(dir, k)
  if (!existsSync(f)) return null
  let c: CellResult
  try {
    c = JSON.parse(readFileSync(f, 'utf8')) as CellResult
  } catch {
    return null
  }
  const ok =
    c.fingerprint === fingerprint &&
    c.method === k.method &&
    c.condition === k.condition &&
    c.seed === k.seed &&
    Number.isFinite(c.accuracy) &&
    Number.isFinite(c.macroF1)
  return ok ? c : null
}

export function writeCell(dir: string, c: CellResult): void {
  const f = cellFile(dir, c)
  mkdirSync(path.dirname(f), { recursive: true })
  writeFileSync(f + '.tmp', JSON.stringify(c, null, 2) + '\n')
  renameSync(f + '.tmp', f)
}

/**
 * Every cell, in order: stored ones read back, the others computed by `run` and stored as soon as
 * each finishes. `onCell` says which were reused.
 */
export async function runCells(
  dir: string,
  keys: CellKey[],
  fingerprint: string,
  run: (k: CellKey) => Promise<Omit<CellResult, keyof CellKey | 'fingerprint'>>,
  onCell: (c: CellResult, reused: boolean) => void = () => {},
): Promise<CellResult[]> {
  const out: CellResult[] = []
  for (const k of keys) {
    const stored = readCell(dir, k, fingerprint)
    if (stored) {
      out.push(stored)
      onCell(stored, true)
      continue
    }
    const c: CellResult = { ...k, ...(await run(k)), fingerprint }
    writeCell(dir, c)
    out.push(c)
    onCell(c, false)
  }
  return out
}

export interface Aggregate {
  method: string
  condition: string
  seeds: number
  accMean: number
  accStd: number
  f1Mean: number
  f1Std: number
  params: number
  trainSec: number
  epochs: number
}

function meanStd(xs: number[]): [number, number] {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length
  // sample standard deviation (n − 1); 0 for a single seed
  const v = xs.length > 1 ? xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1) : 0
  return [m, Math.sqrt(v)]
}

/** Mean ± std over seeds per (method, condition), in the order methods × conditions are given. */
export function aggregate(cells: CellResult[], methods: string[], conditions: string[]): Aggregate[] {
  const out: Aggregate[] = []
  for (const method of methods)
    for (const condition of conditions) {
      const cs = cells.filter((c) => c.method === method && c.condition === condition)
      if (!cs.length) continue
      const [accMean, accStd] = meanStd(cs.map((c) => c.accuracy))
      const [f1Mean, f1Std] = meanStd(cs.map((c) => c.macroF1))
      out.push({
        method,
        condition,
        seeds: cs.length,
        accMean,
        accStd,
        f1Mean,
        f1Std,
        params: cs[0]!.params,
        trainSec: meanStd(cs.map((c) => c.trainSec))[0],
        epochs: meanStd(cs.map((c) => c.epochs))[0],
      })
    }
  return out
}

const pm = (m: number, s: number) => `${m.toFixed(3)} ± ${s.toFixed(3)}`

/** The paper-style text table: one row per method, accuracy and macro F1 per condition. */
export function formatTable(agg: Aggregate[], methods: string[], conditions: string[]): string {
  const w = 15
  const head1 = ['method'.padEnd(12), ...conditions.map((c) => c.padEnd(2 * w + 1))].join(' ')
  const head2 = [
    ''.padEnd(12),
    ...conditions.map(() => 'accuracy'.padEnd(w) + ' ' + 'macro F1'.padEnd(w)),
  ].join(' ')
  const lines = [head1 + '   params  train s', head2]
  for (const m of methods) {
    const rows = agg.filter((a) => a.method === m)
    if (!rows.length) continue
    const cells = conditions.map((c) => {
      const a = rows.find((r) => r.condition === c)
      return a
        ? pm(a.accMean, a.accStd).padEnd(w) + ' ' + pm(a.f1Mean, a.f1Std).padEnd(w)
        : '-'.padEnd(2 * w + 1)
    })
    const sec = rows.reduce((s, r) => s + r.trainSec, 0) / rows.length
    lines.push(
      [m.padEnd(12), ...cells].join(' ') +
        ` ${String(rows[0]!.params).padStart(8)}  ${sec.toFixed(1).padStart(7)}`,
    )
  }
  return lines.join('\n')
}

export function toCsv(agg: Aggregate[]): string {
  const head =
    'method,condition,seeds,accuracy_mean,accuracy_std,macro_f1_mean,macro_f1_std,params,train_sec_mean,epochs_mean'
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
  return (
    [
      head,
      ...agg.map((a) =>
        [
          q(a.method),
          q(a.condition),
          a.seeds,
          a.accMean.toFixed(4),
          a.accStd.toFixed(4),
          a.f1Mean.toFixed(4),
          a.f1Std.toFixed(4),
          a.params,
          a.trainSec.toFixed(2),
          a.epochs.toFixed(1),
        ].join(','),
      ),
    ].join('\n') + '\n'
  )
}

const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
  '#1f77b4',
  '#8c564b',
  '#17becf',
  '#7f7f7f',
]

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** Grouped bar chart of test accuracy (mean, error bar ± std) per condition and method. */
export function toSvg(agg: Aggregate[], methods: string[], conditions: string[], title: string): string {
  const ms = methods.filter((m) => agg.some((a) => a.method === m))
  const bar = 12
  const groupW = ms.length * bar + 24
  const left = 50
  const top = 40
  const plotH = 240
  const legendW = 130
  const width = left + conditions.length * groupW + 20 + legendW
  const height = top + plotH + 50
  const y = (v: number) => Number((top + plotH * (1 - Math.min(1, Math.max(0, v)))).toFixed(1))
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="20" font-size="13">${esc(title)}</text>`,
  ]
  for (let t = 0; t <= 10; t += 2) {
    const v = t / 10
    parts.push(
      `<line x1="${left}" y1="${y(v)}" x2="${left + conditions.length * groupW}" y2="${y(v)}" stroke="#dddddd"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`,
    )
  }
  parts.push(
    `<text x="14" y="${top + plotH / 2}" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle">test accuracy</text>`,
  )
  conditions.forEach((c, gi) => {
    const gx = left + gi * groupW + 12
    ms.forEach((m, mi) => {
      const a = agg.find((r) => r.method === m && r.condition === c)
      if (!a) return
      const x = gx + mi * bar
      const color = PALETTE[mi % PALETTE.length]!
      parts.push(
        `<rect x="${x}" y="${y(a.accMean).toFixed(1)}" width="${bar - 2}" height="${(y(0) - y(a.accMean)).toFixed(1)}" fill="${color}"><title>${esc(`${m} · ${c}: ${pm(a.accMean, a.accStd)} (${a.seeds} seeds)`)}</title></rect>`,
      )
      if (a.accStd > 0) {
        const cx = x + (bar - 2) / 2
        const y1 = y(a.accMean - a.accStd).toFixed(1)
        const y2 = y(a.accMean + a.accStd).toFixed(1)
        parts.push(
          `<line x1="${cx}" y1="${y1}" x2="${cx}" y2="${y2}" stroke="#000000"/>`,
          `<line x1="${cx - 3}" y1="${y1}" x2="${cx + 3}" y2="${y1}" stroke="#000000"/>`,
          `<line x1="${cx - 3}" y1="${y2}" x2="${cx + 3}" y2="${y2}" stroke="#000000"/>`,
        )
      }
    })
    parts.push(
      `<text x="${gx + (ms.length * bar) / 2}" y="${y(0) + 16}" text-anchor="middle">${esc(c)}</text>`,
    )
  })
  parts.push(
    `<line x1="${left}" y1="${y(0)}" x2="${left + conditions.length * groupW}" y2="${y(0)}" stroke="#000000"/>`,
  )
  const lx = left + conditions.length * groupW + 20
  ms.forEach((m, mi) => {
    const ly = top + mi * 16
    parts.push(
      `<rect x="${lx}" y="${ly}" width="10" height="10" fill="${PALETTE[mi % PALETTE.length]}"/>`,
      `<text x="${lx + 14}" y="${ly + 9}">${esc(m)}</text>`,
    )
  })
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}

/** Writes table.txt, results.csv and accuracy.svg into `dir`; returns their paths. */
export function writeOutputs(
  dir: string,
  agg: Aggregate[],
  methods: string[],
  conditions: string[],
  header: string[],
  title: string,
): { table: string; csv: string; svg: string } {
  mkdirSync(dir, { recursive: true })
  const table = path.join(dir, 'table.txt')
  const csv = path.join(dir, 'results.csv')
  const svg = path.join(dir, 'accuracy.svg')
  writeFileSync(table, [...header, '', formatTable(agg, methods, conditions)].join('\n') + '\n')
  writeFileSync(csv, toCsv(agg))
  writeFileSync(svg, toSvg(agg, methods, conditions, title))
  return { table, csv, svg }
}
