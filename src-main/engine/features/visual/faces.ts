/**
 * Face detection, 68 landmarks and 7-class expressions on RGB frames, with the pretrained models
 * that ship inside `@vladmandic/face-api` (read from the package's own model/ folder: no network).
 * Owns loading those models once per process onto the engine's single tfjs instance and turning
 * one detection into the face columns of the visual frame vector.
 *
 * Why the node-wasm build: it `require`s the same `@tensorflow/tfjs` the engine's getTf() set up
 * on the wasm backend, so there is one tfjs-core and one backend. Why tiny detector first at
 * 320 px: ~3× faster than SSD MobileNet; it misses faces under ~25 px, so SSD can be asked to look
 * again on frames where tiny found nothing (`detector: 'tiny+ssd'`).
 */
import { createRequire } from 'node:module'
import path from 'node:path'
import { existsSync } from 'node:fs'
import type * as FaceApi from '@vladmandic/face-api'
import { getTf } from '../../backend'
import {
  EXPRESSION_LABELS,
  VIS_EXPRESSIONS,
  VIS_FACE_BOX,
  VIS_FACE_MISSING,
  VIS_FACE_SCORE,
  VIS_LANDMARKS,
} from '../types'
import type { RgbFrame } from './global'

const require = createRequire(import.meta.url)

export type FaceDetectorChoice = 'tiny' | 'tiny+ssd' | 'ssd'

export interface FaceOptions {
  detector?: FaceDetectorChoice
  /** Detector input size in pixels (multiple of 32). Default 320. */
  inputSize?: number
  /** Minimum detection score. Default 0.5. */
  scoreThreshold?: number
}

export interface FaceResult {
  /** [x, y, w, h] normalised by frame width/height. */
  box: [number, number, number, number]
  score: number
  /** 68 (x, y) pairs normalised to the box. */
  landmarks: Float32Array
  /** 7 probabilities, EXPRESSION_LABELS order. */
  expressions: Float32Array
  /** Which detector found it. */
  detector: 'tiny' | 'ssd'
}

type FaceApiModule = typeof FaceApi

let loaded: Promise<FaceApiModule> | null = null
let ssdLoaded: Promise<void> | null = null

/** The face-api model folder inside the installed package. */
export function faceModelDir(): string {
  const dir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model')
  if (!existsSync(path.join(dir, 'tiny_face_detector_model-weights_manifest.json')))
    throw new Error(`face-api models not found in ${dir}: reinstall @vladmandic/face-api`)
  return dir
}

/** Loads face-api and the tiny detector, tiny landmark and expression models (once per process). */
export function loadFaceApi(): Promise<FaceApiModule> {
  loaded ??= (async () => {
    await getTf() // wasm backend active before face-api touches tfjs
    const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApiModule
    const dir = faceModelDir()
    await faceapi.nets.tinyFaceDetector.loadFromDisk(dir)
    await faceapi.nets.faceLandmark68TinyNet.loadFromDisk(dir)
    await faceapi.nets.faceExpressionNet.loadFromDisk(dir)
    return faceapi
  })()
  loaded.catch(() => (loaded = null))
  return loaded
}

async function loadSsd(faceapi: FaceApiModule): Promise<void> {
  ssdLoaded ??= faceapi.nets.ssdMobilenetv1.loadFromDisk(faceModelDir())
  return ssdLoaded
}

type FaceApiResult = NonNullable<
  Awaited<
    ReturnType<
      ReturnType<ReturnType<FaceApiModule['detectSingleFace']>['withFaceLandmarks']>['withFaceExpressions']
    >
  >
>

function frameTensor(tf: Awaited<ReturnType<typeof getTf>>['tf'], frame: RgbFrame) {
  const { width, height } = frame
  return tf.tensor3d(frame.data.subarray(0, width * height * 3), [height, width, 3], 'int32')
}

/** One face-api result → the engine's FaceResult (box normalised by the frame, landmarks by the box). */
function toFaceResult(r: FaceApiResult, frame: RgbFrame, detector: 'tiny' | 'ssd'): FaceResult {
  const { width, height } = frame
  const b = r.detection.box
  const bx = Math.max(0, b.x)
  const by = Math.max(0, b.y)
  const bw = Math.max(1, b.width)
  const bh = Math.max(1, b.height)
  const landmarks = new Float32Array(136)
  const pts = r.landmarks.positions
  for (let i = 0; i < 68 && i < pts.length; i++) {
    landmarks[2 * i] = (pts[i]!.x - bx) / bw
    landmarks[2 * i + 1] = (pts[i]!.y - by) / bh
  }
  const expressions = new Float32Array(7)
  const ex = r.expressions as unknown as Record<string, number>
  EXPRESSION_LABELS.forEach((k, i) => (expressions[i] = ex[k] ?? 0))
  return {
    box: [bx / width, by / height, bw / width, bh / height],
    score: r.detection.score,
    landmarks,
    expressions,
    detector,
  }
}

/**
 * Detects faces in one RGB24 frame and returns the largest one (the likeliest speaker in a
 * talking-head shot) with its landmarks and expressions, or null when there is none. The largest
 * box is chosen from the detections alone, so landmarks and expressions run on that one face only
 * (the same result as running them on every face and choosing afterwards, at the cost of one).
 */
export async function detectFace(frame: RgbFrame, opts: FaceOptions = {}): Promise<FaceResult | null> {
  const faceapi = await loadFaceApi()
  const { tf } = await getTf()
  const detector = opts.detector ?? 'tiny'
  if (frame.width < 8 || frame.height < 8) return null
  const input = frameTensor(tf, frame)
  try {
    let found: FaceApi.FaceDetection[] = []
    let used: 'tiny' | 'ssd' = 'tiny'
    if (detector !== 'ssd') {
      const o = new faceapi.TinyFaceDetectorOptions({
        inputSize: opts.inputSize ?? 320,
        scoreThreshold: opts.scoreThreshold ?? 0.5,
      })
      found = await faceapi.detectAllFaces(input, o)
    }
    if (found.length === 0 && detector !== 'tiny') {
      await loadSsd(faceapi)
      const o = new faceapi.SsdMobilenetv1Options({ minConfidence: opts.scoreThreshold ?? 0.5 })
      found = await faceapi.detectAllFaces(input, o)
      used = 'ssd'
    }
    if (found.length === 0) return null
    let best = found[0]!
    for (const f of found) if (f.box.area > best.box.area) best = f
    return await describeFace(faceapi, input, best, frame, used)
  } finally {
    input.dispose()
  }
}

/** Landmarks and expressions of the face in `detection` (a box in `input`'s pixels). */
async function describeFace(
  faceapi: FaceApiModule,
  input: ReturnType<typeof frameTensor>,
  detection: FaceApi.FaceDetection,
  frame: RgbFrame,
  detector: 'tiny' | 'ssd',
): Promise<FaceResult | null> {
  const parent = Promise.resolve(faceapi.extendWithFaceDetection({}, detection))
  const r = await new faceapi.DetectSingleFaceLandmarksTask(parent, input, true).withFaceExpressions()
  return r ? toFaceResult(r, frame, detector) : null
}

/**
 * Landmarks and expressions of the face at `from.box` in a later frame, without a detector pass
 * (the detector is ~60% of the per-frame cost): the step a tracker takes between detections. The
 * box and score are carried over from `from`; the landmarks and expressions are this frame's.
 */
export async function followFace(frame: RgbFrame, from: FaceResult): Promise<FaceResult | null> {
  const faceapi = await loadFaceApi()
  const { tf } = await getTf()
  const [x, y, w, h] = from.box
  const detection = new faceapi.FaceDetection(from.score, new faceapi.Rect(x, y, w, h), {
    width: frame.width,
    height: frame.height,
  })
  const input = frameTensor(tf, frame)
  try {
    return await describeFace(faceapi, input, detection, frame, from.detector)
  } finally {
    input.dispose()
  }
}

/** Writes a face (or the face-missing mask when `face` is null) into a visual frame row at `offset`. */
export function writeFaceColumns(face: FaceResult | null, out: Float32Array, offset = 0): void {
  if (!face) {
    out.fill(0, offset + VIS_FACE_BOX, offset + VIS_FACE_MISSING)
    out[offset + VIS_FACE_MISSING] = 1
    return
  }
  out.set(face.box, offset + VIS_FACE_BOX)
  out[offset + VIS_FACE_SCORE] = face.score
  out.set(face.landmarks, offset + VIS_LANDMARKS)
  out.set(face.expressions, offset + VIS_EXPRESSIONS)
  out[offset + VIS_FACE_MISSING] = 0
}
