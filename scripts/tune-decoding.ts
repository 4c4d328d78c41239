/**
 * Chooses a translation model's default decoding (GNMT length penalty α at a fixed beam) on
 * validation data and records it in the model's manifest (`decoding`, with every α tried and its
 * BLEU), which the engine and CLI then use whenever a caller gives no --beam / --length-penalty.
 *
 *   npx tsx scripts/tune-decoding.ts --model DIR [--src val.en --ref val.de] [--beam 5]
 *                                    [--alphas 0.6,1.2,2.0] [--dry-run]
 *
 * Data names resolve like `fws eval translation` (Multi30K folder, or paths). Never tune on test.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { evaluateTranslation, loadTranslationModel } from '../src-main/engine/models/translation'
import { readParallel, resolveTextPath } from '../src-main/engine/models/translation/data'

const { values: opt } = parseArgs({
  options: {
    model: { type: 'string' },
    src: { type: 'string', default: 'val.en' },
    ref: { type: 'string', default: 'val.de' },
    beam: { type: 'string', default: '5' },
    alphas: { type: 'string', default: '0.6,1.2,2.0' },
    'dry-run': { type: 'boolean', default: false },
  },
})
const dir = opt.model
if (!dir) throw new Error('--model DIR is required')
const srcName = opt.src
const refName = opt.ref
const beam = Number(opt.beam)
const alphas = opt.alphas.split(',').map(Number)
if (!Number.isInteger(beam) || beam < 1 || alphas.some((a) => !Number.isFinite(a)))
  throw new Error('--beam must be a positive integer and --alphas numbers')

const { src, tgt } = readParallel(resolveTextPath(srcName), resolveTextPath(refName))
const model = await loadTranslationModel(dir)
const candidates: Array<{ lengthPenalty: number; bleu: number }> = []
try {
  for (const lengthPenalty of alphas) {
    const t0 = performance.now()
    const { result } = await evaluateTranslation(model, src, tgt, { beam, lengthPenalty })
    candidates.push({ lengthPenalty, bleu: Math.round(result.bleu * 100) / 100 })
    console.log(
      `α ${lengthPenalty}: BLEU ${result.bleu.toFixed(2)} chrF ${result.chrf.toFixed(2)} on ${src.length} sentences (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    )
  }
} finally {
  model.dispose()
}
const best = candidates.reduce((a, b) => (b.bleu > a.bleu ? b : a))
console.log(`chosen: beam ${beam}, α ${best.lengthPenalty} (BLEU ${best.bleu} on ${path.basename(srcName)})`)
if (!opt['dry-run']) {
  const file = path.join(dir, 'manifest.json')
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  manifest.decoding = {
    beam,
    lengthPenalty: best.lengthPenalty,
    selection: { data: path.basename(srcName, path.extname(srcName)), sentences: src.length, candidates },
  }
  writeFileSync(`${file}.tmp`, JSON.stringify(manifest, null, 2) + '\n')
  renameSync(`${file}.tmp`, file)
  console.log(`recorded in ${file}`)
}
