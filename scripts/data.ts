/**
 * `npm run data`: puts the data sets the training and evaluation commands read (Multi30K task 1
 * raw text, MELD text; the list with sources and sha256 is src-main/engine/datasets.ts) into
 * `data/` (FWS_DATA_DIR overrides), each file checked against its sha256. Files already there and
 * intact are kept. The rest are copied from a local mirror when there is one (FWS_DATA_MIRROR=DIR,
 * or the default mirror location; docs/DATA.md), else downloaded from the public source (raw files
 * on GitHub at the recorded commit; FWS_DATA_BASE_URL replaces https://raw.githubusercontent.com).
 * A mirror file or download whose checksum differs is refused by name. Without a mirror and with
 * the source unreachable it stops within seconds, listing the files it needs and their URLs.
 * Exit code 0 when every file is in place and verified, 1 otherwise.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  DATASETS,
  dataDir,
  dataMirror,
  defaultBaseUrl,
  sourceUrl,
  type Dataset,
  type DatasetName,
  type Mirror,
} from '../src-main/engine/datasets'

export interface GetDataOptions {
  /** The data sets to get (default: all of DATASETS). */
  datasets?: Partial<Record<DatasetName, Dataset>>
  /** Target folder (one sub-folder per data set). */
  target: string
  mirror: Mirror | null
  baseUrl: string
  /** Time allowed for the reachability check of the source, ms. */
  probeTimeoutMs?: number
  /** Time allowed per download, ms. */
  downloadTimeoutMs?: number
  log?: (line: string) => void
}

export interface GetDataResult {
  ok: boolean
  /** `<set>/<file>` → what happened. */
  files: Record<string, 'present' | 'mirror' | 'download' | 'refused' | 'missing'>
  errors: string[]
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex')
}

/** Writes `bytes` (or copies `from`) next to `dest` and renames it into place, so a cut run leaves no half file. */
async function place(dest: string, what: { bytes: Buffer } | { from: string }): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true })
  const tmp = `${dest}.part-${process.pid}`
  if ('bytes' in what) await writeFile(tmp, what.bytes)
  else await copyFile(what.from, tmp)
  await rename(tmp, dest)
}

export async function getData(o: GetDataOptions): Promise<GetDataResult> {
  const log = o.log ?? ((l: string) => console.log(l))
  const sets = Object.entries(o.datasets ?? DATASETS) as [DatasetName, Dataset][]
  const res: GetDataResult = { ok: false, files: {}, errors: [] }
  const need: { set: DatasetName; ds: Dataset; file: string; want: string; dest: string; key: string }[] = []
  for (const [set, ds] of sets) {
    for (const [file, want] of Object.entries(ds.files)) {
      const dest = path.join(o.target, set, file)
      const key = `${set}/${file}`
      if (existsSync(dest)) {
        if ((await sha256(dest)) === want) {
          res.files[key] = 'present'
          continue
        }
        log(`${key}: the copy in ${dest} does not match its sha256; replacing it`)
      }
      need.push({ set, ds, file, want, dest, key })
    }
  }

  let left = need
  if (o.mirror && left.length) {
    log(`copying from the mirror ${o.mirror.dir} (${o.mirror.via})`)
    const notInMirror: typeof need = []
    for (const n of left) {
      const src = path.join(o.mirror.dir, n.set, n.file)
      if (!existsSync(src)) {
        notInMirror.push(n)
        continue
      }
      const got = await sha256(src)
      if (got !== n.want) {
        res.files[n.key] = 'refused'
        res.errors.push(
          `${src}: sha256 ${got}, expected ${n.want}: refused (the mirror's copy is damaged or another version)`,
        )
        continue
      }
      await place(n.dest, { from: src })
      res.files[n.key] = 'mirror'
      log(`${n.key}: copied, sha256 verified`)
    }
    if (notInMirror.length) log(`not in the mirror: ${notInMirror.map((n) => n.key).join(', ')}`)
    left = notInMirror
  }

  if (left.length) {
    const probe = sourceUrl(left[0]!.ds, left[0]!.file, o.baseUrl)
    let reachable: string | null = null
    try {
      await fetch(probe, { method: 'HEAD', signal: AbortSignal.timeout(o.probeTimeoutMs ?? 5000) })
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } }
      reachable = e.cause?.code ?? e.cause?.message ?? e.message
    }
    if (reachable !== null) {
      for (const n of left) res.files[n.key] = 'missing'
      res.errors.push(
        [
          `cannot reach ${o.baseUrl} (${reachable}) and no mirror has these files; needed:`,
          ...left.map((n) => `  ${n.key}  from ${sourceUrl(n.ds, n.file, o.baseUrl)}  sha256 ${n.want}`),
          `Run again with network access, or with FWS_DATA_MIRROR=DIR naming a folder that holds ` +
            `${[...new Set(left.map((n) => n.set + '/'))].join(' and ')} with these files.`,
        ].join('\n'),
      )
    } else {
      log(`downloading ${left.length} file(s) from ${o.baseUrl}`)
      for (const n of left) {
        const url = sourceUrl(n.ds, n.file, o.baseUrl)
        try {
          const r = await fetch(url, { signal: AbortSignal.timeout(o.downloadTimeoutMs ?? 120_000) })
          if (!r.ok) throw new Error(`HTTP ${r.status}`)
          const bytes = Buffer.from(await r.arrayBuffer())
          const got = createHash('sha256').update(bytes).digest('hex')
          if (got !== n.want) {
            res.files[n.key] = 'refused'
            res.errors.push(`${url}: sha256 ${got}, expected ${n.want}: refused`)
            continue
          }
          await place(n.dest, { bytes })
          res.files[n.key] = 'download'
          log(`${n.key}: downloaded, sha256 verified`)
        } catch (err) {
          res.files[n.key] = 'missing'
          res.errors.push(`${url}: ${(err as Error).message}`)
        }
      }
    }
  }
  res.ok = res.errors.length === 0
  return res
}

async function main(): Promise<number> {
  if (process.argv.length > 2) {
    console.error(
      'npm run data takes no arguments; settings: FWS_DATA_DIR, FWS_DATA_MIRROR (DIR or none), FWS_DATA_BASE_URL',
    )
    return 2
  }
  let mirror: Mirror | null
  try {
    mirror = dataMirror()
  } catch (err) {
    console.error((err as Error).message)
    return 1
  }
  const target = dataDir()
  const r = await getData({ target, mirror, baseUrl: defaultBaseUrl() })
  const counts = Object.values(r.files).reduce<Record<string, number>>(
    (a, s) => ({ ...a, [s]: (a[s] ?? 0) + 1 }),
    {},
  )
  const summary = Object.entries(counts)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ')
  if (r.ok) {
    console.log(`data ready in ${target} (${summary}; every file's sha256 verified)`)
    return 0
  }
  for (const e of r.errors) console.error(e)
  console.error(`data NOT complete in ${target} (${summary})`)
  return 1
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.exitCode = await main()
