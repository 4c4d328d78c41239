/**
 * Feature shapes shared by the extractors, the cache, the CLI and the fusion models. Owns the
 * per-frame layouts (which column means what) and the per-utterance record; nothing here computes.
 *
 * Why fixed layouts with named offsets: the fusion encoders, the exported .npy files and the model
 * manifests all record "audio 43, visual 161"; a column moving silently would corrupt every saved
 * checkpoint, so the offsets live in one place and EXTRACTOR_VERSION changes whenever they do.
 */

/** Bumped whenever any extractor's numbers or layout change; part of every cache key and manifest. */
export const EXTRACTOR_VERSION = 'fws-features-3'

/** Frames per second sampled for the visual features by default (batch, app, evidence). */
export const DEFAULT_FPS = 2

/** The face detector runs on every Nth sampled frame by default; the face is tracked in between. */
export const DEFAULT_DETECT_EVERY = 8

/** The face (landmarks, expressions) is analysed on every Nth sampled frame by default; held in between. */
export const DEFAULT_FACE_EVERY = 4

// ---------------------------------------------------------------- audio (How2 layout)

/** Log-mel filterbank channels per audio frame. */
export const AUDIO_FBANK_BINS = 40
/** Audio frame: [0, 40) log-mel fbank, 40 = POV (probability-of-voicing feature from NCCF), 41 = normalised log-pitch, 42 = delta log-pitch. */
export const AUDIO_DIM = 43
export const AUDIO_POV = 40
export const AUDIO_LOG_PITCH = 41
export const AUDIO_DELTA_PITCH = 42
/** Audio frames: 25 ms window every 10 ms at 16 kHz. */
export const AUDIO_SAMPLE_RATE = 16_000
export const AUDIO_FRAME_LENGTH = 400
export const AUDIO_FRAME_SHIFT = 160
/** Pooled audio vector: per-dimension mean over frames then per-dimension std ([mean(43), std(43)]). */
export const AUDIO_POOLED_DIM = 2 * AUDIO_DIM

// ---------------------------------------------------------------- visual

/** Face box [x, y, w, h] normalised by frame width/height (0 when no face). */
export const VIS_FACE_BOX = 0
/** Detector score of the chosen face (0 when no face). */
export const VIS_FACE_SCORE = 4
/** 68 landmarks as (x, y) pairs normalised to the face box (x' = (x - bx) / bw), 136 values. */
export const VIS_LANDMARKS = 5
/** 7 expression probabilities in EXPRESSION_LABELS order. */
export const VIS_EXPRESSIONS = VIS_LANDMARKS + 136 // 141
/** 1 when no face was found in this frame (then box, score, landmarks and expressions are all 0). */
export const VIS_FACE_MISSING = VIS_EXPRESSIONS + 7 // 148
/**
 * Global frame descriptors, present for every frame (faces or not), 12 values:
 * luma mean, luma std, R/G/B mean, R/G/B std, R/G/B skewness (all on 0..1 pixel scale),
 * motion energy (mean |Δluma| against the previous sampled frame, 0 for the first).
 */
export const VIS_GLOBAL = VIS_FACE_MISSING + 1 // 149
export const VIS_GLOBAL_DIM = 12
export const VIS_MOTION = VIS_GLOBAL + 11 // 160
/** Per sampled frame visual vector size. */
export const VISUAL_DIM = VIS_GLOBAL + VIS_GLOBAL_DIM // 161
/**
 * Pooled visual vector: [mean(161), std(161)]. Face columns (box, score, landmarks, expressions)
 * are pooled over the frames that HAVE a face only; the face-missing column and the global
 * descriptors over all frames (so the pooled missing column is the fraction of face-less frames).
 */
export const VISUAL_POOLED_DIM = 2 * VISUAL_DIM

/** face-api's expression classes, in the order they occupy VIS_EXPRESSIONS.. */
export const EXPRESSION_LABELS = [
  'neutral',
  'happy',
  'sad',
  'angry',
  'fearful',
  'disgusted',
  'surprised',
] as const

// ---------------------------------------------------------------- records

/** One modality of one utterance: a frame sequence plus a pooled summary and a presence mask. */
export interface ModalitySequence {
  /** Number of frames (rows) in `seq`. 0 when the modality is absent. */
  frames: number
  /** Columns per frame (AUDIO_DIM or VISUAL_DIM). */
  dims: number
  /** frames × dims, row-major. */
  seq: Float32Array
  /** Fixed-size summary (AUDIO_POOLED_DIM / VISUAL_POOLED_DIM); all zeros when !present. */
  pooled: Float32Array
  /**
   * False when the modality is missing for this utterance: no audio stream / silent audio, no
   * video stream / no frame sampled. A model must mask it, never read the numbers as data.
   */
  present: boolean
}

export interface VisualSequence extends ModalitySequence {
  /** True when at least one sampled frame of the utterance has a detected face. */
  facePresent: boolean
  /** Per frame presentation time in seconds (length = frames). */
  times: Float32Array
}

export interface UtteranceFeatures {
  utteranceId: string
  start: number
  end: number
  /** Transcript ('' when there is none: then `textPresent` is false). */
  text: string
  textPresent: boolean
  audio: ModalitySequence
  visual: VisualSequence
  extractorVersion: string
}
