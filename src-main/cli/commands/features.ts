/**
 * `fws features <video> [--subs FILE] --out DIR`: per-utterance audio (40 log-mel + 3 pitch) and
 * visual (face box, 68 landmarks, 7 expressions, face-missing flag, global frame descriptors)
 * features written as .npy + manifest.json (layout in engine/features/export.ts). Utterances come
 * from --subs, a sidecar, an embedded subtitle stream, else voice activity detection. Cached; Ctrl-C
 * cancels.
 */
import type { Command } from 'commander'
import path from 'node:path'
import { segmentMediaDetailed } from '../../engine/segment'
import { extractFeatures, featureCacheStats, type FaceDetectorChoice } from '../../engine/features'
import { checkExportTarget, writeFeatureExport } from '../../engine/features/export'
import { DEFAULT_DETECT_EVERY } from '../../engine/features/types'
import { parseFrameOptions } from '../number-options'
import { abortOnStopSignals, CliError, mediaCommandError, printJson } from '../output'

interface FeaturesCliOptions {
  subs?: string
  out: string
  fps: string
  detectEvery: string
  detector: string
  cache: boolean
  fullHash?: boolean
  visual: boolean
  json?: boolean
}

export function registerFeatures(program: Command): void {
  program
    .command('features')
    .description(
      'extract per-utterance audio (fbank + pitch) and visual (faces, expressions, frame descriptors) features to .npy files + manifest.json',
    )
    .argument('<video>', 'media file')
    .option('--subs <file>', 'subtitle / transcript file giving the utterances (.srt, .vtt, .eaf, .csv)')
    .requiredOption('--out <dir>', 'output folder (created; an earlier export there is replaced)')
    .option('--fps <n>', 'frames per second sampled for visual features', '2')
    .option(
      '--detect-every <n>',
      'run the face detector on every Nth sampled frame and track the face in between (1 = every frame)',
      String(DEFAULT_DETECT_EVERY),
    )
    .option('--detector <name>', 'face detector: tiny, tiny+ssd (SSD where tiny finds none) or ssd', 'tiny')
    .option('--no-cache', 'do not read or write the feature cache')
    .option('--full-hash', 'fingerprint the whole file for the cache (default: sampled blocks)')
    .option('--no-visual', 'skip visual features (audio only)')
    .option('--json', 'print a JSON summary instead of text')
    .action(async (video: string, opts: FeaturesCliOptions) => {
      const { fps, detectEvery } = parseFrameOptions(opts)
      if (!['tiny', 'tiny+ssd', 'ssd'].includes(opts.detector))
        throw new CliError(`--detector must be tiny, tiny+ssd or ssd, got "${opts.detector}"`, 2)
      const stop = abortOnStopSignals()
      const tty = process.stderr.isTTY && !opts.json
      const hitsBefore = featureCacheStats.hits
      const t0 = Date.now()
      try {
        await checkExportTarget(opts.out).catch((err: Error) => {
          throw new CliError(err.message, 2)
        })
        const seg = await segmentMediaDetailed(video, {
          subs: opts.subs,
          signal: stop.abortSignal,
          onProgress: tty
            ? (f) => process.stderr.write(`\rsegmenting ${(f * 100).toFixed(0).padStart(3)}%`)
            : undefined,
        })
        const settings = {
          fps,
          detectEvery,
          detector: opts.detector as FaceDetectorChoice,
          shortSide: 320,
          inputSize: 320,
        }
        const features = await extractFeatures(video, seg.utterances, {
          ...settings,
          cache: opts.cache,
          fullHash: opts.fullHash,
          noVisual: !opts.visual,
          probe: seg.probe,
          signal: stop.abortSignal,
          onProgress: tty
            ? (f, stage) =>
                process.stderr.write(`\rfeatures ${(f * 100).toFixed(0).padStart(3)}% (${stage})\x1b[K`)
            : undefined,
        })
        await writeFeatureExport(opts.out, features, {
          source: path.resolve(video),
          settings: {
            ...settings,
            visual: opts.visual,
            utteranceSource: seg.source,
            utteranceOrigin: seg.origin,
          },
        })
        const summary = {
          out: path.resolve(opts.out),
          utterances: features.length,
          source: seg.source,
          audioPresent: features.filter((f) => f.audio.present).length,
          visualPresent: features.filter((f) => f.visual.present).length,
          facePresent: features.filter((f) => f.visual.facePresent).length,
          cacheHits: featureCacheStats.hits - hitsBefore,
          seconds: (Date.now() - t0) / 1000,
        }
        if (tty) process.stderr.write('\r\x1b[K')
        if (opts.json) printJson(summary)
        else
          process.stdout.write(
            `${summary.utterances} utterance(s) from ${summary.source} → ${summary.out}\n` +
              `audio present ${summary.audioPresent}, visual present ${summary.visualPresent}, face present ${summary.facePresent}, ` +
              `cache hits ${summary.cacheHits}, ${summary.seconds.toFixed(1)} s\n`,
          )
      } catch (err) {
        throw mediaCommandError(err, stop)
      } finally {
        stop.off()
      }
    })
}
