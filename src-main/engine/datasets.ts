/**
 * The public data sets that training, evaluation, benchmarks and tests read (Multi30K task 1 raw
 * text, MELD text): which files they are, their sha256, where they are published, and where they
 * are found on this machine. Owns the one lookup every reader uses: the repository's `data/` folder
 * (filled by `npm run data`; FWS_DATA_DIR overrides) first, then a local mirror: FWS_DATA_MIRROR,
 * or else the default mirror location, a `shared/data` folder beside the repository's folder
 * (docs/DATA.md). FWS_DATA_MIRROR=none turns the mirror off. Each lookup says once per process
 * which folder it used.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { packageRoot } from './paths'

export type DatasetName = 'multi30k' | 'meld'

export interface Dataset {
  /** What the data set is, for messages. */
  title: string
  /** Where it is published: a GitHub repository, the commit the checksums belong to, the folder. */
  source: { repo: string; commit: string; dir: string; licence: string }
  /** File name → sha256 (hex) of the file's bytes as published. */
  files: Record<string, string>
}

export const DATASETS: Record<DatasetName, Dataset> = {
  multi30k: {
    title: 'Multi30K task 1 (raw text, gzip)',
    source: {
      repo: 'multi30k/dataset',
      commit: 'a3d2e0d26b56f3846f66a952536ffed4e401d05a',
      dir: 'data/task1/raw',
      licence: 'no licence file; captions from Flickr30K, research use',
    },
    files: {
      'train.en.gz': 'd79cfa999dd4c51d2cb42499b6796d5a882c3a8a961923c25a898c90f8bbd56f',
      'train.de.gz': '726e39b2fa9eb9ffb6dc763fb35a179f80fae06ffc5d28b6ace5faa883de28a6',
      'train.fr.gz': '622e75069e9f4c577425c4f277116ce66e63a2401c0a2312d90073cb12379a3c',
      'train.cs.gz': 'a65adb8b32e3bc664f21ecba7a6e7f6950fd1f405e135f7c312faabdb6255077',
      'val.en.gz': '14f7d25ddd868909a9213e361768460edcacdd6ab9d1e77b92560dc10c10dc28',
      'val.de.gz': 'f0cba2f995189cf5770f29a8a9a537a3ad3f51657ad873405082ff6863a5e75a',
      'val.fr.gz': 'ca3106f1a72390591d25f6c45cb4cd39dec4cd3f123e099748a3ce5256c160e9',
      'val.cs.gz': 'b63226e05c4bd5dd6a42897d74b86a1b9d2c31498252c572b1ea7f7996927fcc',
      'test_2016_flickr.en.gz': '611d361c6334bc7246101d48097c13cf5c4413c5befc793cc629934359d532d9',
      'test_2016_flickr.de.gz': '9204244e408ccb38d2a55cfcd344df15005fc42a07a6e55ca6c52b6ababb8cc8',
      'test_2016_flickr.fr.gz': '6d326e188d259fb1d04ac19eae3af956559b3a0b93d7635e56c90987c40c8b90',
      'test_2016_flickr.cs.gz': '200a4a74cc9560f051924abb9803be008d1908d77f747e9141aeb86dfd2797f1',
    },
  },
  meld: {
    title: 'MELD (utterance text and emotion labels, CSV)',
    source: {
      repo: 'declare-lab/MELD',
      commit: '2d2011b409d3ca2d7e94460cd007d434b1d0a102',
      dir: 'data/MELD',
      licence: 'GPL-3.0',
    },
    files: {
      'train_sent_emo.csv': 'd2fa2d6529cf03cac2989efec05c9b27d8fd2f4c8fc5974c7ae88aa537fa02db',
      'dev_sent_emo.csv': '2e89c6f8aa182d6f62f8c6331aece905ac7273ca4999660bfb5213e1d0370c1c',
    },
  },
}

export const DATASET_NAMES = Object.keys(DATASETS) as DatasetName[]

/** The command that fills `data/`. */
export const DATA_COMMAND = 'npm run data'

/** Where a file is published (raw file on GitHub, or the same layout under FWS_DATA_BASE_URL). */
export function sourceUrl(dataset: Dataset, file: string, baseUrl = defaultBaseUrl()): string {
  const s = dataset.source
  return `${baseUrl.replace(/\/+$/, '')}/${s.repo}/${s.commit}/${s.dir}/${file}`
}

export function defaultBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.FWS_DATA_BASE_URL || 'https://raw.githubusercontent.com'
}

/** The repository's data folder (FWS_DATA_DIR overrides). */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FWS_DATA_DIR ? path.resolve(env.FWS_DATA_DIR) : path.join(packageRoot(), 'data')
}

export interface Mirror {
  dir: string
  /** How it was chosen. */
  via: 'FWS_DATA_MIRROR' | 'default location'
}

/**
 * The local mirror: FWS_DATA_MIRROR when set (an error when it does not exist, `none` for no
 * mirror), else the default location (`shared/data` beside the repository folder) when it exists.
 */
export function dataMirror(env: NodeJS.ProcessEnv = process.env): Mirror | null {
  const given = env.FWS_DATA_MIRROR
  if (given === 'none') return null
  if (given) {
    const dir = path.resolve(given)
    if (!existsSync(dir)) throw new Error(`FWS_DATA_MIRROR=${given}: no such folder (${dir})`)
    return { dir, via: 'FWS_DATA_MIRROR' }
  }
  const dir = path.join(path.dirname(packageRoot()), 'shared', 'data')
  return existsSync(dir) ? { dir, via: 'default location' } : null
}

export interface DataFolder {
  dir: string
  /** For messages: "data folder" or "mirror (FWS_DATA_MIRROR)" / "mirror (default location)". */
  label: string
}

/** The folders a data set's files are looked up in, in order: data/<name>, then <mirror>/<name>. */
export function datasetFolders(name: DatasetName, env: NodeJS.ProcessEnv = process.env): DataFolder[] {
  const out: DataFolder[] = [{ dir: path.join(dataDir(env), name), label: 'data folder' }]
  const m = dataMirror(env)
  if (m) out.push({ dir: path.join(m.dir, name), label: `mirror (${m.via})` })
  return out
}

const told = new Set<string>()
let tell = (line: string): void => void process.stderr.write(line + '\n')

/** Where the "which folder was used" lines go (stderr by default). */
export function setDataNotice(fn: (line: string) => void): void {
  tell = fn
  told.clear()
}

/**
 * A data set file by name (`dev_sent_emo.csv`, `test_2016_flickr.en`; `suffixes` lists endings to
 * try too, such as `.gz`): the first that exists in the data set's folders, or null. Says once per
 * folder which one it used.
 */
export function findDataFile(
  name: DatasetName,
  file: string,
  suffixes: string[] = [''],
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  for (const f of datasetFolders(name, env)) {
    for (const s of suffixes) {
      const p = path.join(f.dir, file + s)
      if (!existsSync(p)) continue
      if (!told.has(f.dir)) {
        told.add(f.dir)
        tell(`${DATASETS[name].title}: using the ${f.label} ${f.dir}`)
      }
      return p
    }
  }
  return null
}

/** Says where a data set was looked for and how to get it. */
export function missingDataMessage(name: DatasetName, env: NodeJS.ProcessEnv = process.env): string {
  let where: string
  try {
    where = datasetFolders(name, env)
      .map((f) => f.dir)
      .join(' or ')
  } catch (err) {
    where = (err as Error).message
  }
  return `${DATASETS[name].title} not found (looked in ${where}): run \`${DATA_COMMAND}\` (FWS_DATA_MIRROR=DIR to copy it from a local mirror)`
}

/** A data set file's path, or an error saying where it was looked for and the command that gets it. */
export function requireDataFile(
  name: DatasetName,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const p = findDataFile(name, file, [''], env)
  if (!p) throw new Error(`${file}: ${missingDataMessage(name, env)}`)
  return p
}

/**
 * A command line with every path to a data set file replaced by the file's bare name, which the
 * lookup resolves: the form that runs from a fresh clone after `npm run data`.
 */
export function withBareDataNames(command: string): string {
  const known = new Set(
    DATASET_NAMES.flatMap((n) => Object.keys(DATASETS[n].files).flatMap((f) => [f, f.replace(/\.gz$/, '')])),
  )
  return command
    .split(' ')
    .map((t) => (t.includes('/') && known.has(path.basename(t)) ? path.basename(t) : t))
    .join(' ')
}
