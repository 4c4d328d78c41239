/**
 * `npm run eval:models`: re-measures every shipped model in resources/models with the commands a
 * user would run (`fws eval translation …`, `fws eval emotion …`) and prints the table the model
 * cards state: the figure recorded in the model's manifest beside the one measured now, and the
 * project target.
 *
 *   --update   also record the measured figures in each manifest (`metrics.<data>`) and rewrite the
 *              table between the `<!-- eval:models -->` markers of each MODEL_CARD.md
 *   --models D a models folder other than resources/models
 *
 * Data: Multi30K test_2016_flickr and MELD dev by their bare names, found the way the CLI finds
 * them (src-main/engine/datasets.ts: data/ from `npm run data`, then the mirror; the CLI says which
 * it used). Exits 1 when a model or its data is missing (the CLI's message names `npm run data`).
 */
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, '..')
const modelsDir = (() => {
  const i = process.argv.indexOf('--models')
  return i >= 0 ? path.resolve(process.argv[i + 1]!) : path.join(root, 'resources', 'models')
})()
const update = process.argv.includes('--update')

interface Measure {
  /** Key under manifest.metrics. */
  data: string
  args: (dir: string) => string[]
  /** Metric name → value from the CLI's JSON; the first is the headline. */
  read: (json: Record<string, number>) => Record<string, number>
  /** Figures of the model folder itself (e.g. its size), beside what the CLI measured. */
  folder?: (dir: string) => Record<string, number>
  /** The project's limits, by metric. */
  targets: Record<string, { atLeast?: number; below?: number; atMost?: number }>
}

/** Megabytes of float32 weights in a model folder: its own and every ensemble member's. */
function weightsMB(dir: string): number {
  const manifest = (d: string) =>
    JSON.parse(readFileSync(path.join(d, 'manifest.json'), 'utf8')) as {
      weights: { bytes: number }
      ensemble?: Array<{ dir: string }>
    }
  const top = manifest(dir)
  const bytes = [top, ...(top.ensemble ?? []).map((m) => manifest(path.join(dir, m.dir)))].reduce(
    (sum, m) => sum + m.weights.bytes,
    0,
  )
  return bytes / 1e6
}

/** "≥ 39: met", "< 200: NOT met", … for a figure and its limit ('' without one). */
function targetText(value: number, t: Measure['targets'][string] | undefined): string {
  if (!t) return ''
  const [sign, limit, ok] =
    t.atLeast !== undefined
      ? ['≥', t.atLeast, value >= t.atLeast]
      : t.below !== undefined
        ? ['<', t.below, value < t.below]
        : ['≤', t.atMost!, value <= t.atMost!]
  return `${sign} ${limit}: ${ok ? 'met' : 'NOT met'}`
}

const MEASURES: Record<string, Measure> = {
  translation: {
    data: 'test_2016_flickr',
    args: (dir) => [
      'eval',
      'translation',
      '--model',
      dir,
      '--src',
      'test_2016_flickr.en',
      '--ref',
      'test_2016_flickr.de',
      '--json',
    ],
    read: (j) => ({ bleu: j.bleu!, chrf: j.chrf!, msPerSentence: j.msPerSentence! }),
    folder: (dir) => ({ weightsMB: weightsMB(dir) }),
    // Issue 24: BLEU ≥ 39 within today's size and speed (wasm backend).
    targets: { bleu: { atLeast: 39 }, msPerSentence: { below: 200 }, weightsMB: { atMost: 40 } },
  },
  emotion: {
    data: 'dev',
    args: (dir) => ['eval', 'emotion', '--model', dir, '--data', 'dev_sent_emo.csv', '--json'],
    read: (j) => ({ weightedF1: j.weightedF1!, macroF1: j.macroF1!, accuracy: j.accuracy! }),
    targets: { weightedF1: { atLeast: 0.58 } },
  },
}

interface Row {
  model: string
  version: string
  data: string
  metric: string
  card: number | null
  measured: number
  target: string
}

function fmt(metric: string, x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '—'
  if (metric === 'msPerSentence') return x.toFixed(0)
  return Math.abs(x) < 1 ? x.toFixed(4) : x.toFixed(2)
}

/** A markdown table; `withCard` adds the figure the manifest recorded beside the measured one. */
function table(rows: Row[], withCard = true): string {
  const head = [
    'model',
    'version',
    'data',
    'metric',
    ...(withCard ? ['model card'] : []),
    'measured',
    'target',
  ]
  const body = rows.map((r) => [
    r.model,
    r.version,
    r.data,
    r.metric,
    ...(withCard ? [fmt(r.metric, r.card)] : []),
    fmt(r.metric, r.measured),
    r.target,
  ])
  return [head, head.map(() => '---'), ...body].map((c) => `| ${c.join(' | ')} |`).join('\n')
}

const MARK_START = '<!-- eval:models -->'
const MARK_END = '<!-- /eval:models -->'

/** Puts the model's rows into its card between the markers (after the title when there are none). */
function updateCard(dir: string, rows: Row[], when: string): void {
  const file = path.join(dir, 'MODEL_CARD.md')
  if (!existsSync(file)) return
  const card = readFileSync(file, 'utf8')
  const block = `${MARK_START}\nMeasured by \`npm run eval:models\` on ${when}:\n\n${table(rows, false)}\n${MARK_END}`
  const s = card.indexOf(MARK_START)
  const e = card.indexOf(MARK_END)
  let next: string
  if (s >= 0 && e > s) next = card.slice(0, s) + block + card.slice(e + MARK_END.length)
  else {
    const nl = card.indexOf('\n')
    next = nl < 0 ? `${card}\n\n${block}\n` : `${card.slice(0, nl + 1)}\n${block}\n${card.slice(nl + 1)}`
  }
  writeFileSync(file, next)
}

async function main(): Promise<number> {
  if (!existsSync(modelsDir)) {
    process.stderr.write(`eval:models: no models folder at ${modelsDir}\n`)
    return 1
  }
  const all: Row[] = []
  let failures = 0
  const when = new Date().toISOString().slice(0, 10)
  for (const name of readdirSync(modelsDir).sort()) {
    const dir = path.join(modelsDir, name)
    const manifestFile = path.join(dir, 'manifest.json')
    if (!existsSync(manifestFile)) continue
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
      task: string
      version: string
      metrics?: Record<string, Record<string, unknown>>
    }
    const m = MEASURES[manifest.task]
    if (!m) {
      process.stdout.write(`${name}: task "${manifest.task}" has no evaluation here, skipped\n`)
      continue
    }
    process.stdout.write(`${name} (${manifest.version}): fws ${m.args(dir).join(' ')}\n`)
    const t0 = performance.now()
    let measured: Record<string, number>
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        [path.join(root, 'bin', 'fws.mjs'), ...m.args(dir)],
        {
          cwd: root,
          maxBuffer: 1 << 26,
          // The CLI from source, so the figures are those of this checkout's code.
          env: { ...process.env, FWS_FROM_SOURCE: '1' },
        },
      )
      // The CLI's notes, among them which data folder it read (data/ or the mirror).
      for (const line of stderr.trim().split('\n').filter(Boolean)) process.stdout.write(`  ${line}\n`)
      measured = m.read(JSON.parse(stdout) as Record<string, number>)
    } catch (err) {
      const e = err as Error & { stderr?: string }
      process.stdout.write(`  FAILED: ${(e.stderr || e.message).trim().split('\n').slice(-3).join(' | ')}\n`)
      failures++
      continue
    }
    process.stdout.write(`  done in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`)
    const recorded = manifest.metrics?.[m.data] ?? {}
    // The folder's own figures are shown beside the measured ones, not recorded as metrics of the data.
    const rows: Row[] = Object.entries({ ...measured, ...m.folder?.(dir) }).map(([metric, value]) => ({
      model: name,
      version: manifest.version,
      data: m.data,
      metric,
      card: typeof recorded[metric] === 'number' ? recorded[metric] : null,
      measured: value,
      target: targetText(value, m.targets[metric]),
    }))
    all.push(...rows)
    if (update) {
      manifest.metrics = { ...manifest.metrics, [m.data]: { ...recorded, ...measured, measuredAt: when } }
      writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n')
      updateCard(dir, rows, when)
    }
  }
  process.stdout.write(`\n${table(all)}\n`)
  if (update) process.stdout.write('\nmanifests and model cards updated with the measured figures\n')
  return failures ? 1 : 0
}

process.exitCode = await main()
