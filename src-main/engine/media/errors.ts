/**
 * The one error type of the media layer. Owns the error codes and their human messages, and the
 * mapping from a failed ffmpeg/ffprobe run (exit code + stderr) to the specific cause, so that every
 * front end (CLI, app, batch jobs) can say exactly which file is wrong and how.
 */
import { open, stat } from 'node:fs/promises'
import { readFileHead } from '../core/file-head'

export type MediaErrorCode =
  | 'NOT_FOUND'
  | 'IS_DIRECTORY'
  | 'UNREADABLE'
  | 'EMPTY_FILE'
  | 'NOT_MEDIA'
  | 'TRUNCATED'
  | 'NO_AUDIO'
  | 'NO_VIDEO'
  | 'NO_UTTERANCES_SOURCE'
  | 'FFMPEG_FAILED'
  | 'CANCELLED'
  | 'BAD_SUBTITLE'
  | 'SUBTITLE_TOO_LARGE'
  | 'BAD_ENCODING'
  | 'BAD_OPTIONS'

/** A media problem tied to one file. `message` is meant to be shown to the user as is. */
export class MediaError extends Error {
  override name = 'MediaError'
  constructor(
    readonly code: MediaErrorCode,
    readonly file: string,
    message: string,
    options?: { cause?: unknown; detail?: string; line?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.detail = options?.detail
    this.line = options?.line
  }
  /** For BAD_SUBTITLE: the 1-based line of the file where the problem is. */
  readonly line: number | undefined
  /** Extra diagnostic text (e.g. the tail of ffmpeg's stderr and the command line), not for the headline. */
  readonly detail: string | undefined
}

export function isMediaError(err: unknown, code?: MediaErrorCode): err is MediaError {
  return err instanceof MediaError && (code === undefined || err.code === code)
}

/** The error an aborted operation ends with. */
export function cancelledError(file: string, what = 'media operation'): MediaError {
  return new MediaError('CANCELLED', file, `The ${what} on ${file} was cancelled.`)
}

/**
 * Check that `file` is a readable, non-empty regular file before handing it to ffmpeg, whose own
 * messages for these cases are cryptic. Returns its size in bytes.
 */
export async function checkInputFile(file: string): Promise<number> {
  let st
  try {
    st = await stat(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new MediaError('NOT_FOUND', file, `File not found: ${file}`, { cause: err })
    throw new MediaError('UNREADABLE', file, `Cannot read ${file}: ${(err as Error).message}`, {
      cause: err,
    })
  }
  if (st.isDirectory())
    throw new MediaError(
      'IS_DIRECTORY',
      file,
      `${file} is a directory, not a media file. Give the path of a video or audio file inside it.`,
    )
  if (!st.isFile())
    throw new MediaError('UNREADABLE', file, `${file} is not a regular file (device, socket or pipe).`)
  if (st.size === 0) throw new MediaError('EMPTY_FILE', file, `${file} is empty (0 bytes).`)
  try {
    const fh = await open(file, 'r')
    await fh.close()
  } catch (err) {
    throw new MediaError('UNREADABLE', file, `Cannot open ${file} for reading: ${(err as Error).message}`, {
      cause: err,
    })
  }
  return st.size
}

/** Lines of ffmpeg/ffprobe stderr that say what went wrong (not the banner or progress lines). */
function errorLines(stderr: string): string[] {
  return stderr
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter(
      (l) =>
        l &&
        !/^(ffmpeg|ffprobe) version|^built with|^configuration:|^lib(av|sw|post)\w*\s+\d|^Input #|^Output #|^Stream mapping|^Press \[q\]|^(frame|size)=/.test(
          l,
        ),
    )
}

/**
 * Turn a failed ffmpeg/ffprobe run into the specific MediaError. `stderr` is the process's error
 * output, `command` the rerunnable command line (kept in `detail`).
 */
export async function ffmpegFailure(
  file: string,
  stderr: string,
  opts: { exitCode?: number | null; signal?: string | null; command?: string; what?: string } = {},
): Promise<MediaError> {
  const lines = errorLines(stderr)
  const tail = lines.slice(-8).join('\n')
  const detail = [opts.command ? `command: ${opts.command}` : '', tail].filter(Boolean).join('\n')
  const text = lines.join('\n')
  // Killed from outside (shutdown, killAllMediaProcesses): say so, whatever it printed before.
  if (opts.signal)
    return new MediaError(
      'FFMPEG_FAILED',
      file,
      `${opts.what ?? 'ffmpeg'} on ${file} was stopped: the process was killed by ${opts.signal}.`,
      { detail },
    )
  if (
    /moov atom not found|partial file|Invalid data found|could not find codec parameters|EBML header parsing failed|Unknown format|misdetection possible/i.test(
      text,
    )
  ) {
    // ffmpeg says the same "Invalid data" for a text file named .mp4 and for an interrupted
    // recording; the file's own signature tells them apart.
    const container = await sniffContainer(file)
    if (container && !/misdetection possible/i.test(text))
      return new MediaError(
        'TRUNCATED',
        file,
        `${file} looks like a ${container} file that is truncated or was not finished writing (${/moov atom not found/i.test(text) ? 'its index (moov atom) is missing' : 'its data ends early'}); it cannot be decoded.`,
        { detail },
      )
    return new MediaError(
      'NOT_MEDIA',
      file,
      `${file} is not a media file: ffmpeg finds no audio/video container in it${container ? '' : ' (its first bytes match no known media format)'}.`,
      { detail },
    )
  }
  if (/No such file or directory/i.test(text))
    return new MediaError('NOT_FOUND', file, `File not found: ${file}`, { detail })
  if (/Permission denied/i.test(text))
    return new MediaError('UNREADABLE', file, `Cannot read ${file}: permission denied.`, { detail })
  if (/matches no streams|does not contain any stream|Output file #0 does not contain/i.test(text))
    return new MediaError('FFMPEG_FAILED', file, `${file} has no stream of the kind requested.`, { detail })
  const why = opts.signal ? `was killed by ${opts.signal}` : `exited with code ${opts.exitCode ?? 'unknown'}`
  const last = lines.at(-1)
  return new MediaError(
    'FFMPEG_FAILED',
    file,
    `${opts.what ?? 'ffmpeg'} failed on ${file} (${why})${last ? `: ${last}` : ''}`,
    { detail },
  )
}

/** Known container signatures at the start of a file: the name of the format, or null. */
export async function sniffContainer(file: string): Promise<string | null> {
  const head = await readFileHead(file, 512).catch(() => null)
  return head && sniffBytes(head)
}

/** Pure part of sniffContainer, over the first bytes of a file. */
export function sniffBytes(head: Uint8Array): string | null {
  const ascii = (from: number, len: number) => String.fromCharCode(...head.subarray(from, from + len))
  if (head.length >= 8 && ['ftyp', 'moov', 'mdat', 'free', 'wide', 'skip'].includes(ascii(4, 4)))
    return 'MP4/QuickTime'
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'Matroska/WebM'
  if (ascii(0, 4) === 'RIFF') return ascii(8, 4) === 'AVI ' ? 'AVI' : 'WAV'
  if (ascii(0, 4) === 'OggS') return 'Ogg'
  if (ascii(0, 4) === 'fLaC') return 'FLAC'
  if (ascii(0, 3) === 'ID3' || (head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0)) return 'MPEG audio'
  if (ascii(0, 3) === 'FLV') return 'FLV'
  if (head[0] === 0x47 && head[188] === 0x47) return 'MPEG-TS'
  if (head[0] === 0x00 && head[1] === 0x00 && head[2] === 0x01 && head[3] === 0xba) return 'MPEG-PS'
  if (head[0] === 0x30 && head[1] === 0x26 && head[2] === 0xb2 && head[3] === 0x75) return 'ASF/WMV'
  return null
}
