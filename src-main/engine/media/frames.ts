/**
 * Streaming frame sampling: video → RGB24 frames at a requested rate and size (e.g. 2 fps, shorter
 * side 320), for the visual feature extractors. Owns the ffmpeg filter chain (rate first, then
 * scale, so the scaler only sees kept frames), the output size computation and the cutting of the
 * raw byte stream into frames. Memory stays flat: ffmpeg is paused by backpressure.
 */
import { MediaError } from './errors'
import { streamFfmpeg } from './process'
import { probe, type MediaProbe } from './probe'

export interface VideoFrame {
  /** Presentation time of the frame in seconds from the start of the file. */
  time: number
  width: number
  height: number
  /** RGB24, row-major, width*height*3 bytes. Each frame owns its buffer. */
  data: Uint8Array
}

export interface SampleFramesOptions {
  /** Frames per second to sample (e.g. 2). */
  fps: number
  /** Scale so the shorter side has this many pixels (aspect kept, sizes even). Default: source size. */
  shortSide?: number
  start?: number
  end?: number
  signal?: AbortSignal
  /** Fraction done (0..1), monotonic, ending at exactly 1. */
  onProgress?: (fraction: number) => void
  /**
   * What to do with a file without video (audio only): by default yield no frames (the visual
   * modality is then simply missing); true throws MediaError NO_VIDEO instead.
   */
  requireVideo?: boolean
  /**
   * Decode only reference frames (`-skip_frame noref`): about 20 % faster on H.264, frames may be
   * taken up to one source frame away from the exact sample time.
   */
  skipNonRef?: boolean
  /** A probe of the file already made (saves one ffprobe run). */
  probe?: MediaProbe
}

/** Output size for a source of w×h scaled so its shorter side is `shortSide` (even numbers, ≥ 2). */
export function scaledSize(w: number, h: number, shortSide?: number): { width: number; height: number } {
  if (!shortSide || shortSide <= 0) return { width: w - (w % 2), height: h - (h % 2) }
  const s = shortSide / Math.min(w, h)
  const even = (x: number) => Math.max(2, Math.round(x / 2) * 2)
  return { width: even(w * s), height: even(h * s) }
}

/**
 * Sample frames of `file` at `fps`, streamed. Frame i of the run has time start + i / fps (ffmpeg's
 * fps filter picks the source frame nearest to each sample time). Throws MediaError on bad input,
 * CANCELLED on abort (ffmpeg killed at once).
 */
export async function* sampleFrames(file: string, opts: SampleFramesOptions): AsyncGenerator<VideoFrame> {
  if (!(opts.fps > 0) || !Number.isFinite(opts.fps) || opts.fps > 240)
    throw new MediaError(
      'BAD_OPTIONS',
      file,
      `Frame rate must be between 0 and 240 frames/s, got ${opts.fps}.`,
    )
  const start = opts.start ?? 0
  if (!Number.isFinite(start) || start < 0)
    throw new MediaError('BAD_OPTIONS', file, `Frame sampling start must be ≥ 0 s, got ${start}.`)
  if (opts.end !== undefined && !(opts.end > start))
    throw new MediaError(
      'BAD_OPTIONS',
      file,
      `Frame sampling end (${opts.end} s) must be after start (${start} s).`,
    )
  const info = opts.probe ?? (await probe(file, { signal: opts.signal }))
  if (!info.video) {
    if (opts.requireVideo)
      throw new MediaError(
        'NO_VIDEO',
        file,
        `${file} has no video stream (it is audio only), so there are no frames to sample.`,
      )
    opts.onProgress?.(1)
    return
  }
  const { width, height } = scaledSize(info.video.width, info.video.height, opts.shortSide)
  const frameBytes = width * height * 3
  const inputOptions: string[] = []
  if (opts.skipNonRef) inputOptions.push('-skip_frame', 'noref')
  if (start > 0) inputOptions.push('-ss', start.toFixed(6))
  const outputOptions = [
    '-map',
    `0:${info.video.index}`,
    '-an',
    '-sn',
    '-dn',
    '-vf',
    `fps=${opts.fps},scale=${width}:${height}:flags=bilinear,setsar=1`,
    '-pix_fmt',
    'rgb24',
    '-f',
    'rawvideo',
  ]
  const span = (opts.end ?? info.durationSec) - start
  if (opts.end !== undefined) outputOptions.push('-t', (opts.end - start).toFixed(6))
  // Not zero-filled: every byte is overwritten before the frame is handed out.
  let frame: Uint8Array = Buffer.allocUnsafeSlow(frameBytes)
  let filled = 0
  let index = 0
  for await (const chunk of streamFfmpeg({
    file,
    inputOptions,
    outputOptions,
    durationSec: span > 0 ? span : undefined,
    headerDurationOffset: start,
    signal: opts.signal,
    onProgress: opts.onProgress,
    what: 'frame sampling',
    highWaterMark: Math.max(1 << 20, frameBytes * 2),
    noStreamError: () =>
      new MediaError('NO_VIDEO', file, `${file} has no video stream to sample frames from.`),
  })) {
    let off = 0
    while (off < chunk.length) {
      const n = Math.min(frameBytes - filled, chunk.length - off)
      frame.set(chunk.subarray(off, off + n), filled)
      filled += n
      off += n
      if (filled === frameBytes) {
        yield { time: start + index / opts.fps, width, height, data: frame }
        index++
        frame = Buffer.allocUnsafeSlow(frameBytes)
        filled = 0
      }
    }
  }
}
