/**
 * Checkpoint averaging for a translation run, chosen on validation data: averages the newest
 * N snapshots (`<train-dir>/snapshots`, written by training with --snapshot-every; the training
 * folder defaults to `<model>.training`) for each N given,
 * measures greedy BLEU on val for each and for the model now in the folder, and installs the best
 * average into the model folder (weights, vocabulary, manifest with `averaged` — the steps and
 * every N tried) when it beats the current model.
 *
 *   npx tsx scripts/average-translation.ts --model DIR [--train-dir DIR] [--counts 2,4,6,8,10,12] [--src val.en
 *     --ref val.de] [--limit N] [--up-to-step STEP] [--dry-run]
 *
 * Then re-tune the decoding for the new weights (scripts/tune-decoding.ts) and re-measure test
 * (`npm run eval:models -- --update`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { evaluateTranslation, loadTranslationModel } from '../src-main/engine/models/translation'
import { averageTranslationSnapshots } from '../src-main/engine/models/translation/average'
import { installModelFiles } from '../src-main/engine/models/translation/checkpoint'
import { listSnapshots } from '../src-main/engine/models/training/snapshots'
import { defaultTrainingDir } from '../src-main/engine/models/training/state'
import { readParallel, resolveTextPath } from '../src-main/engine/models/translation/data'

const { values: opt } = parseArgs({
  options: {
    model: { type: 'string' },
    'train-dir': { type: 'string' },
    counts: { type: 'string', default: '2,4,6,8,10,12' },
    src: { type: 'string', default: 'val.en' },
    ref: { type: 'string', default: 'val.de' },
    limit: { type: 'string', default: '0' },
    'up-to-step': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  },
})
const dir = opt.model
if (!dir) throw new Error('--model DIR is required')
const snapshots = path.join(opt['train-dir'] ?? defaultTrainingDir(dir), 'snapshots')
const srcName = opt.src
const upToStep = opt['up-to-step'] !== undefined ? Number(opt['up-to-step']) : undefined
const limit = Number(opt.limit)
let { src, tgt } = readParallel(resolveTextPath(srcName), resolveTextPath(opt.ref))
if (limit > 0) [src, tgt] = [src.slice(0, limit), tgt.slice(0, limit)]
const available = listSnapshots(snapshots).filter((s) => upToStep === undefined || s.step <= upToStep).length
const counts = opt.counts
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n >= 1 && n <= available)
if (counts.length === 0) throw new Error(`${snapshots} holds ${available} snapshot(s): nothing to average`)

const greedyBleu = async (modelDir: string): Promise<number> => {
  const m = await loadTranslationModel(modelDir)
  try {
    return (await evaluateTranslation(m, src, tgt, { beam: 1 })).result.bleu
  } finally {
    m.dispose()
  }
}

// Inside the model folder, so installing is a rename on the same file system.
const work = mkdtempSync(path.join(dir, '.average-'))
try {
  const current = await greedyBleu(dir)
  console.log(`current model: greedy BLEU ${current.toFixed(2)} on ${src.length} ${srcName} sentences`)
  const candidates: Array<{ last: number; bleu: number; dir: string; steps: number[] }> = []
  for (const last of counts) {
    const out = path.join(work, `last-${last}`)
    const { steps } = await averageTranslationSnapshots({ model: dir, snapshots, last, upToStep, out })
    const bleu = await greedyBleu(out)
    candidates.push({ last, bleu: Math.round(bleu * 100) / 100, dir: out, steps })
    console.log(
      `average of the last ${last} (steps ${steps[0]}–${steps[steps.length - 1]}): greedy BLEU ${bleu.toFixed(2)}`,
    )
  }
  const best = candidates.reduce((a, b) => (b.bleu > a.bleu ? b : a))
  if (best.bleu <= current) console.log(`no average beats the current model: ${dir} left as it is`)
  else if (opt['dry-run']) console.log(`best: last ${best.last} (dry run: nothing installed)`)
  else {
    const manifest = JSON.parse(readFileSync(path.join(best.dir, 'manifest.json'), 'utf8')) as Record<
      string,
      unknown
    >
    manifest.averaged = {
      steps: best.steps,
      selection: {
        data: path.basename(srcName, path.extname(srcName)),
        sentences: src.length,
        current: Math.round(current * 100) / 100,
        candidates: candidates.map(({ last, bleu }) => ({ last, bleu })),
      },
    }
    writeFileSync(path.join(best.dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
    installModelFiles(best.dir, dir)
    console.log(`installed the average of the last ${best.last} (steps ${best.steps.join(', ')}) into ${dir}`)
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
