/**
 * `fws segment <video> [--subs FILE] [--vad] [--json]`: cut a media file into timed utterances
 * (subtitles / sidecar / embedded stream, else Silero VAD). Progress goes to stderr on a terminal;
 * Ctrl-C cancels (ffmpeg is killed).
 */
import type { Command } from 'commander'
import { droppedTotal } from '../../engine/media/subtitles'
import { segmentMediaDetailed, type SegmentResult } from '../../engine/segment'
import type { VadOptions } from '../../engine/segment/vad'
import { parseOptionalNumber } from '../number-options'
import { abortOnStopSignals, CliError, mediaCommandError, printJson } from '../output'

interface SegmentCliOptions {
  subs?: string
  vad?: boolean
  json?: boolean
  tier?: string
  encoding?: string
  overlap?: 'keep' | 'trim' | 'merge'
  threshold?: string
  minSpeech?: string
  minSilence?: string
  pad?: string
  maxLength?: string
}

export function registerSegment(program: Command): void {
  program
    .command('segment')
    .description(
      'cut a media file into utterances: from --subs, a sidecar .srt/.vtt/.eaf/.csv, an embedded subtitle stream, else voice activity detection',
    )
    .argument('<video>', 'media file')
    .option('--subs <file>', 'subtitle / transcript file to use (.srt, .vtt, .eaf, .csv, .tsv)')
    .option('--vad', 'use voice activity detection even when subtitles exist')
    .option('--json', 'print an array of {id, start, end, text, source} as JSON')
    .option('--tier <id>', 'ELAN tier to read (default: the transcript tier)')
    .option('--encoding <name>', 'text encoding of the subtitle file (default: detected)')
    .option('--overlap <mode>', 'overlapping cues: keep, trim or merge', 'keep')
    .option('--threshold <p>', 'VAD speech probability threshold (default 0.5)')
    .option('--min-speech <s>', 'VAD: shortest speech kept, seconds (default 0.25)')
    .option('--min-silence <s>', 'VAD: pause that ends an utterance, seconds (default 0.3)')
    .option('--pad <s>', 'VAD: padding around utterances, seconds (default 0.1)')
    .option('--max-length <s>', 'VAD: longest utterance, longer speech is split, seconds (default 15)')
    .action(async (video: string, opts: SegmentCliOptions) => {
      if (opts.overlap && !['keep', 'trim', 'merge'].includes(opts.overlap))
        throw new CliError(`--overlap must be keep, trim or merge, got "${opts.overlap}"`, 2)
      const tuning: Partial<VadOptions> = {
        threshold: parseOptionalNumber(opts.threshold, 'threshold', false, 2),
        minSpeechSec: parseOptionalNumber(opts.minSpeech, 'min-speech', false, 2),
        minSilenceSec: parseOptionalNumber(opts.minSilence, 'min-silence', false, 2),
        padSec: parseOptionalNumber(opts.pad, 'pad', false, 2),
        maxUtteranceSec: parseOptionalNumber(opts.maxLength, 'max-length', false, 2),
      }
      const stop = abortOnStopSignals()
      const tty = process.stderr.isTTY && !opts.json
      let result: SegmentResult
      try {
        result = await segmentMediaDetailed(video, {
          subs: opts.subs,
          vad: opts.vad ? tuning : undefined,
          vadOptions: tuning,
          tier: opts.tier,
          encoding: opts.encoding,
          overlap: opts.overlap,
          signal: stop.abortSignal,
          onProgress: tty
            ? (f) => process.stderr.write(`\rsegmenting ${(f * 100).toFixed(0).padStart(3)}%`)
            : undefined,
        })
      } catch (err) {
        throw mediaCommandError(err, stop)
      } finally {
        stop.off()
        if (tty) process.stderr.write('\r\x1b[K')
      }
      const notes = result.warnings.map((w) => `note: ${w}`)
      const dropped = droppedTotal(result.droppedCues)
      if (dropped)
        notes.push(
          `dropped ${dropped} cue(s): ${Object.entries(result.droppedCues)
            .map(([reason, n]) => `${reason} ${n}`)
            .join(', ')}`,
        )
      if (opts.json) {
        // stdout stays the JSON array; what was dropped or adjusted still gets said, on stderr.
        if (notes.length) process.stderr.write(notes.join('\n') + '\n')
        printJson(
          result.utterances.map(({ id, start, end, text, source }) => ({ id, start, end, text, source })),
        )
        return
      }
      const from =
        result.source === 'vad'
          ? 'voice activity detection'
          : `${result.source}${result.origin ? ` (${result.origin})` : ''}`
      const lines = [`${result.utterances.length} utterance(s) from ${from}`]
      lines.push(...notes)
      for (const u of result.utterances)
        lines.push(`${u.id}  ${u.start.toFixed(3).padStart(9)} → ${u.end.toFixed(3).padStart(9)}  ${u.text}`)
      process.stdout.write(lines.join('\n') + '\n')
    })
}
