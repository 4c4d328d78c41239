/**
 * Measures what an ensemble of translation models (one vocabulary) would score against each
 * member alone, through the runtime every entry point uses: BLEU/chrF on one data set at one
 * decoding setting. A probe for choosing what to ship; it writes nothing.
 *
 *   npx tsx scripts/probe-ensemble.ts --model A --model B [--src test_2016_flickr.en
 *     --ref test_2016_flickr.de] [--beam 5] [--length-penalty 1.5] [--limit N]
 */
import os from 'node:os'
import { parseArgs } from 'node:util'
import { getTf } from '../src-main/engine/backend'
import {
  evaluateTranslation,
  readTranslationNetwork,
  translationRuntime,
} from '../src-main/engine/models/translation'
import { readParallel, resolveTextPath } from '../src-main/engine/models/translation/data'
import { TranslationEnsemble } from '../src-main/engine/models/translation/ensemble'

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
const { tf } = await getTf()
let { src, tgt } = readParallel(resolveTextPath(opt.src), resolveTextPath(opt.ref))
if (opt.limit) [src, tgt] = [src.slice(0, Number(opt.limit)), tgt.slice(0, Number(opt.limit))]
const nets = await Promise.all(dirs.map((d) => readTranslationNetwork(d)))
console.log(
  `load average ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; ${src.length} sentences of ${opt.src}; beam ${decoding.beam} α ${decoding.lengthPenalty}`,
)
const rows: Array<[string, number, number, number]> = []
const measure = async (label: string, search: ConstructorParameters<typeof TranslationEnsemble>[1]) => {
  const runtime = translationRuntime(tf, nets[0]!, new TranslationEnsemble(tf, search), () => {})
  const { result } = await evaluateTranslation(runtime, src, tgt, decoding)
  rows.push([label, result.bleu, result.chrf, result.msPerSentence])
  console.log(
    `${label.padEnd(40)} BLEU ${result.bleu.toFixed(2)}  chrF ${result.chrf.toFixed(2)}  ${result.msPerSentence.toFixed(0)} ms/sentence`,
  )
}
for (const [i, n] of nets.entries()) await measure(`${dirs[i]} (${n.manifest.version})`, [n.model])
await measure(
  `ensemble of ${nets.length}`,
  nets.map((n) => n.model),
)
for (const n of nets) n.model.dispose()
