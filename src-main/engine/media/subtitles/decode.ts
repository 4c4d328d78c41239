/**
 * Bytes of a subtitle/transcript file → text. Owns encoding detection: BOMs (UTF-8, UTF-16 LE/BE),
 * strict UTF-8, then chardet's guess converted with iconv-lite (Latin-1 is read as its superset
 * windows-1252). Binary data or an encoding nothing can name is a BAD_ENCODING error.
 */
import chardet from 'chardet'
import iconv from 'iconv-lite'
import { MediaError } from '../errors'

export interface DecodedText {
  text: string
  /** The encoding the bytes were read as, e.g. "UTF-8", "UTF-16LE", "windows-1252". */
  encoding: string
}

function badEncoding(file: string, why: string): MediaError {
  return new MediaError(
    'BAD_ENCODING',
    file,
    `${file}: ${why}. Save it as UTF-8 text (or name the encoding explicitly).`,
  )
}

/** Decode `buf` (the whole file) to a string, detecting the encoding unless one is given. */
export function decodeText(buf: Uint8Array, file = 'subtitle file', encoding?: string): DecodedText {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  if (encoding) {
    if (!iconv.encodingExists(encoding)) throw badEncoding(file, `the encoding "${encoding}" is not known`)
    return { text: iconv.decode(b, encoding).replace(/^\uFEFF/, ''), encoding }
  }
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf)
    return { text: b.subarray(3).toString('utf8'), encoding: 'UTF-8' }
  if (b[0] === 0xff && b[1] === 0xfe)
    return { text: iconv.decode(b.subarray(2), 'utf16le'), encoding: 'UTF-16LE' }
  if (b[0] === 0xfe && b[1] === 0xff)
    return { text: iconv.decode(b.subarray(2), 'utf16be'), encoding: 'UTF-16BE' }
  // UTF-16 without a BOM: every other byte of ASCII-range text is zero.
  const probeLen = Math.min(b.length, 4096)
  let zeroEven = 0
  let zeroOdd = 0
  for (let i = 0; i < probeLen; i++) {
    if (b[i] !== 0) continue
    if (i % 2) zeroOdd++
    else zeroEven++
  }
  if (probeLen >= 4 && zeroOdd > probeLen * 0.3 && zeroEven < probeLen * 0.05)
    return { text: iconv.decode(b, 'utf16le'), encoding: 'UTF-16LE' }
  if (probeLen >= 4 && zeroEven > probeLen * 0.3 && zeroOdd < probeLen * 0.05)
    return { text: iconv.decode(b, 'utf16be'), encoding: 'UTF-16BE' }
  if (zeroEven + zeroOdd > 0) throw badEncoding(file, 'it contains binary data (NUL bytes), not text')
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(b), encoding: 'UTF-8' }
  } catch {
    /* not UTF-8: guess below */
  }
  const guess = chardet.detect(b)
  if (!guess) throw badEncoding(file, 'its text encoding cannot be recognised')
  let name = guess
  if (/^ISO-8859-1$/i.test(name)) name = 'windows-1252'
  if (/^UTF-8$/i.test(name) || !iconv.encodingExists(name))
    throw badEncoding(
      file,
      `its text encoding cannot be recognised (it is not valid UTF-8; best guess "${guess}")`,
    )
  const text = iconv.decode(b, name)
  // Control characters other than tab/newline mean the guess produced garbage.
  let controls = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 9 || (c > 13 && c < 32) || c === 127) controls++
  }
  if (controls > Math.max(2, text.length * 0.01))
    throw badEncoding(file, `it does not decode to readable text (tried ${name})`)
  return { text, encoding: name }
}
