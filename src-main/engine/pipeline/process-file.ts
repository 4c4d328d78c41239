/**
 * One media file through the whole pipeline, inside a worker thread:
 * probe → segment (given cuts, sidecar / embedded subtitles, else voice activity) → features
 * (audio, visual, text) → emotion model → translation model → one result row per utterance.
 * Owns the order of the stages, the time spent in each, the per-stage progress, cancellation
 * checks between model batches, and the models kept loaded per worker (loaded once, reused for
 * every file the worker gets).
 */
import path from 'node:path'
import { getTf } from '../backend'
import { extractFeatures } from '../features/extract'
import type { UtteranceFeatures } from '../features/types'
import { abortError } from '../core/abort'
import { probe } from '../media/probe'
import { loadEmotionModel, type LoadedEmotionModel } from '../models/emotion'
import { loadTranslationModel, pooledFeatures, type LoadedTranslationModel } from '../models/translation'
import { findSidecar, segmentMediaDetailed, type Utterance } from '../segment/index'
import { assembleResult } from './assemble'
import type {
  FileProgress,
  FileResult,
  FileTask,
  InferPart,
  PartOutcome,
  SegmentOutcome,
  Stage,
  UtteranceResult,
} from './types'
import type { DroppedCues } from '../media/subtitles/cue'

export interface ProcessContext {
  signal: AbortSignal
  progress(p: FileProgress): void
}

/** Utterances per model call: small enough to check for cancellation often, big enough to batch. */
const MODEL_CHUNK = 32
const DIALOGUE_OVERLAP = 8

/**
 * Model calls over n utterances: each predicts [lo, hi) and keeps [from, to), chunks of `chunk`
 * utterances read with up to `overlap` neighbours on either side.
 */
export function predictionWindows(
  n: number,
  chunk: number,
  overlap: number,
): { lo: number; hi: number; from: number; to: number }[] {
  const out = []
  for (let from = 0; from < n; from += chunk) {
    const to = Math.min(n, from + chunk)
    out.push({ lo: Math.max(0, from - overlap), hi: Math.min(n, to + overlap), from, to })
  }
  return out
}

/** The feature extractor's sub-stages timed separately in stageSec. */
const FEATURE_STAGES = new Set(['cache', 'audio', 'visual'])

const emotionModels = new Map<string, LoadedEmotionModel>()
const translators = new Map<string, LoadedTranslationModel>()

function emotionModel(dir: string): LoadedEmotionModel {
  let m = emotionModels.get(dir)
  if (!m) emotionModels.set(dir, (m = loadEmotionModel(dir)))
  return m
}

async function translator(dir: string): Promise<LoadedTranslationModel> {
  let t = translators.get(dir)
  if (!t) translators.set(dir, (t = await loadTranslationModel(dir)))
  return t
}

interface Timer {
  stageSec: Record<string, number>
  timed<T>(stage: string, fn: () => Promise<T> | T): Promise<T>
}

function timer(): Timer {
  const stageSec: Record<string, number> = {}
  return {
    stageSec,
    async timed(stage, fn) {
      const t0 = performance.now()
      try {
        return await fn()
      } finally {
        stageSec[stage] = round3((stageSec[stage] ?? 0) + (performance.now() - t0) / 1000)
      }
    },
  }
}

const reporter = (ctx: ProcessContext) => (stage: Stage, fraction: number) =>
  ctx.progress({ stage, fraction: Math.min(1, Math.max(0, fraction)) })

/**
 * First half of a file: probe, then utterances (given cuts, sidecar in the file's folder or
 * `subsDir`, embedded subtitles, else voice activity). Throws MediaError for bad media.
 */
export async function segmentFile(task: FileTask, ctx: ProcessContext): Promise<SegmentOutcome> {
  const { signal } = ctx
  const file = task.file
  const t = timer()
  const report = reporter(ctx)
  report('probe', 0)
  const info = await t.timed('probe', () => probe(file, { signal }))
  report('probe', 1)
  if (signal.aborted) throw abortError()
  report('segment', 0)
  let utterances: Utterance[]
  let textSource: string
  let droppedCues: DroppedCues = {}
  if (task.segments) {
    utterances = task.segments.map((s, i) => ({
      id: `u${String(i + 1).padStart(4, '0')}`,
      start: s.start,
      end: s.end,
      text: s.text,
      source: 'given' as const,
    }))
    textSource = 'given'
  } else {
    const subs = task.subsDir ? await findSidecar(path.join(task.subsDir, path.basename(file))) : null
    const seg = await t.timed('segment', () =>
      segmentMediaDetailed(file, {
        subs: subs ?? undefined,
        signal,
        onProgress: (f) => report('segment', f),
      }),
    )
    utterances = seg.utterances
    droppedCues = seg.droppedCues
    textSource =
      seg.origin && seg.source !== 'embedded' ? `${seg.source}:${path.basename(seg.origin)}` : seg.source
  }
  report('segment', 1)
  return { probe: info, utterances, textSource, droppedCues, stageSec: t.stageSec }
}

/**
 * Second half, for a contiguous run of a file's utterances (the whole file, or one part when a
 * long file is shared between workers): features, emotion, translation, result rows.
 * `part.context` holds the transcripts just before the part, for the emotion model's dialogue context.
 */
export async function inferPart(task: FileTask, part: InferPart, ctx: ProcessContext): Promise<PartOutcome> {
  const { signal } = ctx
  const file = task.file
  const { utterances } = part
  const t = timer()
  const { stageSec, timed } = t
  const check = () => {
    if (signal.aborted) throw abortError()
  }
  const report = reporter(ctx)
  // The backend is chosen once per worker; models must be loaded after it.
  const { choice } = await timed('load', () => getTf())

  // Features: time is split by the extractor's own sub-stages (audio, visual, cache).
  report('features', 0)
  let sub = 'features.other'
  let subT0 = performance.now()
  const switchSub = (name: string) => {
    const now = performance.now()
    stageSec[sub] = round3((stageSec[sub] ?? 0) + (now - subT0) / 1000)
    sub = name
    subT0 = now
  }
  const feats: UtteranceFeatures[] = utterances.length
    ? await timed('features', () =>
        extractFeatures(file, utterances, {
          fps: task.fps,
          detectEvery: task.detectEvery,
          signal,
          probe: part.probe,
          cache: task.cache,
          contentHash: task.contentHash ?? undefined,
          onProgress: (f, stage) => {
            // 'spans' and 'done' mark progress, not work of their own.
            if (FEATURE_STAGES.has(stage) && `features.${stage}` !== sub) switchSub(`features.${stage}`)
            report('features', f)
          },
        }),
      )
    : []
  switchSub('features.other')
  for (const k of Object.keys(stageSec))
    if (k.startsWith('features.') && (k === 'features.other' || !stageSec[k])) delete stageSec[k]
  report('features', 1)
  check()

  const emotions: (UtteranceResult['emotion'] | null)[] = new Array(utterances.length).fill(null)
  const emotionReasons: (string | null)[] = new Array(utterances.length).fill(null)
  if (task.models.emotion && utterances.length) {
    const model = await timed('load', () => emotionModel(task.models.emotion!.dir))
    const turns = contextTurns(model)
    const texts = [...part.context, ...utterances.map((u) => u.text)]
    const base = part.context.length
    await timed('emotion', async () => {
      // A dialogue-context model reads each chunk's neighbours too (one dialogue per window).
      const overlap = model.model.config.dialogue ? DIALOGUE_OVERLAP : 0
      for (const w of predictionWindows(utterances.length, MODEL_CHUNK, overlap)) {
        check()
        const out = model.predict(
          utterances.slice(w.lo, w.hi).map((u, k) => ({
            text: u.text,
            context: turns ? texts.slice(Math.max(0, base + w.lo + k - turns), base + w.lo + k) : [],
            dialogue: 'file',
            turn: w.lo + k,
            features: feats[w.lo + k] ?? null,
          })),
        )
        for (let i = w.from; i < w.to; i++) {
          const p = out[i - w.lo]!
          if (p.label === null) emotionReasons[i] = p.reason
          else emotions[i] = p
        }
        report('emotion', w.to / utterances.length)
        // Let the cancel message in between chunks: predict() is synchronous.
        await new Promise((r) => setImmediate(r))
      }
    })
  }
  report('emotion', 1)

  const translations = await translatePart(task, utterances, feats, { signal, timed, report, check })
  report('translation', 1)
  check()

  return {
    backend: choice.name,
    stageSec,
    rows: utterances.map((u, i) => {
      const f = feats[i]
      return {
        index: part.offset + i,
        start: u.start,
        end: u.end,
        text: u.text,
        textSource: part.textSource,
        emotion: emotions[i] ?? null,
        emotionReason: emotionReasons[i] ?? null,
        translation: translations[i] ?? null,
        modalities: {
          text: f ? f.textPresent : u.text.trim().length > 0,
          audio: f ? f.audio.present : false,
          visual: f ? f.visual.present : false,
          face: f ? f.visual.facePresent : false,
        },
      }
    }),
  }
}

/** Both halves in one go (one worker, the whole file). */
export async function processFile(task: FileTask, ctx: ProcessContext): Promise<FileResult> {
  const seg = await segmentFile(task, ctx)
  const part = await inferPart(
    task,
    { probe: seg.probe, utterances: seg.utterances, textSource: seg.textSource, context: [], offset: 0 },
    ctx,
  )
  return assembleResult(task, seg, [part])
}

/** How many previous utterances the emotion model reads as dialogue context (from its config). */
function contextTurns(m: LoadedEmotionModel): number {
  return m.model.config.text?.contextTurns ?? 0
}

function round3(x: number) {
  return Math.round(x * 1000) / 1000
}

/**
 * The part's translations (null where an utterance has no text). One call for the whole part: the
 * model sorts the texts by length before cutting them into batches of MODEL_CHUNK (less padding,
 * beams that finish together: ~30% less time than chunks in file order), checks for cancellation
 * and reports between batches. Batches translate exactly as one by one
 * (test/engine/models/translation/batching.test.ts).
 */
async function translatePart(
  task: FileTask,
  utterances: InferPart['utterances'],
  feats: UtteranceFeatures[],
  run: {
    signal: AbortSignal
    timed: ReturnType<typeof timer>['timed']
    report: ReturnType<typeof reporter>
    check: () => void
  },
): Promise<(string | null)[]> {
  const { signal, timed, report, check } = run
  const translations: (string | null)[] = new Array(utterances.length).fill(null)
  if (task.models.translation) {
    const withText = utterances.map((u, i) => [u.text.trim(), i] as const).filter(([text]) => text.length > 0)
    if (withText.length) {
      const tr = await timed('load', () => translator(task.models.translation!.dir))
      await timed('translation', async () => {
        check()
        let out: string[]
        try {
          out = await tr.translate(
            withText.map(([text]) => text),
            {
              features: pooledFeatures(withText.map(([, idx]) => feats[idx] ?? null)),
              batchSize: MODEL_CHUNK,
              signal,
              onProgress: (done, total) => report('translation', done / total),
            },
          )
        } catch (err) {
          check()
          throw err
        }
        withText.forEach(([, idx], k) => (translations[idx] = out[k] ?? null))
      })
    }
  }
  return translations
}
