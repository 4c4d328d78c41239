/**
 * Feature cache on disk. Owns the file fingerprint, the cache key (fingerprint + utterance bounds +
 * extraction settings + EXTRACTOR_VERSION), the on-disk record format and the hit/miss counters.
 *
 * Layout: <cacheDir()>/features/<EXTRACTOR_VERSION>/<key[0..2]>/<key>.fwsf, one file per utterance,
 * so moving one boundary recomputes one utterance, and a new extractor version never reads old data.
 * Writes go to a temp file and are renamed into place: a killed run leaves no torn record.
 *
 * Fingerprint, and why it is sampled by default: a recording is often several GB, and hashing all
 * of it costs seconds per file on every run (more than extracting a short clip). The default hashes
 * the size plus the first and last 1 MiB and 32 blocks of 64 KiB spread evenly (≈ 4 MiB read):
 * any re-encode, trim, append or remux changes the container header/index or the tail and is
 * caught. What it can miss is an in-place edit of the same size confined to unsampled bytes; for
 * that, `fullHash: true` hashes every byte, and a caller that already has a full content hash
 * (the batch pipeline does) passes it in `contentHash`. Files up to 8 MiB are always hashed whole.
 */
import { createHash } from 'node:crypto'
import { mkdir, open, readFile, rename, stat, writeFile, unlink } from 'node:fs/promises'
import path from 'node:path'
import { abortError } from '../core/abort'
import { cacheDir } from '../paths'
import { AUDIO_DIM, EXTRACTOR_VERSION, VISUAL_DIM, type ModalitySequence, type VisualSequence } from './types'

const HEAD_TAIL = 1 << 20
const BLOCK = 64 << 10
const BLOCKS = 32
const SMALL_FILE = 8 << 20
const MAGIC = 'FWSF1'

/** Hit/miss/write counters of this process (tests and benchmarks read them; never time). */
export const featureCacheStats = { hits: 0, misses: 0, writes: 0 }

export function resetFeatureCacheStats(): void {
  featureCacheStats.hits = 0
  featureCacheStats.misses = 0
  featureCacheStats.writes = 0
}

/** Folder of the feature cache for the current extractor version (under cacheDir(), FWS_CACHE_DIR overrides). */
export function featureCacheDir(): string {
  return path.join(cacheDir(), 'features', EXTRACTOR_VERSION)
}

/**
 * Content fingerprint of a file: `sha256:<hex>` of all bytes (small files, or `full`), else
 * `sampled-sha256:<hex>` of size + head + tail + evenly spaced blocks (see the module comment).
 */
export async function fileFingerprint(
  file: string,
  opts: { full?: boolean; signal?: AbortSignal } = {},
): Promise<string> {
  const st = await stat(file)
  if (!st.isFile()) throw new Error(`${file} is not a regular file`)
  const size = st.size
  const h = createHash('sha256')
  const fh = await open(file, 'r')
  try {
    if (opts.full || size <= SMALL_FILE) {
      const buf = Buffer.allocUnsafe(1 << 20)
      for (let pos = 0; pos < size;) {
        if (opts.signal?.aborted) throw abortError()
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos)
        if (bytesRead === 0) break
        h.update(buf.subarray(0, bytesRead))
        pos += bytesRead
      }
      return `sha256:${h.digest('hex')}`
    }
    h.update(`size:${size};`)
    const read = async (pos: number, len: number) => {
      const buf = Buffer.alloc(len)
      const { bytesRead } = await fh.read(buf, 0, len, pos)
      h.update(buf.subarray(0, bytesRead))
    }
    await read(0, HEAD_TAIL)
    const span = size - 2 * HEAD_TAIL - BLOCK
    for (let i = 0; i < BLOCKS; i++) await read(HEAD_TAIL + Math.floor((span * i) / (BLOCKS - 1)), BLOCK)
    await read(size - HEAD_TAIL, HEAD_TAIL)
    return `sampled-sha256:${h.digest('hex')}`
  } finally {
    await fh.close()
  }
}

/** Everything that changes the numbers of one utterance's features. */
export interface FeatureKeyParts {
  fingerprint: string
  start: number
  end: number
  fps: number
  shortSide: number
  detector: string
  inputSize: number
  detectEvery: number
  faceEvery: number
}

export function featureKey(p: FeatureKeyParts): string {
  // Bounds rounded to the microsecond so float noise in a re-parsed subtitle file does not miss.
  const canon = JSON.stringify({
    v: EXTRACTOR_VERSION,
    f: p.fingerprint,
    s: Math.round(p.start * 1e6),
    e: Math.round(p.end * 1e6),
    fps: p.fps,
    ss: p.shortSide,
    d: p.detector,
    is: p.inputSize,
    de: p.detectEvery,
    fe: p.faceEvery,
  })
  return createHash('sha256').update(canon).digest('hex')
}

/** The modality data of one utterance as cached (ids and text are not: they come from the caller). */
export interface CachedFeatures {
  audio: ModalitySequence
  visual: VisualSequence
}

function entryPath(key: string): string {
  return path.join(featureCacheDir(), key.slice(0, 2), `${key}.fwsf`)
}

interface EntryHeader {
  magic: string
  version: string
  audio: { frames: number; present: boolean; pooled: number }
  visual: { frames: number; present: boolean; facePresent: boolean; pooled: number }
}

/** Serialises to: uint32 LE header length, JSON header, then float32 LE arrays (4-byte aligned). */
export function encodeEntry(f: CachedFeatures): Buffer {
  const header: EntryHeader = {
    magic: MAGIC,
    version: EXTRACTOR_VERSION,
    audio: { frames: f.audio.frames, present: f.audio.present, pooled: f.audio.pooled.length },
    visual: {
      frames: f.visual.frames,
      present: f.visual.present,
      facePresent: f.visual.facePresent,
      pooled: f.visual.pooled.length,
    },
  }
  let json = Buffer.from(JSON.stringify(header))
  const pad = (4 - ((4 + json.length) % 4)) % 4
  if (pad) json = Buffer.concat([json, Buffer.from(' '.repeat(pad))])
  const arrays = [f.audio.seq, f.audio.pooled, f.visual.seq, f.visual.pooled, f.visual.times]
  const len = Buffer.alloc(4)
  len.writeUInt32LE(json.length)
  return Buffer.concat([len, json, ...arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))])
}

/** Parses an entry; null when it is not a complete entry of this extractor version. */
export function decodeEntry(buf: Buffer): CachedFeatures | null {
  if (buf.length < 4) return null
  const hl = buf.readUInt32LE(0)
  if (4 + hl > buf.length) return null
  let h: EntryHeader
  try {
    h = JSON.parse(buf.subarray(4, 4 + hl).toString('utf8')) as EntryHeader
  } catch {
    return null
  }
  if (h.magic !== MAGIC || h.version !== EXTRACTOR_VERSION) return null
  const sizes = [
    h.audio.frames * AUDIO_DIM,
    h.audio.pooled,
    h.visual.frames * VISUAL_DIM,
    h.visual.pooled,
    h.visual.frames,
  ]
  const total = sizes.reduce((a, b) => a + b, 0)
  if (buf.length !== 4 + hl + total * 4) return null
  // Copy into a fresh aligned buffer (a Buffer from readFile may sit at any offset of a pool).
  const all = new Float32Array(total)
  new Uint8Array(all.buffer).set(buf.subarray(4 + hl))
  let o = 0
  const take = (n: number) => all.subarray(o, (o += n))
  const aSeq = take(sizes[0]!)
  const aPooled = take(sizes[1]!)
  const vSeq = take(sizes[2]!)
  const vPooled = take(sizes[3]!)
  const times = take(sizes[4]!)
  return {
    audio: { frames: h.audio.frames, dims: AUDIO_DIM, seq: aSeq, pooled: aPooled, present: h.audio.present },
    visual: {
      frames: h.visual.frames,
      dims: VISUAL_DIM,
      seq: vSeq,
      pooled: vPooled,
      present: h.visual.present,
      facePresent: h.visual.facePresent,
      times,
    },
  }
}

/** Reads a cached entry (counts a hit or a miss). A corrupt or foreign file is a miss. */
export async function readCached(key: string): Promise<CachedFeatures | null> {
  let buf: Buffer
  try {
    buf = await readFile(entryPath(key))
  } catch {
    featureCacheStats.misses++
    return null
  }
  const entry = decodeEntry(buf)
  if (entry) featureCacheStats.hits++
  else featureCacheStats.misses++
  return entry
}

/** Writes an entry atomically (temp file + rename). */
export async function writeCached(key: string, f: CachedFeatures): Promise<void> {
  const file = entryPath(key)
  await mkdir(path.dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  try {
    await writeFile(tmp, encodeEntry(f))
    await rename(tmp, file)
    featureCacheStats.writes++
  } catch (err) {
    await unlink(tmp).catch(() => {})
    throw err
  }
}
