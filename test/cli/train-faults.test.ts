// `fws train emotion` faults: a corpus whose line 3 points its media at ../../etc/passwd is refused
// with the line number before anything is trained (default --outside-media stop), or the line is
// left out while training goes on with the other lines (--outside-media skip); SIGTERM stops
// training like Ctrl-C (state kept, exit 143).
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { writeCorpus } from '../../src-main/engine/models/corpus'
import { runFws } from '../helpers/fws-cli'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-corpus-paths-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const fws = (args: string[]) => runFws(args, { env: { FWS_CACHE_DIR: path.join(tmp, 'cache') } })

it(
  'refuses a traversing media path with its line number; skip trains on the rest',
  { timeout: 300_000 },
  async () => {
    const corpus = path.join(tmp, 'corpus')
    const texts = [
      ['I am so happy to see you!', 'joy'],
      ['Get out of my room right now!', 'anger'],
      ['The meeting is at three.', 'neutral'],
      ['Oh no, I miss her so much.', 'sadness'],
    ]
    writeCorpus(corpus, {}, [])
    const lines = Array.from({ length: 24 }, (_, i) =>
      JSON.stringify({
        id: `u${i}`,
        media: i === 2 ? '../../etc/passwd' : null,
        start: 0,
        end: i === 2 ? 1 : 0,
        text: texts[i % texts.length]![0],
        labels: { emotion: texts[i % texts.length]![1] },
      }),
    )
    writeFileSync(path.join(corpus, 'utterances.jsonl'), lines.join('\n') + '\n')
    const common = [
      'train',
      'emotion',
      '--data',
      corpus,
      '--no-pretrained',
      '--no-features',
      '--modalities',
      'text',
    ]
    const small = [
      '--epochs',
      '1',
      '--hidden',
      '8',
      '--latent',
      '8',
      '--dialogue',
      '0',
      '--labels',
      'joy,anger,neutral,sadness',
    ]

    const stopped = await fws([...common, ...small, '--out', path.join(tmp, 'm-stop')])
    expect(stopped.code).toBe(1)
    expect(stopped.stderr).toMatch(
      /utterances\.jsonl:3: media path "\.\.\/\.\.\/etc\/passwd" is outside the corpus folder/,
    )
    expect(stopped.stderr).toMatch(/nothing trained/)
    expect(existsSync(path.join(tmp, 'm-stop', 'manifest.json'))).toBe(false)

    const skipped = await fws([
      ...common,
      ...small,
      '--outside-media',
      'skip',
      '--out',
      path.join(tmp, 'm-skip'),
    ])
    expect(skipped.code, skipped.stderr).toBe(0)
    expect(skipped.stderr).toMatch(/line 3 left out: media path "\.\.\/\.\.\/etc\/passwd" is outside/)
    expect(existsSync(path.join(tmp, 'm-skip', 'manifest.json'))).toBe(true)
  },
)

it(
  'SIGTERM stops fws train emotion cleanly: exit 143, training state kept for --resume',
  { timeout: 300_000 },
  async () => {
    const corpus = path.join(tmp, 'corpus-term')
    const texts = [
      ['I am so happy to see you!', 'joy'],
      ['Get out of my room right now!', 'anger'],
      ['The meeting is at three.', 'neutral'],
      ['Oh no, I miss her so much.', 'sadness'],
    ]
    writeCorpus(
      corpus,
      {},
      Array.from({ length: 200 }, (_, i) => ({
        id: `u${i}`,
        media: null,
        start: 0,
        end: 0,
        text: `${texts[i % 4]![0]} ${i}`,
        labels: { emotion: texts[i % 4]![1] },
      })),
    )
    const out = path.join(tmp, 'm-term')
    const r = await runFws(
      [
        ...['train', 'emotion', '--data', corpus, '--no-pretrained', '--no-features', '--modalities', 'text'],
        ...['--epochs', '200', '--patience', '200', '--batch-size', '8', '--hidden', '8', '--latent', '8'],
        ...['--dialogue', '0', '--labels', 'joy,anger,neutral,sadness', '--out', out],
      ],
      {
        onSpawn: (child) => {
          let stderr = ''
          let sent = false
          child.stderr!.on('data', (d: string) => {
            stderr += d
            // After the second epoch has started, the first one's state is on disk.
            if (!sent && /progress \d+% epoch 2\//.test(stderr)) {
              sent = true
              child.kill('SIGTERM')
            }
          })
        },
      },
    )
    expect(r.code, r.stderr).toBe(143)
    expect(r.stderr).toMatch(/SIGTERM: stopping after the current batch/)
    expect(r.stderr).toMatch(/training cancelled; rerun with --resume to continue/)
    expect(readdirSync(path.join(`${out}.training`, 'state')).sort()).toEqual(
      expect.arrayContaining(['best.bin', 'trainer.json', 'weights.bin']),
    )
  },
)
