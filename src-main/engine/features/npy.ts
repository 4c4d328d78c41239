/**
 * NumPy .npy (format 1.0) for float32 matrices. Owns writing the features in a form a Python user
 * reads with `numpy.load(path)`, and reading them back (tests, re-import). Only what the exports use:
 * little-endian float32, C order, 1-D or 2-D.
 */

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]) // \x93NUMPY

/** Encodes a row-major float32 array of the given shape as .npy bytes. */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Buffer {
  const count = shape.reduce((a, b) => a * b, 1)
  if (count !== data.length)
    throw new Error(`npy: shape [${shape.join(', ')}] needs ${count} values, got ${data.length}`)
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${dims}, }`
  // Magic(6) + version(2) + header length(2) + header, padded with spaces and ending in \n to a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64
  header = header + ' '.repeat(total - 10 - header.length - 1) + '\n'
  const pre = Buffer.alloc(10)
  MAGIC.copy(pre, 0)
  pre[6] = 1
  pre[7] = 0
  pre.writeUInt16LE(header.length, 8)
  return Buffer.concat([
    pre,
    Buffer.from(header, 'latin1'),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  ])
}

/** Decodes .npy bytes written by encodeNpy (little-endian float32, C order). */
export function decodeNpy(buf: Buffer): { shape: number[]; data: Float32Array } {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw new Error('not a .npy file')
  const major = buf[6]!
  const hl = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8)
  const start = major === 1 ? 10 : 12
  const header = buf.subarray(start, start + hl).toString('latin1')
  if (!/'descr':\s*'<f4'/.test(header))
    throw new Error(`npy: only little-endian float32 is supported, header ${header.trim()}`)
  if (/'fortran_order':\s*True/.test(header)) throw new Error('npy: Fortran order is not supported')
  const m = /'shape':\s*\(([^)]*)\)/.exec(header)
  if (!m) throw new Error(`npy: no shape in header ${header.trim()}`)
  const shape = m[1]!
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number)
  const bytes = buf.subarray(start + hl)
  const data = new Float32Array(bytes.length / 4)
  new Uint8Array(data.buffer).set(bytes.subarray(0, data.length * 4))
  return { shape, data }
}
