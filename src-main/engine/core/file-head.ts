/** The first bytes of a file, read asynchronously (a format signature, a header). */
import { open } from 'node:fs/promises'

/** Up to `bytes` bytes from the start of `file` (fewer when the file is shorter). */
export async function readFileHead(file: string, bytes: number): Promise<Buffer> {
  const fh = await open(file, 'r')
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(bytes), 0, bytes, 0)
    return buffer.subarray(0, bytesRead)
  } finally {
    await fh.close()
  }
}
