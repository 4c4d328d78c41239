/** The data lookup: data/ first, then the mirror; FWS_DATA_MIRROR=none; what it says and what it asks for. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  DATASETS,
  dataMirror,
  findDataFile,
  missingDataMessage,
  requireDataFile,
  setDataNotice,
  sourceUrl,
  withBareDataNames,
} from '../../src-main/engine/datasets'
import { resolveLabelledPath } from '../../src-main/engine/models/corpus'
import { resolveTextPath } from '../../src-main/engine/models/translation/data'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-datasets-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function put(file: string, text = 'x'): string {
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, text)
  return file
}

describe('data lookup', () => {
  const data = path.join(tmp, 'data')
  const mirror = path.join(tmp, 'mirror')
  const env = { FWS_DATA_DIR: data, FWS_DATA_MIRROR: mirror }

  it('finds a file in data/ before the mirror, falls back to the mirror, and says once which folder it used', () => {
    const notices: string[] = []
    setDataNotice((l) => notices.push(l))
    mkdirSync(mirror, { recursive: true })
    expect(findDataFile('meld', 'dev_sent_emo.csv', [''], env)).toBeNull()
    const inMirror = put(path.join(mirror, 'meld', 'dev_sent_emo.csv'))
    expect(findDataFile('meld', 'dev_sent_emo.csv', [''], env)).toBe(inMirror)
    const inData = put(path.join(data, 'meld', 'dev_sent_emo.csv'))
    expect(findDataFile('meld', 'dev_sent_emo.csv', [''], env)).toBe(inData)
    expect(findDataFile('meld', 'dev_sent_emo.csv', [''], env)).toBe(inData)
    expect(notices).toEqual([
      `MELD (utterance text and emotion labels, CSV): using the mirror (FWS_DATA_MIRROR) ${path.join(mirror, 'meld')}`,
      `MELD (utterance text and emotion labels, CSV): using the data folder ${path.join(data, 'meld')}`,
    ])
    const gz = put(path.join(mirror, 'multi30k', 'val.en.gz'))
    expect(findDataFile('multi30k', 'val.en', ['', '.gz'], env)).toBe(gz)
    setDataNotice((l) => process.stderr.write(l + '\n'))
  })

  it('FWS_DATA_MIRROR=none turns the mirror off; a mirror that does not exist is an error naming it', () => {
    put(path.join(mirror, 'meld', 'train_sent_emo.csv'))
    const off = { FWS_DATA_DIR: path.join(tmp, 'empty'), FWS_DATA_MIRROR: 'none' }
    expect(dataMirror(off)).toBeNull()
    expect(findDataFile('meld', 'train_sent_emo.csv', [''], off)).toBeNull()
    expect(() => requireDataFile('meld', 'train_sent_emo.csv', off)).toThrow(
      /train_sent_emo\.csv: MELD .* not found \(looked in .*empty\/meld\): run `npm run data`/,
    )
    expect(missingDataMessage('multi30k', off)).toMatch(/FWS_DATA_MIRROR=DIR/)
    expect(() => dataMirror({ FWS_DATA_MIRROR: path.join(tmp, 'nowhere') })).toThrow(
      /FWS_DATA_MIRROR=.*nowhere: no such folder/,
    )
  })

  it('builds raw-file URLs from the source repository and commit', () => {
    expect(sourceUrl(DATASETS.meld, 'dev_sent_emo.csv', 'https://raw.githubusercontent.com/')).toBe(
      'https://raw.githubusercontent.com/declare-lab/MELD/2d2011b409d3ca2d7e94460cd007d434b1d0a102/data/MELD/dev_sent_emo.csv',
    )
    expect(sourceUrl(DATASETS.multi30k, 'val.de.gz', 'http://127.0.0.1:9')).toBe(
      'http://127.0.0.1:9/multi30k/dataset/a3d2e0d26b56f3846f66a952536ffed4e401d05a/data/task1/raw/val.de.gz',
    )
  })

  it('rewrites paths to data set files in a command into the bare names the lookup resolves', () => {
    expect(
      withBareDataNames(
        'fws train emotion --data /x/meld/train_sent_emo.csv --dev ../y/dev_sent_emo.csv --out /tmp/o/dev_sent_emo.csv.d --log a/b.log',
      ),
    ).toBe(
      'fws train emotion --data train_sent_emo.csv --dev dev_sent_emo.csv --out /tmp/o/dev_sent_emo.csv.d --log a/b.log',
    )
    expect(withBareDataNames('x --src /d/multi30k/val.en --ref /d/val.de.gz')).toBe(
      'x --src val.en --ref val.de.gz',
    )
  })

  it('bare names given to the corpus and parallel-text readers resolve through the lookup, or ask for npm run data', () => {
    const saved = { dir: process.env.FWS_DATA_DIR, mirror: process.env.FWS_DATA_MIRROR }
    const restore = (k: 'FWS_DATA_DIR' | 'FWS_DATA_MIRROR', v: string | undefined) =>
      v === undefined ? delete process.env[k] : (process.env[k] = v)
    try {
      process.env.FWS_DATA_DIR = path.join(tmp, 'readers')
      process.env.FWS_DATA_MIRROR = 'none'
      expect(() => resolveLabelledPath('dev_sent_emo.csv')).toThrow(
        /no such file: dev_sent_emo\.csv; MELD .*run `npm run data`/,
      )
      expect(() => resolveTextPath('val.en')).toThrow(
        /text file "val\.en" not found; Multi30K .*run `npm run data`/,
      )
      expect(() => resolveLabelledPath('mine.csv')).toThrow(
        /no such file or folder: mine\.csv \(nor .*readers\/meld\/mine\.csv\)/,
      )
      const csv = put(path.join(tmp, 'readers', 'meld', 'dev_sent_emo.csv'))
      const gz = put(path.join(tmp, 'readers', 'multi30k', 'val.en.gz'))
      expect(resolveLabelledPath('dev_sent_emo.csv')).toBe(csv)
      expect(resolveTextPath('val.en')).toBe(gz)
    } finally {
      restore('FWS_DATA_DIR', saved.dir)
      restore('FWS_DATA_MIRROR', saved.mirror)
    }
  })
})
