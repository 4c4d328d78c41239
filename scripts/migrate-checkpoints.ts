/**
 * One-shot migration of model folders written before the one checkpoint format
 * (`fws-checkpoint` formatVersion 2, models/checkpoint.ts) into it, weights untouched:
 *   - `fws-checkpoint` v1 (emotion): data entries `{role, path, hash}` → `{role, name, sha256}`
 *     (file names only), parent `name@version` → `{name, version, weightsSha256}` (the parent folder
 *     must be given with --parent DIR then), checksums of model.json and the listed files added;
 *   - `fws-translation-1`: the manifest rewritten into the checkpoint manifest, model.json given
 *     the TranslationConfig as `modelConfig`; the recorded weights checksum must match.
 * The old readers live only here. Every migrated folder is then loaded with the checkpoint loader.
 *
 *   npx tsx scripts/migrate-checkpoints.ts resources/models/emotion-meld resources/models/translation-en-de
 */
import { createHash } from 'node:crypto'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  dataHashOf,
  fileSha256,
  manifestSchema,
  verifyCheckpoint,
  type DataFile,
} from '../src-main/engine/models/checkpoint'
import {
  translationManifestInput,
  type TranslationManifest,
} from '../src-main/engine/models/translation/checkpoint'

const readJson = (dir: string, f: string) =>
  JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Record<string, unknown>
/** Writes as saveCheckpoint does: model.json compact, manifest.json indented. */
const writeJson = (dir: string, f: string, v: unknown) => {
  const tmp = path.join(dir, `${f}.tmp-${process.pid}`)
  writeFileSync(tmp, f === 'model.json' ? JSON.stringify(v) : JSON.stringify(v, null, 2) + '\n')
  renameSync(tmp, path.join(dir, f))
}
const hexOf = (h: string) => {
  const m = /^(?:sha256:)?([0-9a-f]{64})$/.exec(h)
  if (!m) throw new Error(`"${h}" is not a sha256: the data entry cannot be migrated`)
  return m[1]!
}

function migrate(dir: string, parentDir: string | null): void {
  const old = readJson(dir, 'manifest.json')
  if (old.format === CHECKPOINT_FORMAT && old.formatVersion === CHECKPOINT_FORMAT_VERSION) {
    verifyCheckpoint(dir)
    console.log(`${dir}: already in the current format`)
    return
  }
  let next: Record<string, unknown>
  const weightsSha = fileSha256(path.join(dir, 'weights.bin'))
  if (old.format === CHECKPOINT_FORMAT && old.formatVersion === 1) {
    const w = old.weights as { sha256: string }
    if (w.sha256 !== weightsSha)
      throw new Error(`${dir}: weights.bin does not match its manifest; not migrating`)
    const data: DataFile[] = (old.data as { role: string; path: string; hash: string }[]).map((d) => ({
      role: d.role,
      name: path.basename(d.path),
      sha256: hexOf(d.hash),
    }))
    let parent = null
    if (old.parent) {
      if (!parentDir)
        throw new Error(`${dir} has parent ${String(old.parent)}: give its folder with --parent DIR`)
      const p = verifyCheckpoint(parentDir).manifest
      parent = { name: p.name, version: p.version, weightsSha256: p.weights.sha256 }
    }
    next = { ...old, formatVersion: CHECKPOINT_FORMAT_VERSION, data, parent }
  } else if (old.format === 'fws-translation-1') {
    const r = old as unknown as TranslationManifest & { weightsSha256?: string }
    if (r.weightsSha256 !== weightsSha)
      throw new Error(`${dir}: weights.bin does not match the recorded weightsSha256; not migrating`)
    if (r.parentModel) throw new Error(`${dir}: a translation model with a parent cannot be migrated here`)
    const mj = readJson(dir, 'model.json')
    writeJson(dir, 'model.json', {
      format: CHECKPOINT_FORMAT,
      modelConfig: r.config,
      weightsManifest: mj.weightsManifest,
    })
    const input = translationManifestInput({ ...r, parentModel: null })
    next = {
      ...input,
      format: CHECKPOINT_FORMAT,
      formatVersion: CHECKPOINT_FORMAT_VERSION,
      files: { vocab: r.vocab },
      weights: {
        file: 'weights.bin',
        bytes: readFileSync(path.join(dir, 'weights.bin')).length,
        sha256: weightsSha,
      },
    }
  } else throw new Error(`${dir}: unknown manifest format ${String(old.format)}`)
  const files = (next.files ?? {}) as Record<string, string>
  next.fileSha256 = Object.fromEntries(
    ['model.json', ...Object.values(files)].map((f) => [f, fileSha256(path.join(dir, f))]),
  )
  next.dataHash = dataHashOf(next.data as DataFile[])
  const checked = manifestSchema.parse(next)
  writeJson(dir, 'manifest.json', checked)
  verifyCheckpoint(dir)
  console.log(
    `${dir}: migrated (weights.bin sha256 ${createHash('sha256')
      .update(readFileSync(path.join(dir, 'weights.bin')))
      .digest('hex')
      .slice(0, 12)}…, unchanged)`,
  )
}

const args = process.argv.slice(2)
const pi = args.indexOf('--parent')
const parentDir = pi >= 0 ? args.splice(pi, 2)[1]! : null
if (!args.length) {
  console.error('usage: tsx scripts/migrate-checkpoints.ts MODEL_DIR… [--parent DIR]')
  process.exit(2)
}
for (const dir of args) migrate(dir, parentDir)
