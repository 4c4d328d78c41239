/**
 * `fws train translation --fusion X` for every fusion method on a tiny parallel corpus: a few
 * dozen steps each, the training loss falls, the model folder is written with the method and its
 * options recorded, and it loads and translates. Also: --gan-* flags are refused for other methods.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FUSION_METHODS } from '../../src-main/engine/fusion'
import { loadTranslationModel } from '../../src-main/engine/models/translation'
import { runFws as fws } from '../helpers/fws-cli'

const WORDS: Array<[string, string]> = [
  ['red', 'rote'],
  ['blue', 'blaue'],
  ['big', 'große'],
  ['small', 'kleine'],
]
const NOUNS: Array<[string, string]> = [
  ['dog', 'Hund'],
  ['cat', 'Katze'],
  ['man', 'Mann'],
]
const VERBS: Array<[string, string]> = [
  ['runs', 'läuft'],
  ['sleeps', 'schläft'],
]

let dir: string
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fws-cli-trfusion-'))
  const src: string[] = []
  const tgt: string[] = []
  for (const [a, da] of WORDS)
    for (const [n, dn] of NOUNS)
      for (const [v, dv] of VERBS) {
        src.push(`the ${a} ${n} ${v}.`)
        tgt.push(`der ${da} ${dn} ${dv}.`)
      }
  writeFileSync(path.join(dir, 'train.en'), src.join('\n') + '\n')
  writeFileSync(path.join(dir, 'train.de'), tgt.join('\n') + '\n')
  writeFileSync(path.join(dir, 'val.en'), src.slice(0, 4).join('\n') + '\n')
  writeFileSync(path.join(dir, 'val.de'), tgt.slice(0, 4).join('\n') + '\n')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const common = (out: string) => [
  'train',
  'translation',
  '--train-src',
  path.join(dir, 'train.en'),
  '--train-tgt',
  path.join(dir, 'train.de'),
  '--val-src',
  path.join(dir, 'val.en'),
  '--val-tgt',
  path.join(dir, 'val.de'),
  '--out',
  out,
  '--vocab-size',
  '50',
  '--d-model',
  '16',
  '--layers',
  '1',
  '--ff',
  '32',
  '--latent',
  '8',
  '--dropout',
  '0',
  '--batch-tokens',
  '120',
  '--lr',
  '0.01',
  '--warmup',
  '5',
  '--max-steps',
  '50',
  '--validate-every',
  '0',
  '--checkpoint-every',
  '1000',
]

describe('fws train translation --fusion', () => {
  for (const method of FUSION_METHODS)
    it(`${method}: trains (loss falls), writes a loadable model recording the method`, async () => {
      const out = path.join(dir, `model-${method}`)
      const extra = method === 'ganfusion' ? ['--gan-lambda', '0.2', '--gan-d-steps', '2'] : []
      const { code, stderr, stdout } = await fws([...common(out), '--fusion', method, ...extra])
      expect(code, stderr).toBe(0)
      // Progress is logged every 25 steps: the mean loss of steps 26–50 is below that of 1–25.
      const losses = [...stderr.matchAll(/\[train\] .* step (\d+) loss ([\d.]+)/g)].map((m) => Number(m[2]))
      expect(losses.length, stderr).toBe(2)
      expect(losses[1]!).toBeLessThan(losses[0]!)
      expect(JSON.parse(stdout).steps).toBe(50)
      const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'))
      const config = JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8')).modelConfig
      expect(manifest.fusion).toBe(method)
      expect(config.fusion).toBe(method)
      expect(manifest.hyperparameters.fusionOptions).toEqual(config.fusionOptions)
      if (method === 'autofusion') expect(config.fusionOptions).toEqual({ autoFusionHidden: 12 })
      if (method === 'ganfusion')
        expect(config.fusionOptions).toEqual({
          ganLambda: 0.2,
          ganNoise: 0.01,
          ganHidden: 8,
          ganGeneratorLoss: 'saturating',
          ganRealGrad: 'fixed',
          ganDSteps: 2,
        })
      const m = await loadTranslationModel(out)
      try {
        const [hyp] = await m.translate(['the red dog runs.'], { beam: 1 })
        expect(typeof hyp).toBe('string')
      } finally {
        m.dispose()
      }
    })

  it('refuses --gan-* flags for another method and an unknown method', async () => {
    const out = path.join(dir, 'model-bad')
    const refused: Array<[string[], RegExp]> = [
      [['--fusion', 'concat', '--gan-lambda', '0.3'], /--gan-lambda applies to --fusion ganfusion only/],
      [['--fusion', 'mlp'], /unknown fusion method 'mlp'/],
      [['--fusion', 'ganfusion', '--gan-generator-loss', 'minimax'], /saturating or non-saturating/],
    ]
    for (const [args, message] of refused) {
      const r = await fws([...common(out), ...args])
      expect(r.code, r.stderr).not.toBe(0)
      expect(r.stderr).toMatch(message)
    }
  })
})
