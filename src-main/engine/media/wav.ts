/**
 * 16-bit PCM mono WAV files: the format espeak-ng writes and the test fixtures, benchmarks and
 * synthetic corpora build their speech tracks from. Owns parsing (fmt + data chunks, including
 * espeak-ng's streaming headers whose data size is 0 or past the end) and writing.
 */

export interface Wav16 {
  rate: number
  pcm: Int16Array
}

/** Samples and rate of a 16-bit mono WAV file's bytes. */
export function parseWav16(buf: Buffer): Wav16 {
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error('not a WAV file (no RIFF/WAVE header)')
  let off = 12
  let rate = 0
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4)
    let size = buf.readUInt32LE(off + 4)
    const body = off + 8
    if (id === 'fmt ') {
      const format = buf.readUInt16LE(body)
      const channels = buf.readUInt16LE(body + 2)
      const bits = buf.readUInt16LE(body + 14)
      if (format !== 1 || channels !== 1 || bits !== 16)
        throw new Error(
          `expected 16-bit PCM mono WAV, got format ${format}, ${channels} channels, ${bits} bits`,
        )
      rate = buf.readUInt32LE(body + 4)
    } else if (id === 'data') {
      if (!rate) throw new Error('WAV data chunk before its fmt chunk')
      // A header written while streaming leaves the size 0 or too large: take the rest of the file.
      if (size === 0 || body + size > buf.length) size = buf.length - body
      const pcm = new Int16Array(size >> 1)
      for (let i = 0; i < pcm.length; i++) pcm[i] = buf.readInt16LE(body + 2 * i)
      return { rate, pcm }
    }
    off = body + size + (size & 1)
  }
  throw new Error('WAV file without a data chunk')
}

/** The bytes of a 16-bit mono WAV file. */
export function wav16Bytes(rate: number, pcm: Int16Array): Buffer {
  const h = Buffer.alloc(44)
  h.write('RIFF', 0, 'ascii')
  h.writeUInt32LE(36 + pcm.length * 2, 4)
  h.write('WAVEfmt ', 8, 'ascii')
  h.writeUInt32LE(16, 16)
  h.writeUInt16LE(1, 20)
  h.writeUInt16LE(1, 22)
  h.writeUInt32LE(rate, 24)
  h.writeUInt32LE(rate * 2, 28)
  h.writeUInt16LE(2, 32)
  h.writeUInt16LE(16, 34)
  h.write('data', 36, 'ascii')
  h.writeUInt32LE(pcm.length * 2, 40)
  const data = Buffer.alloc(pcm.length * 2)
  for (let i = 0; i < pcm.length; i++) data.writeInt16LE(pcm[i]!, 2 * i)
  return Buffer.concat([h, data])
}

/** Float samples (−1..1, clipped) → 16-bit PCM. */
export function floatToPcm16(samples: Float32Array): Int16Array {
  const pcm = new Int16Array(samples.length)
  for (let i = 0; i < samples.length; i++) pcm[i] = Math.round(Math.max(-1, Math.min(1, samples[i]!)) * 32767)
  return pcm
}

/** 16-bit PCM → float samples in −1..1. */
export function pcm16ToFloat(pcm: Int16Array): Float32Array {
  const out = new Float32Array(pcm.length)
  for (let i = 0; i < pcm.length; i++) out[i] = pcm[i]! / 32768
  return out
}
