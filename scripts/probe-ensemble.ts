/**
 * Measures what an ensemble of translation models (one vocabulary) would score against each
 * member alone: every folder, and the ensemble folder scripts/ensemble-translation.ts would write
 * of them (into a temporary folder, the first model as the primary), each loaded by the one
 * loader every entry point uses. BLEU/chrF on one data set at one decoding setting. A probe for
 * choosing what to ship; it leaves nothing behind.
 *
 *   npx tsx scripts/probe-ensemble.ts --model A --model B [--src test_2016_flickr.en
 *     --ref test_2016_flickr.de] [--beam 5] [--length-penalty 1.5] [--limit N]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { evaluateTranslation, loadTranslationModel } from '../src-main/engine/models/translation'
import { readParallel, resolveTextPath } from '../src-main/engine/models/translation/data'
import { writeEnsembleFolder } from '../src-main/engine/models/translation/ensemble'

const { values: opt } = parseArgs({
  options: {
    model: { type: 'string', multiple: true },
    src: { type: 'string', default: 'test_2016_flickr.en' },
    ref: { type: 'string', default: 'test_2016_flickr.de' },
    beam: { type: 'string', default: '5' },
    'length-penalty': { type: 'string', default: '1.5' },
    limit: { type: 'string' },
  },
})
const dirs = opt.model ?? []
if (dirs.length < 2) throw new Error('give two or more --model DIR')
const decoding = { beam: Number(opt.beam), lengthPenalty: Number(opt['length-penalty']) }
let { src, tgt } = readParallel(resolveTextPath(opt.src), resolveTextPath(opt.ref))
if (opt.limit) [src, tgt] = [src.slice(0, Number(opt.limit)), tgt.slice(0, Number(opt.limit))]
console.log(
  `load average ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; ${src.length} sentences of ${opt.src}; beam ${decoding.beam} α ${decoding.lengthPenalty}`,
)

async function measure(label: string, dir: string): Promise<void> {
  const model = await loadTranslationModel(dir)
  try {
    const { result } = await evaluateTranslation(model, src, tgt, decoding)
    console.log(
      `${`${label} (${model.manifest.version})`.padEnd(48)} BLEU ${result.bleu.toFixed(2)}  chrF ${result.chrf.toFixed(2)}  ${result.msPerSentence.toFixed(0)} ms/sentence`,
    )
  } finally {
    model.dispose()
  }
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-probe-ensemble-'))
try {
  for (const dir of dirs) await measure(dir, dir)
  const ensemble = path.join(tmp, 'ensemble')
  const members = Object.fromEntries(dirs.slice(1).map((d, i) => [`members/m${i + 1}`, d]))
  await writeEnsembleFolder(ensemble, dirs[0]!, members, { name: 'probe-ensemble', version: '0.0.0' })
  await measure(`ensemble of ${dirs.length}`, ensemble)
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
