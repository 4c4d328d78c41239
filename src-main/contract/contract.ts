/**
 * The one contract between every front end (Electron renderer via preload, browser mode via HTTP)
 * and the engine. Owns: the request schemas (zod, validated by the receiving side before the engine
 * is called), the result types, the event types, and the `FwsApi` interface the renderer codes against.
 *
 * Imported by main, preload, the browser-mode server and the renderer: keep it free of Node and DOM.
 */
import { z } from 'zod'
import { EVENT_NAMES, EXPORT_FORMATS, REQUEST_NAMES, type MenuCommand } from './contract-names'

export * from './contract-names'
// The domain records are the engine's; the contract carries them to every front end.
import type { Edit, EditResult, MediaInfo, ProjectInfo, UtteranceRow } from '../engine/project/types'
import { editInput } from '../engine/project/types'
import type { JobSnapshot } from '../engine/jobs/types'
import type { ExportResult } from '../engine/exchange/types'
import type { ModelInfo } from '../engine/models/types'
import type { ReviewDashboard, UtteranceEvidence } from '../engine/review/types'
export type {
  Provenance,
  ProjectInfo,
  MediaInfo,
  EmotionPrediction,
  UtteranceRow,
  Edit,
  EditResult,
} from '../engine/project/types'
export { editInput }
export type { JobKind, JobStatus, JobSnapshot } from '../engine/jobs/types'
export type { ExportResult, ModelInfo, ReviewDashboard, UtteranceEvidence }

// ---------------------------------------------------------------- shared value types

const id = z.string().min(1).max(200)
const absPath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.includes('\0'), 'path contains a NUL byte')
const seconds = z
  .number()
  .finite()
  .min(0)
  .max(7 * 24 * 3600)

// ---------------------------------------------------------------- system

export interface BackendAttemptInfo {
  name: string
  package: string
  used: boolean
  reason: string
}

export interface ToolInfo {
  path: string
  version: string
  source: string
}

export interface DoctorReport {
  node: string
  platform: string
  backend:
    | {
        name: string
        gpu: boolean
        gpuVisible: boolean
        forced: string | null
        warning: string | null
        attempts: BackendAttemptInfo[]
      }
    | { error: string }
  ffmpeg: ToolInfo | { error: string }
  ffprobe: ToolInfo | { error: string }
  models: ModelInfo[]
  /** The NVIDIA driver, GPUs and CUDA/cuDNN libraries this machine has. */
  gpu: { driver: string | null; gpus: string[]; summary: string }
  /** Which device each model runs on, and why. */
  devices: ModelDeviceInfo[]
}

export interface ModelDeviceInfo {
  /** A model name from `models`, or an engine component ('face-api', 'silero-vad'). */
  model: string
  runtime: 'tfjs' | 'onnxruntime'
  /** null when the runtime could not start at all (reason says why). */
  device: 'gpu' | 'cpu' | null
  /** The tfjs backend or onnxruntime execution provider used ('tensorflow-gpu', 'wasm', 'cuda', 'cpu'). */
  via: string | null
  reason: string
}

// ---------------------------------------------------------------- project, media, utterances

export const projectPathInput = z.object({ path: absPath })
export const mediaAddInput = z.object({ paths: z.array(absPath).min(1).max(10_000) })
export const mediaIdInput = z.object({ mediaId: id })
export const utterancesListInput = z.object({ mediaId: id.optional() })

// ---------------------------------------------------------------- edits (corrections)

// ---------------------------------------------------------------- jobs

export const inferenceInput = z.object({
  mediaIds: z.array(id).min(1).max(10_000),
  fps: z.number().positive().max(30).optional(),
})
export const finetuneInput = z.object({
  baseModel: z.enum(['emotion', 'translation']),
  epochs: z.number().int().min(1).max(200).optional(),
  heldOutFraction: z.number().min(0.05).max(0.5).optional(),
})
export const jobIdInput = z.object({ jobId: id })

// ---------------------------------------------------------------- exchange

export const exportInput = z.object({
  format: z.enum(EXPORT_FORMATS),
  /** Output file (or folder for `corpus`). In browser mode, relative to the project's folder. */
  out: absPath,
  onlyCorrected: z.boolean().optional(),
  /** For vtt/srt: which text to write. */
  text: z.enum(['transcript', 'translation']).optional(),
  mediaId: id.optional(),
})
export const importSegmentationInput = z.object({ mediaId: id, path: absPath })

// ---------------------------------------------------------------- playback, waveform, review

/**
 * How the page plays a media item. `original`: the file itself (api.mediaUrl); `proxy`: a cached
 * playable copy (api.proxyUrl); `preparing`: a proxy job runs (jobId, progress in jobs.update);
 * `missing`: the file is not where the project says (relink it with media.relink).
 */
export interface PlaybackInfo {
  mediaId: string
  mode: 'original' | 'proxy' | 'preparing' | 'missing'
  /** Why a proxy is used, or what is missing, in words for the user; null for `original`. */
  reason: string | null
  jobId: string | null
  /** Seconds to subtract from a media (utterance) time to get the played file's time. */
  timeOffset: number
  /** Where the project expects the file. */
  path: string
  /** Frames per second of the video (for frame steps); 0 for audio only or unknown. */
  frameRate: number
}
export const playbackInput = z.object({
  mediaId: id,
  /** The page failed to play the original (media element error): make a proxy whatever the probe says. */
  pageCannotPlay: z.boolean().optional(),
})
export const relinkInput = z.object({ mediaId: id, path: absPath })
export const peaksInput = z
  .object({
    mediaId: id,
    start: seconds.optional(),
    end: seconds.optional(),
    buckets: z.number().int().min(1).max(20_000),
  })
  .refine((p) => p.start === undefined || p.end === undefined || p.end > p.start, 'end must be after start')
/**
 * Waveform min/max per bucket over [start, end) seconds, `perSec` buckets per second. While the
 * engine's first decode of a long file runs, `complete` is false, `end` is as far as it got and
 * `progress` says how far (0..1): ask again for the rest.
 */
export interface PeaksResult {
  mediaId: string
  start: number
  end: number
  perSec: number
  min: number[]
  max: number[]
  complete: boolean
  progress: number
}

export const dashboardInput = z.object({ mediaId: id.optional() })

export const evidenceInput = z.object({ utteranceId: id })

// ---------------------------------------------------------------- the API

/** Every request the renderer can make, by domain, with the schema its payload must satisfy. */
export const requestSchemas = {
  'system.doctor': z.undefined(),
  'project.create': projectPathInput,
  'project.open': projectPathInput,
  'project.close': z.undefined(),
  'project.current': z.undefined(),
  'media.add': mediaAddInput,
  'media.list': z.undefined(),
  'utterances.list': utterancesListInput,
  'edits.apply': editInput,
  'edits.undo': z.undefined(),
  'edits.redo': z.undefined(),
  'jobs.startInference': inferenceInput,
  'jobs.startFinetune': finetuneInput,
  'jobs.cancel': jobIdInput,
  'jobs.list': z.undefined(),
  'exchange.export': exportInput,
  'exchange.importSegmentation': importSegmentationInput,
  'media.playback': playbackInput,
  'media.relink': relinkInput,
  'media.peaks': peaksInput,
  'review.dashboard': dashboardInput,
  'review.evidence': evidenceInput,
} as const

export type RequestName = keyof typeof requestSchemas
export type RequestPayload<N extends RequestName> = z.infer<(typeof requestSchemas)[N]>

/** What each request resolves to. */
export interface RequestResults {
  'system.doctor': DoctorReport
  'project.create': ProjectInfo
  'project.open': ProjectInfo
  'project.close': void
  'project.current': ProjectInfo | null
  'media.add': MediaInfo[]
  'media.list': MediaInfo[]
  'utterances.list': UtteranceRow[]
  'edits.apply': EditResult
  'edits.undo': EditResult | null
  'edits.redo': EditResult | null
  'jobs.startInference': JobSnapshot
  'jobs.startFinetune': JobSnapshot
  'jobs.cancel': void
  'jobs.list': JobSnapshot[]
  'exchange.export': ExportResult
  'exchange.importSegmentation': UtteranceRow[]
  'media.playback': PlaybackInfo
  'media.relink': MediaInfo
  'media.peaks': PeaksResult
  'review.dashboard': ReviewDashboard
  'review.evidence': UtteranceEvidence
}

/** The engine side of the contract: one function per request, payload already validated. */
export type RequestHandlers = {
  [N in RequestName]: (payload: RequestPayload<N>) => Promise<RequestResults[N]>
}
// The zod-free name list (contract-names.ts) must be exactly the schema keys: a compile error otherwise.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const requestNamesMatchSchemas: SameKeys<(typeof REQUEST_NAMES)[number], RequestName> = true
void requestNamesMatchSchemas

/** Events pushed from the engine to every front end. */
export interface EventMap {
  'jobs.update': JobSnapshot
  'project.changed': ProjectInfo | null
}
export type EventName = keyof EventMap
const eventNamesMatchMap: SameKeys<(typeof EVENT_NAMES)[number], EventName> = true
void eventNamesMatchMap

/** The typed API object: `window.api` in Electron, an HTTP client in browser mode. */
export interface FwsApi {
  system: {
    /** Backend, ffmpeg, models: what `fws doctor` reports. */
    doctor(): Promise<DoctorReport>
  }
  project: {
    create(p: z.infer<typeof projectPathInput>): Promise<ProjectInfo>
    open(p: z.infer<typeof projectPathInput>): Promise<ProjectInfo>
    close(): Promise<void>
    current(): Promise<ProjectInfo | null>
  }
  media: {
    add(p: z.infer<typeof mediaAddInput>): Promise<MediaInfo[]>
    list(): Promise<MediaInfo[]>
    /** How the page plays this media: original, proxy (made on demand, a `proxy` job), or missing. */
    playback(p: z.infer<typeof playbackInput>): Promise<PlaybackInfo>
    /** Points a moved media file at its new path; refused unless the content hash matches. */
    relink(p: z.infer<typeof relinkInput>): Promise<MediaInfo>
    /** Waveform peaks computed by the engine (cached per media), at the zoom asked for. */
    peaks(p: z.infer<typeof peaksInput>): Promise<PeaksResult>
  }
  review: {
    dashboard(p: z.infer<typeof dashboardInput>): Promise<ReviewDashboard>
    /** Per-modality evidence for one utterance (model probabilities, face expressions, audio measures). */
    evidence(p: z.infer<typeof evidenceInput>): Promise<UtteranceEvidence>
  }
  utterances: {
    list(p: z.infer<typeof utterancesListInput>): Promise<UtteranceRow[]>
  }
  edits: {
    /** Applies one correction; resolves only once it is durable in the project file. */
    apply(p: Edit): Promise<EditResult>
    undo(): Promise<EditResult | null>
    redo(): Promise<EditResult | null>
  }
  jobs: {
    startInference(p: z.infer<typeof inferenceInput>): Promise<JobSnapshot>
    startFinetune(p: z.infer<typeof finetuneInput>): Promise<JobSnapshot>
    cancel(p: z.infer<typeof jobIdInput>): Promise<void>
    list(): Promise<JobSnapshot[]>
  }
  exchange: {
    export(p: z.infer<typeof exportInput>): Promise<ExportResult>
    importSegmentation(p: z.infer<typeof importSegmentationInput>): Promise<UtteranceRow[]>
  }
  /** Subscribes to an engine event; returns the function that unsubscribes. */
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void
  /** Subscribes to native menu commands; returns the function that unsubscribes (no-op in browser mode). */
  onMenu(listener: (command: MenuCommand) => void): () => void
  /** A URL the <video> element can play for a media item of the open project. */
  mediaUrl(mediaId: string): string
  /** A URL of the playable proxy of a media item (once media.playback says `proxy`). */
  proxyUrl(mediaId: string): string
  /** Native file dialogs and dropped-file paths: Electron only, absent in browser mode (paths are typed there). */
  native?: NativeDialogs
}

/** What the Electron preload adds for files: dialogs run in main, results are plain paths. */
export interface NativeDialogs {
  /** The .fwsproj file to open, or to create (save dialog); null when the user cancels. */
  chooseProject(p: { create: boolean }): Promise<string | null>
  /** Video/audio files to add; [] when the user cancels. */
  chooseMedia(): Promise<string[]>
  /** Where to write an export; null when the user cancels. */
  chooseSavePath(p: { defaultPath: string; folder?: boolean }): Promise<string | null>
  /** Absolute path of a File dropped on the window ('' when it has none). */
  pathForFile(file: unknown): string
}

/** Validates a request payload; throws a ContractError naming the request and the bad fields. */
export function validateRequest<N extends RequestName>(
  name: N,
  payload: unknown,
): z.infer<(typeof requestSchemas)[N]> {
  const schema = requestSchemas[name] as z.ZodType
  if (!schema) throw new ContractError(`unknown request "${String(name)}"`)
  const r = schema.safeParse(payload)
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ')
    throw new ContractError(`invalid payload for ${name}: ${issues}`)
  }
  return r.data as z.infer<(typeof requestSchemas)[N]>
}

export function isRequestName(name: unknown): name is RequestName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(requestSchemas, name)
}

export class ContractError extends Error {
  override name = 'ContractError'
}
