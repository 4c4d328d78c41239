/**
 * `fws eval <task>`: measures a checkpoint on labelled data. This file owns the `eval` command
 * group and the `emotion` subcommand; other tasks register theirs on the group returned by
 * registerEval (e.g. `registerEvalTranslation(evalCmd)` from its own file).
 */
import { writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import { getTf } from '../../engine/backend'
import { readLabelled } from '../../engine/models/corpus'
import { corpusFeatures } from '../../engine/models/corpus-features'
import { emotionExamples, loadEmotionModel, reportSummary } from '../../engine/models/emotion'
import { addCorpusPathOptions, corpusReadOptions, type CorpusPathCliOptions } from '../corpus-options'
import { addConditionOptions, conditionsFromCli, type ConditionCliOptions } from '../condition-options'
import { applyConditions, describeCondition } from '../../engine/models/corpus-conditions'
import { CliError, printJson } from '../output'
import { addCommandGroup } from '../command-group'
import { registerEvalTranslation } from './translation'

export function registerEval(program: Command): Command {
  return addCommandGroup(program, 'eval', 'measure a model on labelled data (emotion | translation)', [
    registerEvalEmotion,
    registerEvalTranslation,
  ])
}

function registerEvalEmotion(evalCmd: Command): void {
  const cmd = evalCmd
    .command('emotion')
    .description('accuracy, macro/weighted F1, per-class F1 and confusion matrix of an emotion model')
    .requiredOption('--model <dir>', 'emotion checkpoint folder')
    .requiredOption('--data <path>', 'MELD *_sent_emo.csv or a corpus folder')
    .option('--no-features', 'ignore media: evaluate on text only')
    .option('--json', 'print JSON {accuracy, macroF1, weightedF1, perClass, confusion, ...}')
    .option(
      '--predictions <file>',
      "also write each utterance's prediction as JSON lines (text, gold, label, probabilities)",
    )
  addConditionOptions(cmd, 'the evaluation examples (a clean-trained model: a train/test shift)')
  addCorpusPathOptions(cmd).action(
    async (
      o: {
        model: string
        data: string
        features: boolean
        json?: boolean
        predictions?: string
      } & CorpusPathCliOptions &
        ConditionCliOptions,
    ) => {
      const cond = conditionsFromCli(o)
      await getTf()
      const m = loadEmotionModel(o.model)
      try {
        const corpus = readLabelled(o.data, corpusReadOptions(o))
        for (const r of corpus.refused ?? [])
          process.stderr.write(`${o.data}: line ${r.line} left out: ${r.reason}\n`)
        const feats =
          o.features && corpus.kind === 'corpus' && corpus.utterances.some((u) => u.media)
            ? await corpusFeatures(corpus)
            : undefined
        let examples = emotionExamples(corpus, {
          contextTurns: m.model.config.text?.contextTurns ?? 0,
          features: feats,
        })
        if (cond.conditions.length) {
          examples = applyConditions(examples, cond.conditions, cond.seed)
          process.stderr.write(
            `conditions (seed ${cond.seed}): ${cond.conditions.map(describeCondition).join(' ')}\n`,
          )
        }
        if (!examples.length) throw new CliError(`${o.data}: no utterance has an emotion label`)
        const unknown = [...new Set(examples.map((e) => e.label!).filter((l) => !m.model.labelIndex.has(l)))]
        if (unknown.length)
          throw new CliError(
            `${o.data} has labels the model does not know: ${unknown.join(', ')} (model labels: ${m.labels.join(', ')})`,
          )
        const t0 = Date.now()
        const r = m.evaluate(examples)
        const ms = (Date.now() - t0) / examples.length
        if (o.predictions) {
          const probs = m.predictProbs(examples)
          const K = m.labels.length
          const lines = examples.map((e, n) => {
            const row = probs.subarray(n * K, (n + 1) * K)
            const best = row.indexOf(Math.max(...row))
            return JSON.stringify({
              text: e.text,
              gold: e.label,
              label: m.labels[best],
              probabilities: Object.fromEntries(m.labels.map((l, k) => [l, row[k]])),
            })
          })
          writeFileSync(o.predictions, lines.map((l) => l + '\n').join(''))
        }
        const summary = {
          model: m.versionTag,
          data: o.data,
          ...(cond.conditions.length ? { conditions: cond.conditions.map(describeCondition) } : {}),
          ...reportSummary(r),
          msPerUtterance: ms,
        }
        if (o.json) printJson(summary)
        else {
          const lines = [
            `model ${m.versionTag} on ${o.data} (${r.n} utterances)`,
            `accuracy ${r.accuracy.toFixed(4)}  macro F1 ${r.macroF1.toFixed(4)}  weighted F1 ${r.weightedF1.toFixed(4)}`,
            'class        P      R      F1     support',
            ...r.labels.map((l) => {
              const c = r.perClass[l]!
              return `${l.padEnd(10)} ${c.precision.toFixed(3)}  ${c.recall.toFixed(3)}  ${c.f1.toFixed(3)}  ${c.support}`
            }),
            'confusion (rows gold, columns predicted): ' + r.labels.join(' '),
            ...r.confusion.map(
              (row, i) => `${r.labels[i]!.padEnd(10)} ${row.map((v) => String(v).padStart(5)).join('')}`,
            ),
          ]
          process.stdout.write(lines.join('\n') + '\n')
        }
      } finally {
        m.dispose()
      }
    },
  )
}
