/**
 * The one file format for bare float32 tensors (training state, snapshots): `<base>.json` (a tfjs
 * weights manifest: names, shapes, the data file) + the raw little-endian float32 data
 * (`weights.bin` for base 'model', else `<base>.bin`). Model folders add a manifest, checksums and
 * the model configuration on top (../checkpoint.ts) but store their weights the same way.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/** A named float32 tensor as stored: logical name, shape, values. */
export interface NamedTensor {
  name: string
  shape: number[]
  data: Float32Array
}

interface WeightsManifestJson {
  format: 'fws-weights-1'
  weightsManifest: Array<{
    paths: string[]
    weights: Array<{ name: string; shape: number[]; dtype: 'float32' }>
  }>
}

/** Name of the data file of tensor file `base`. */
export function tensorDataFile(base: string): string {
  return base === 'model' ? 'weights.bin' : `${base}.bin`
}

/** The raw bytes of tensors, one after the other (as weights.bin files hold them). */
export function packFloat32(tensors: NamedTensor[]): Buffer {
  return Buffer.concat(tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)))
}

/** Splits raw float32 data (as packFloat32 writes it) into the tensors `specs` declare, in order. */
export function unpackFloat32(buf: Buffer, specs: Array<{ name: string; shape: number[] }>): NamedTensor[] {
  let off = 0
  return specs.map((w) => {
    const n = w.shape.reduce((x, y) => x * y, 1)
    const data = new Float32Array(n)
    Buffer.from(data.buffer).set(buf.subarray(off, off + 4 * n))
    off += 4 * n
    return { name: w.name, shape: w.shape, data }
  })
}

/** Writes named float32 tensors as `<base>.json` + its data file into `dir` (which must exist). */
export function writeTensorFile(dir: string, tensors: NamedTensor[], base = 'model'): void {
  const bin = tensorDataFile(base)
  const json: WeightsManifestJson = {
    format: 'fws-weights-1',
    weightsManifest: [
      { paths: [bin], weights: tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: 'float32' })) },
    ],
  }
  writeFileSync(join(dir, bin), packFloat32(tensors))
  writeFileSync(join(dir, `${base}.json`), JSON.stringify(json))
}

/** Reads tensors written by writeTensorFile; checks the byte length against the declared shapes. */
export function readTensorFile(dir: string, base = 'model'): NamedTensor[] {
  const jsonPath = join(dir, `${base}.json`)
  if (!existsSync(jsonPath)) throw new Error(`${jsonPath} is missing`)
  let json: WeightsManifestJson
  try {
    json = JSON.parse(readFileSync(jsonPath, 'utf8')) as WeightsManifestJson
  } catch (err) {
    throw new Error(`${jsonPath} is not valid JSON: ${(err as Error).message}`, { cause: err })
  }
  const group = json.weightsManifest?.[0]
  if (!group?.paths?.[0] || !Array.isArray(group.weights))
    throw new Error(`${jsonPath} has no weights manifest`)
  const binPath = join(dir, group.paths[0])
  if (!existsSync(binPath)) throw new Error(`${binPath} is missing`)
  const buf = readFileSync(binPath)
  const expected = group.weights.reduce((a, w) => a + 4 * w.shape.reduce((x, y) => x * y, 1), 0)
  if (buf.length !== expected)
    throw new Error(
      `${binPath} holds ${buf.length} bytes but ${jsonPath} declares ${expected}: the checkpoint is corrupt`,
    )
  return unpackFloat32(buf, group.weights)
}

/** Replaces `dir` atomically with the folder `fill` writes: temp sibling, then rename. */
export function writeDirAtomic(dir: string, fill: (tmp: string) => void): void {
  mkdirSync(dirname(dir), { recursive: true })
  const tmp = `${dir}.tmp-${process.pid}`
  const old = `${dir}.old-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  fill(tmp)
  if (existsSync(dir)) renameSync(dir, old)
  renameSync(tmp, dir)
  rmSync(old, { recursive: true, force: true })
}
