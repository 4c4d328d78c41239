/**
 * `fws train emotion` and `fws eval emotion` end to end on a small MELD-format CSV: the checkpoint
 * folder is written (manifest, model.json, weights, vocab), `--resume` continues the saved state,
 * eval prints the JSON metrics, and a bad model folder gives a clear error and exit code.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runFws as fws } from '../helpers/fws-cli'

function meldCsv(file: string, n: number, seed: number): void {
  const lines = [
    'Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,Episode,StartTime,EndTime',
  ]
  const joy = ['That is wonderful!', 'I love it, thanks!', 'Yay, great news!']
  const anger = ['Get out of here!', 'I hate you, stop it!', 'This is so unfair!']
  const neutral = ['I will be at home.', 'It starts at five.', 'The keys are on the table.']
  for (let i = 0; i < n; i++) {
    const k = (i + seed) % 3
    const [emo, sent, pool] =
      k === 0
        ? ['joy', 'positive', joy]
        : k === 1
          ? ['anger', 'negative', anger]
          : ['neutral', 'neutral', neutral]
    lines.push(
      `${i + 1},"${pool[(i * 7 + seed) % 3]}",Ross,${emo},${sent},${Math.floor(i / 4)},${i % 4},1,1,"00:00:01,000","00:00:02,000"`,
    )
  }
  writeFileSync(file, lines.join('\n') + '\n')
}

describe('fws train/eval emotion', () => {
  it('trains to a checkpoint folder, resumes, and evaluates with --json', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fws-cli-emo-'))
    const train = path.join(dir, 'train.csv')
    const dev = path.join(dir, 'dev.csv')
    meldCsv(train, 60, 0)
    meldCsv(dev, 24, 1)
    const out = path.join(dir, 'model')
    const common = [
      'train',
      'emotion',
      '--data',
      train,
      '--dev',
      dev,
      '--out',
      out,
      '--no-pretrained',
      '--latent',
      '16',
      '--hidden',
      '8',
      '--batch-size',
      '16',
      '--lr',
      '0.01',
      '--labels',
      'neutral,joy,anger',
      '--aux-sentiment',
      '0.5',
    ]
    const trained = await fws([...common, '--epochs', '2', '--log', path.join(dir, 'train.log')])
    expect(trained.code, trained.stderr).toBe(0)
    for (const f of ['manifest.json', 'model.json', 'weights.bin', 'vocab.json'])
      expect(existsSync(path.join(out, f)), f).toBe(true)
    expect(existsSync(path.join(`${out}.training`, 'state', 'trainer.json'))).toBe(true)
    expect(existsSync(path.join(out, 'train-state'))).toBe(false)
    const m1 = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'))
    expect(m1.task).toBe('emotion')
    expect(m1.modalities.audio.trained).toBe(false)
    expect(m1.command).toContain('train emotion')
    expect(readFileSync(path.join(dir, 'train.log'), 'utf8')).toMatch(/epoch 2\/2/)
    const resumed = await fws([...common, '--epochs', '4', '--resume', '--patience', '9'])
    // A different --epochs changes the schedule: resume must refuse rather than silently mix runs.
    expect(resumed.code).not.toBe(0)
    expect(resumed.stderr).toMatch(/different model configuration, data or options/)
    const evaluated = await fws(['eval', 'emotion', '--model', out, '--data', dev, '--json'])
    expect(evaluated.code, evaluated.stderr).toBe(0)
    const r = JSON.parse(evaluated.stdout)
    expect(r.n).toBe(24)
    expect(r.weightedF1).toBeGreaterThan(0.5)
    expect(Object.keys(r.perClass)).toEqual(['neutral', 'joy', 'anger'])
    expect(r.confusion).toHaveLength(3)
    // --condition: the same data under a train/test shift (every transcript from another utterance)
    const swapped = await fws([
      ...['eval', 'emotion', '--model', out, '--data', dev],
      ...['--json', '--condition', 'swap-text:1'],
    ])
    expect(swapped.code, swapped.stderr).toBe(0)
    const shifted = JSON.parse(swapped.stdout)
    expect(shifted.conditions).toEqual(['swap-text:1'])
    expect(shifted.n).toBe(24)
    expect(shifted.accuracy).toBeLessThan(r.accuracy)
    const badCond = await fws(['eval', 'emotion', '--model', out, '--data', dev, '--condition', 'blur:1'])
    expect(badCond.code).toBe(2)
    expect(badCond.stderr).toMatch(/--condition: condition 'blur:1': unknown condition 'blur'/)
    const bad = await fws(['eval', 'emotion', '--model', dir, '--data', dev])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/manifest.json is missing/)
  }, 180_000)
})
