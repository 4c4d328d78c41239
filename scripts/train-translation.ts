/**
 * Background entry for translation training (the same engine function as `fws train translation`):
 *   nohup npx tsx scripts/train-translation.ts --out DIR [--train-dir DIR] [--resume] [--max-minutes N] >> DIR.log 2>&1 &
 * (the resumable state is in `<train-dir>/state`, default `<out>.training/state`)
 * Options mirror TranslationTrainOptions; progress lines go to stdout with a UTC timestamp.
 */
import { startGradientWorkers } from '../src-main/engine/jobs/gradient-workers'
import { trainTranslation } from '../src-main/engine/models/translation/train'

const args = process.argv.slice(2)
const get = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const num = (name: string): number | undefined => (get(name) !== undefined ? Number(get(name)) : undefined)
const out = get('out')
if (!out) throw new Error('--out DIR is required')
const ac = new AbortController()
process.on('SIGTERM', () => ac.abort())
process.on('SIGINT', () => ac.abort())
const r = await trainTranslation({
  trainSrc: get('train-src') ?? 'train.en',
  trainTgt: get('train-tgt') ?? 'train.de',
  valSrc: get('val-src') ?? 'val.en',
  valTgt: get('val-tgt') ?? 'val.de',
  out,
  trainDir: get('train-dir'),
  gradientWorkers: startGradientWorkers,
  resume: args.includes('--resume'),
  vocabSize: num('vocab-size'),
  batchTokens: num('batch-tokens'),
  peakLr: num('lr'),
  warmupSteps: num('warmup'),
  maxEpochs: num('epochs'),
  maxSteps: num('max-steps'),
  maxMinutes: num('max-minutes'),
  checkpointEvery: num('checkpoint-every'),
  validateEvery: num('validate-every'),
  workers: num('workers'),
  validateOnStop: !args.includes('--no-validate-on-stop'),
  valLimit: num('val-limit'),
  patience: num('patience'),
  snapshotEvery: num('snapshot-every'),
  keepSnapshots: num('keep-snapshots'),
  model: {
    ...(num('d-model') ? { dModel: num('d-model') } : {}),
    ...(num('layers') ? { encLayers: num('layers'), decLayers: num('layers') } : {}),
    ...(num('ff') ? { ffDim: num('ff') } : {}),
    ...(num('dropout') !== undefined ? { dropout: num('dropout') } : {}),
  },
  seed: num('seed'),
  command: 'npx tsx scripts/train-translation.ts ' + args.join(' '),
  signal: ac.signal,
  onProgress: (p) => console.log(`${new Date().toISOString()} [${p.stage}] ${p.message}`),
})
console.log(JSON.stringify({ bestValBleu: r.bestValBleu, steps: r.steps }))
