/**
 * Writes a translation ensemble folder: the networks of model folders over one vocabulary, decoded
 * together by the one loader (engine/models/translation/ensemble.ts). The primary's network is the
 * folder's own; each --member SUB=DIR becomes a complete model folder in subfolder SUB.
 *
 *   npx tsx scripts/ensemble-translation.ts --primary DIR --member members/r3=DIR [--member …]
 *     --out DIR --name translation-en-de --version 2.0.0
 *
 * Measure first with scripts/probe-ensemble.ts; afterwards choose the decoding for the ensemble
 * (scripts/tune-decoding.ts) and re-measure test (`npm run eval:models -- --update`).
 */
import { parseArgs } from 'node:util'
import { writeEnsembleFolder } from '../src-main/engine/models/translation/ensemble'

const { values: opt } = parseArgs({
  options: {
    primary: { type: 'string' },
    member: { type: 'string', multiple: true },
    out: { type: 'string' },
    name: { type: 'string' },
    version: { type: 'string' },
  },
})
if (!opt.primary || !opt.out || !opt.name || !opt.version || !opt.member?.length)
  throw new Error('give --primary DIR, --member SUB=DIR (one or more), --out DIR, --name and --version')
const members = Object.fromEntries(
  opt.member.map((m) => {
    const eq = m.indexOf('=')
    if (eq <= 0) throw new Error(`--member ${m}: expected SUB=DIR`)
    return [m.slice(0, eq), m.slice(eq + 1)]
  }),
)
const manifest = await writeEnsembleFolder(opt.out, opt.primary, members, {
  name: opt.name,
  version: opt.version,
})
console.log(
  `${opt.out}: ${manifest.name}@${manifest.version}, own network from ${opt.primary}; members ${manifest.ensemble!.map((m) => `${m.dir} (${m.name}@${m.version})`).join(', ')}`,
)
