/**
 * Writes MODEL_CARD.md of a translation model folder from what the folder records: the manifest
 * (architecture, data hashes, hyperparameters, decoding and how it was chosen, averaging and how
 * it was chosen, test metrics written by `npm run eval:models -- --update`) and the training state
 * (`<train-dir>/state/trainer.json`: steps, time, validation curve; the training folder defaults to
 * `<model>.training`). The `<!-- eval:models -->` table already in the card is kept. A training
 * folder may hold NOTES.md: what its state does not record (how the run was stopped and resumed),
 * printed under the run. Every other run of the model (`--other-run DIR`, repeatable: runs that were
 * not shipped) is listed with its command, its hyperparameters that differ and its curve. An
 * ensemble folder's members are described from their own manifests and training folders
 * (`--member-train-dir SUB=DIR` for the member in subfolder SUB).
 *
 *   npx tsx scripts/translation-model-card.ts --model resources/models/translation-en-de --train-dir training/translation-en-de \
 *     [--member-train-dir members/r3=training/translation-en-de-r3] [--other-run training/translation-en-de-r2]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { withBareDataNames } from '../src-main/engine/datasets'
import { verifyCheckpoint, type CheckpointManifest } from '../src-main/engine/models/checkpoint'
import { defaultTrainingDir } from '../src-main/engine/models/training/state'
import { translationConfig, type TranslationManifest } from '../src-main/engine/models/translation/checkpoint'

const TARGET_BLEU = 39 // issue 24
const args = parseArgs({
  options: {
    model: { type: 'string' },
    'train-dir': { type: 'string' },
    'other-run': { type: 'string', multiple: true, default: [] },
    'member-train-dir': { type: 'string', multiple: true, default: [] },
  },
}).values
const dir = args.model
if (!dir) throw new Error('--model DIR is required')
const trainDir = args['train-dir'] ?? defaultTrainingDir(dir)

interface RunState {
  step: number
  epoch: number
  seconds: number
  command?: string
  bestValBleu: number
  bestStep: number
  hyper?: { config?: { dropout?: number } }
  history: Array<{ step: number; epoch: number; bleu: number; chrf: number }>
}
/** A training folder's resumable state (`<dir>/state/trainer.json`), or null. */
function readRun(folder: string): RunState | null {
  const file = path.join(folder, 'state', 'trainer.json')
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunState) : null
}
/** A training folder's NOTES.md (what its state does not record), or ''. */
function runNotes(folder: string): string {
  const file = path.join(folder, 'NOTES.md')
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : ''
}
function curveTable(run: RunState): string {
  const rows = run.history.map(
    (r) => `| ${r.step} | ${r.epoch} | ${r.bleu.toFixed(2)} | ${r.chrf.toFixed(2)} |`,
  )
  return `| step | epoch | val BLEU | val chrF |\n|---|---|---|---|\n${rows.join('\n')}`
}

const ck = verifyCheckpoint(dir, { task: 'translation' })
/** The translation fields a training run records (translationManifestInput). */
const m = ck.manifest as CheckpointManifest &
  Pick<TranslationManifest, 'training' | 'averaged' | 'parameters'> & { normalization: string }
const state = readRun(trainDir)
const test = m.metrics.test_2016_flickr as { bleu: number; chrf: number; msPerSentence: number } | undefined
if (!test)
  throw new Error(
    `${dir}: no test_2016_flickr metrics in the manifest; run npm run eval:models -- --update first`,
  )
const cardPath = path.join(dir, 'MODEL_CARD.md')
const old = existsSync(cardPath) ? readFileSync(cardPath, 'utf8') : ''
const [a, b] = [old.indexOf('<!-- eval:models -->'), old.indexOf('<!-- /eval:models -->')]
const evalBlock = a >= 0 && b > a ? old.slice(a, b + '<!-- /eval:models -->'.length) : ''
const c = translationConfig(dir, ck.modelJson.modelConfig)
const h = m.hyperparameters as {
  peakLr: number
  warmupSteps: number
  labelSmoothing: number
  batchTokens: number
  seed: number
}
const dec = m.decoding ?? { beam: 5, lengthPenalty: 0.6 }
const avg = m.averaged
const shipped = avg
  ? `the element-wise mean of the weights at training steps ${avg.steps.join(', ')} (checkpoint averaging)`
  : `the weights at training step ${m.training.steps} (best greedy BLEU on val)`
const avgLines = avg?.selection
  ? `\nHow many snapshots to average was chosen on ${avg.selection.data} (${avg.selection.sentences} sentences, greedy BLEU; the model it replaced: ${avg.selection.current.toFixed(2)}):\n\n| snapshots averaged | val BLEU |\n|---|---|\n${avg.selection.candidates.map((x) => `| ${x.last} | ${x.bleu.toFixed(2)} |`).join('\n')}\n\nMade with \`npx tsx scripts/average-translation.ts --model ${dir} --train-dir ${trainDir}\` (snapshots every 200 steps from \`--snapshot-every 200\`).\n`
  : ''
const sel = dec.selection
const decTable = sel
  ? `\n\n| α (beam ${dec.beam}) | ${sel.data} BLEU |${sel.confirm ? ` ${sel.confirm.data} BLEU |` : ''}\n|---|---|${sel.confirm ? '---|' : ''}\n${sel.candidates
      .map((x) => {
        const t = sel.confirm?.candidates.find((y) => y.lengthPenalty === x.lengthPenalty)
        const mark = x.lengthPenalty === dec.lengthPenalty ? ' (shipped)' : ''
        return `| ${x.lengthPenalty}${mark} | ${x.bleu.toFixed(2)} |${t ? ` ${t.bleu.toFixed(2)} |` : ''}`
      })
      .join('\n')}\n`
  : ''
const decLines = sel
  ? `chosen by \`npx tsx scripts/tune-decoding.ts --model ${dir}\` on ${sel.data} (${sel.sentences} sentences)${sel.confirm ? ` and ${sel.confirm.data} (${sel.confirm.sentences} sentences), rule: ${sel.rule ?? ''}. ${sel.confirm.data} took part in this choice, so its figures above are not fully unseen for the decoding setting (the weights never saw it)` : ''}:${decTable}`
  : 'not tuned on val.'
const d = Object.fromEntries(m.data.map((e) => [e.role, e]))
const resume = withBareDataNames(state?.command ?? m.training.command)
  .replace(/^npx tsx /, 'node --import tsx ')
  .replace(/ --train-dir \S+/, '')
  .replace(/(--out \S+)/, `$1 --train-dir ${trainDir}`)
const memberTrainDirs = Object.fromEntries(
  args['member-train-dir'].map((x) => [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)]),
)
/** The same run from scratch in a work folder (the data names resolve in data/ after `npm run data`). */
const fromScratch = (command: string, out: string) =>
  command
    .replace(/ --resume\b/, '')
    .replace(/ --train-dir \S+/, '')
    .replace(/--out \S+/, `--out ${out}`)
const members = (m.ensemble ?? []).map((e) => {
  const mm = verifyCheckpoint(path.join(dir, e.dir), { task: 'translation' }).manifest as typeof m
  const runDir = memberTrainDirs[e.dir]
  if (!runDir) throw new Error(`${dir} is an ensemble: give --member-train-dir ${e.dir}=DIR`)
  const run = readRun(runDir)
  if (!run) throw new Error(`--member-train-dir ${e.dir}=${runDir}: no state/trainer.json there`)
  const command = withBareDataNames(run.command ?? mm.training.command).replace(
    /^npx tsx /,
    'node --import tsx ',
  )
  const weights = mm.averaged
    ? `the mean of its weights at steps ${mm.averaged.steps.join(', ')}`
    : `its weights at step ${mm.training.steps}`
  return { e, mm, runDir, run, command, weights }
})
const memberSections = members
  .map(
    ({ e, mm, runDir, run, command, weights }) => `### \`${e.dir}\`: ${mm.name}@${mm.version}
Trained in \`${runDir}\` (dropout ${run.hyper?.config?.dropout ?? '?'}); shipped: ${weights}. Step ${run.step}, epoch ${run.epoch},
${(run.seconds / 3600).toFixed(1)} h of training; best val BLEU ${run.bestValBleu.toFixed(2)} at step ${run.bestStep}. The latest command:
\`\`\`
${command}
\`\`\`
${runNotes(runDir) ? `${runNotes(runDir)}\n\n` : ''}${curveTable(run)}
`,
  )
  .join('\n')
const ensembleLines = members.length
  ? `\n## Ensemble\nThis folder's own network (trained as below) and ${members.length} more over the same vocabulary are decoded together: at every step the next-token distribution is the mean of theirs (src-main/engine/models/translation/ensemble.ts). Each member is a complete checkpoint in its subfolder, checked with the folder. Made with:\n\`\`\`\nnpx tsx scripts/ensemble-translation.ts --primary <this network's folder> ${members.map(({ e, runDir }) => `--member ${e.dir}=<${runDir}'s model folder>`).join(' ')} --out ${dir} --name ${m.name} --version ${m.version}\n\`\`\`\n\n${memberSections}`
  : ''
const otherRuns = args['other-run']
  .map((folder) => {
    const run = readRun(folder)
    if (!run) throw new Error(`--other-run ${folder}: no state/trainer.json there`)
    const notes = runNotes(folder)
    return `### \`${folder}\` (not shipped)
Dropout ${run.hyper?.config?.dropout ?? '?'}; step ${run.step}, epoch ${run.epoch}, ${(run.seconds / 3600).toFixed(1)} h of training; best val BLEU ${run.bestValBleu.toFixed(2)} at step ${run.bestStep}. The latest command:
\`\`\`
${withBareDataNames(run.command ?? '?').replace(/^npx tsx /, 'node --import tsx ')}
\`\`\`
${notes ? `${notes}\n\n` : ''}${curveTable(run)}
`
  })
  .join('\n')
const notes = runNotes(trainDir)
const averagedAny = !!avg || members.some(({ mm }) => mm.averaged)
const runStopSteps = [`${state?.step ?? m.training.steps} of this folder's run`]
  .concat(members.map(({ e, run }) => `${run.step} of ${e.dir}'s`))
  .join(', ')
/** The same run from scratch in a work folder (the data names resolve in data/ after `npm run data`). */
const freshOut = `/tmp/fws-train/${m.name}`
const fresh = fromScratch(resume, freshOut)
const freshMembers = members.map(({ e, command }) => ({
  e,
  out: `${freshOut}-${path.basename(e.dir)}`,
  command,
}))

const card = `# ${m.name} — English → German, Transformer + AutoFusion

${members.length ? `Shipped model (${m.version}): an ensemble of this folder's network, ${shipped}, and ${members.map(({ e, weights }) => `\`${e.dir}\` (${weights})`).join(', ')}` : `Shipped weights (${m.version}): ${shipped}`}. Measured on test_2016_flickr: **BLEU ${test.bleu.toFixed(2)}, chrF ${test.chrf.toFixed(2)}**
(beam ${dec.beam}, length penalty α ${dec.lengthPenalty}, ${test.msPerSentence.toFixed(0)} ms per sentence on the wasm backend).
Project target BLEU ≥ ${TARGET_BLEU}: **${test.bleu >= TARGET_BLEU ? 'met' : 'NOT met'}**.

${evalBlock}

## Model
- Pre-LayerNorm Transformer encoder–decoder, ${c.encLayers} + ${c.decLayers} layers, width ${c.dModel}, ${c.heads} heads, feed-forward ${c.ffDim},
  dropout ${c.dropout}, sinusoidal positions, shared source/target/output embedding (tied), ${m.parameters.toLocaleString('en')}
  parameters (${((m.parameters * 4) / 1e6).toFixed(1)} MB float32 weights).
- Fusion (DESIGN.md §3): text latent (masked mean of the encoder states → Linear → tanh, ${c.latentDim}),
  audio latent (pooled fbank+pitch [mean, std] ${c.audioDim} → Linear → tanh) and visual latent (pooled
  visual features ${c.visualDim} → Linear → tanh), each replaced by a learned "absent" vector when missing;
  **AutoFusion** (z_fuse of width ${c.fusedDim}; its reconstruction loss J_tr = MSE is added to the loss).
  The decoder is initialised from z_fuse: its projection is added to the \`<s>\` input and prepended to
  the encoder memory as an extra attention slot.
- **Audio and visual branches are untrained**: Multi30K has text only, so every training example had
  both masked as absent, and \`manifest.json\` marks them \`trained: false\`. The runtime
  (\`loadTranslationModel\`, used by the CLI, the batch pipeline and the app) therefore drops audio/visual
  features for this model: on footage it translates exactly as on text alone.
- Vocabulary: joint BPE, ${c.vocabSize.toLocaleString('en')} symbols, trained by \`trainBpe\` (src-main/engine/features/text/bpe.ts)
  on train.en + train.de; cased; SentencePiece-style "▁" word-boundary markers, so detokenisation is
  exact. Normalisation \`${m.normalization}\`.
- Decoding: beam search with an incremental key/value cache. The defaults in \`manifest.json\` →
  \`decoding\` (beam ${dec.beam}, GNMT length penalty α ${dec.lengthPenalty}) were ${decLines}
${avgLines}
## Data
Multi30K task 1 raw text (\`data/multi30k\`, put there by \`npm run data\` from github multi30k/dataset
\`data/task1/raw\`, commit a3d2e0d, every file's sha256 checked; captions from Flickr30K; the repository has no licence file — research use).
sha256 of the decompressed files (full hashes in manifest.json):
- train.en ${d.trainSrc!.sha256.slice(0, 16)}…, train.de ${d.trainTgt!.sha256.slice(0, 16)}… (${(d.trainSrc!.lines ?? 0).toLocaleString('en')} lines each)
- val.en ${d.valSrc!.sha256.slice(0, 16)}…, val.de ${d.valTgt!.sha256.slice(0, 16)}… (${(d.valSrc!.lines ?? 0).toLocaleString('en')} lines; the first 300 select the checkpoint during training)
- test: test_2016_flickr.{en,de} (1,000 lines), used only for the figures on this card.

## Training
Adam (β 0.9/0.98, ε 1e-9), peak learning rate ${h.peakLr} with ${h.warmupSteps} warmup steps then inverse square
root, global-norm clipping 1.0, label smoothing ${h.labelSmoothing}, length-bucketed batches of ≤ ${h.batchTokens.toLocaleString('en')}
rows × padded tokens (about 64 sentences), seed ${h.seed}. Model selection during training:
greedy BLEU on the first 300 val sentences every 400 steps; the best weights are written to this
folder, the full training state (weights, Adam moments, data position, history) every 50 steps to
\`${trainDir}/state/\` (not shipped with the app; the training folder given by \`--train-dir\`, which
also holds \`snapshots/\` and the \`STOP\` file).

One run, stopped and resumed several times on the same state, over several sessions on a 2-core
machine (${m.training.machine}). The latest command:
\`\`\`
${resume} \\
  >> ${trainDir}/training-log.txt 2>&1
\`\`\`
${notes ? `${notes}\n` : ''}\`${trainDir}/training-log.txt\` has every step.
${state ? `State: step ${state.step}, epoch ${state.epoch}, ${(state.seconds / 3600).toFixed(1)} h of training wall time in all.` : ''}

Validation curve (greedy decoding, val[0:300]):

${state ? curveTable(state) : ''}
${ensembleLines}${otherRuns ? `\n## Other runs\nEvery other training run of this model, with its command and curve (same data, validation and seed unless the command says otherwise).\n\n${otherRuns}` : ''}
## Metrics on test_2016_flickr
\`\`\`
fws eval translation --model ${dir} --src test_2016_flickr.en --ref test_2016_flickr.de --json
\`\`\`
| metric | value |
|---|---|
| BLEU (sacreBLEU 13a, cased, detokenised output vs raw references) | **${test.bleu.toFixed(2)}** |
| chrF2 | ${test.chrf.toFixed(2)} |
| decoding | beam ${dec.beam}, α ${dec.lengthPenalty}; ${test.msPerSentence.toFixed(0)} ms per sentence in batches of 32 |

\`npm run eval:models\` re-measures this (table at the top, written by \`npm run eval:models -- --update\`).
BLEU and chrF are the project's port of sacreBLEU 2.x, checked equal to sacreBLEU 2.6.0 on the same
hypotheses (test/engine/models/metrics).

## Reproduce from a fresh clone
\`\`\`
npm run data
mkdir -p ${path.dirname(freshOut)}
nohup ${fresh} \\
  >> ${freshOut}.log 2>&1 &
${freshMembers.map(({ out, command }) => `nohup ${fromScratch(command, out)} \\\n  >> ${out}.log 2>&1 &`).join('\n')}${freshMembers.length ? '\n# each run takes many hours: on a 2-core machine run them one after another' : ''}
\`\`\`
then ${averagedAny ? `average${freshMembers.length ? ' each' : ''}` : `take each run's best weights on val (the shipped ones are the best up to where each run was stopped: step ${runStopSteps}; touch a run's STOP file there for the same weights)`}, ${freshMembers.length ? `join them (\`npx tsx scripts/ensemble-translation.ts --primary ${freshOut} ${freshMembers.map(({ e, out }) => `--member ${e.dir}=${out}`).join(' ')} --out ${freshOut}-ensemble …\`), ` : ''}re-tune, measure and write the card as below (with \`--model ${freshOut}${freshMembers.length ? '-ensemble' : ''}\`). Add
\`--resume\` to the same command to continue after a stop.

## Continue training (resume)
\`\`\`
npm run data
nohup ${members.length ? resume.replace(/--out \S+/, `--out ${trainDir}/best`) : resume} \\
  >> ${trainDir}/training-log.txt 2>&1 &
# stop gracefully at any time (state saved, final weights validated): touch ${trainDir}/STOP
\`\`\`
${
  members.length
    ? `Training never writes into an ensemble folder (it refuses): a new best on val goes to \`${trainDir}/best\`; then average it (\`scripts/average-translation.ts\`), join it with the members again (\`scripts/ensemble-translation.ts\`, as above), re-tune`
    : `A new best on val overwrites the weights and manifest in this folder (keeping \`decoding\`); then
average (\`scripts/average-translation.ts\`), re-tune`
} (\`scripts/tune-decoding.ts\`), re-measure
(\`npm run eval:models -- --update\`) and rewrite this card (\`scripts/translation-model-card.ts\`).

## Limits
- Image-caption domain only (Multi30K): short descriptive sentences about people and scenes; spoken
  dialogue, long or technical sentences translate poorly.
- Small model trained for ${state?.epoch ?? m.training.epochs} epochs on CPU: expect wrong word choices on rarer words.
- Audio/visual branches untrained (see above).
- Input longer than ${c.maxLen - 2} subword tokens is truncated.
`
writeFileSync(cardPath, card)
console.log(
  `${cardPath} written (test BLEU ${test.bleu.toFixed(2)}: target ${test.bleu >= TARGET_BLEU ? 'met' : 'NOT met'})`,
)
