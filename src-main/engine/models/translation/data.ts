/**
 * Parallel text for translation: reading sentence-per-line files (plain or .gz), resolving the
 * short Multi30K names the CLI accepts, content hashes recorded in manifests, and the
 * length-bucketed batching the trainer uses. Owns nothing model-specific.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { BOS_ID, EOS_ID, PAD_ID } from '../../features/text/bpe'
import { DATASETS, datasetFolders, findDataFile, missingDataMessage } from '../../datasets'

/**
 * Resolves a data path: absolute or relative to the working directory if it exists there, else
 * a Multi30K file of that name from the data lookup (datasets.ts: data/multi30k, then the mirror);
 * a `.gz` suffix is tried too.
 */
export function resolveTextPath(p: string): string {
  const own = isAbsolute(p) ? [p, p + '.gz'] : [resolve(p), resolve(p) + '.gz']
  for (const c of own) if (existsSync(c)) return c
  if (!isAbsolute(p)) {
    const found = findDataFile('multi30k', p, ['', '.gz'])
    if (found) return found
    if (p in DATASETS.multi30k.files || p + '.gz' in DATASETS.multi30k.files)
      throw new Error(`text file "${p}" not found; ${missingDataMessage('multi30k')}`)
    for (const f of datasetFolders('multi30k')) own.push(resolve(f.dir, p), resolve(f.dir, p) + '.gz')
  }
  throw new Error(`text file "${p}" not found (looked in ${own.join(', ')})`)
}

/** Reads one sentence per line (gzip detected by magic bytes). A final empty line is dropped; inner empty lines are kept. */
export function readLines(path: string): string[] {
  if (!existsSync(path)) throw new Error(`no such file: ${path}`)
  let buf = readFileSync(path)
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf)
  const lines = buf.toString('utf8').split(/\r?\n/)
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  return lines
}

/** sha256 of the (decompressed) file content, hex. */
export function fileHash(path: string): string {
  let buf = readFileSync(path)
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf)
  return createHash('sha256').update(buf).digest('hex')
}

export function readParallel(srcPath: string, tgtPath: string): { src: string[]; tgt: string[] } {
  const src = readLines(srcPath)
  const tgt = readLines(tgtPath)
  if (src.length !== tgt.length)
    throw new Error(`${srcPath} has ${src.length} lines but ${tgtPath} has ${tgt.length}: not parallel`)
  return { src, tgt }
}

/** An encoded sentence pair: source ids + EOS, target ids (without BOS/EOS; added when batching). */
export interface EncodedPair {
  src: number[]
  tgt: number[]
}

export interface Batch {
  /** Row-major [rows, srcLen] int32, PAD-padded. */
  src: Int32Array
  srcLen: number
  /** [rows, tgtLen]: BOS + target. */
  tgtIn: Int32Array
  /** [rows, tgtLen]: target + EOS. */
  tgtOut: Int32Array
  tgtLen: number
  rows: number
  /** Number of real target tokens (incl. EOS). */
  tokens: number
}

export function makeBatch(pairs: EncodedPair[]): Batch {
  const rows = pairs.length
  const srcLen = Math.max(...pairs.map((p) => p.src.length))
  const tgtLen = Math.max(...pairs.map((p) => p.tgt.length)) + 1
  const src = new Int32Array(rows * srcLen).fill(PAD_ID)
  const tgtIn = new Int32Array(rows * tgtLen).fill(PAD_ID)
  const tgtOut = new Int32Array(rows * tgtLen).fill(PAD_ID)
  let tokens = 0
  pairs.forEach((p, r) => {
    src.set(p.src, r * srcLen)
    tgtIn[r * tgtLen] = BOS_ID
    tgtIn.set(p.tgt, r * tgtLen + 1)
    tgtOut.set(p.tgt, r * tgtLen)
    tgtOut[r * tgtLen + p.tgt.length] = EOS_ID
    tokens += p.tgt.length + 1
  })
  return { src, srcLen, tgtIn, tgtOut, tgtLen, rows, tokens }
}

/** Deterministic PRNG (mulberry32) so an epoch's batch order can be recomputed on resume. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function shuffle<T>(xs: T[], rnd: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[xs[i], xs[j]] = [xs[j]!, xs[i]!]
  }
  return xs
}

/**
 * The batches of one epoch as index lists: pairs shuffled (seed, epoch), stably sorted by
 * (target, source) length so batches hold similar lengths (little padding), cut so that
 * rows × padded target length ≤ maxTokens, then the batch order shuffled.
 */
export function epochBatches(
  pairs: EncodedPair[],
  maxTokens: number,
  seed: number,
  epoch: number,
): number[][] {
  const rnd = mulberry32(seed * 7919 + epoch * 104729 + 1)
  const idx = shuffle([...pairs.keys()], rnd)
  idx.sort(
    (a, b) => pairs[a]!.tgt.length - pairs[b]!.tgt.length || pairs[a]!.src.length - pairs[b]!.src.length,
  )
  const batches: number[][] = []
  let cur: number[] = []
  let curMax = 0
  for (const i of idx) {
    const len = Math.max(pairs[i]!.tgt.length + 1, pairs[i]!.src.length)
    const m = Math.max(curMax, len)
    if (cur.length > 0 && m * (cur.length + 1) > maxTokens) {
      batches.push(cur)
      cur = []
      curMax = 0
    }
    cur.push(i)
    curMax = Math.max(curMax, len)
  }
  if (cur.length) batches.push(cur)
  return shuffle(batches, rnd)
}
