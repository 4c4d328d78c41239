// Visual features: face-api (tiny detector + 68-landmark-tiny + expressions, wasm backend) on a real
// photograph with a face (Debian python3-skimage's astronaut.png) and on frames without one (a cat
// photo, a flat grey frame), plus the global frame descriptors on frames with known statistics.
import { beforeAll, describe, expect, it } from 'vitest'
import { getTf } from '../../../src-main/engine/backend'
import { detectFace, followFace, writeFaceColumns } from '../../../src-main/engine/features/visual/faces'
import { globalDescriptors, type RgbFrame } from '../../../src-main/engine/features/visual/global'
import {
  faceLeftBox,
  faceStep,
  recentreOnLandmarks,
  VisualFrameExtractor,
  visualSequence,
  type FaceScheduleState,
} from '../../../src-main/engine/features/visual'
import { loadFaceApi } from '../../../src-main/engine/features/visual/faces'
import {
  VIS_EXPRESSIONS,
  VIS_FACE_MISSING,
  VIS_GLOBAL,
  VIS_LANDMARKS,
  VIS_MOTION,
  VISUAL_DIM,
  VISUAL_POOLED_DIM,
} from '../../../src-main/engine/features/types'
import { imageRgb, testPhotos, type TestPhotos } from './fixtures'

let photos: TestPhotos
let face: RgbFrame
let cat: RgbFrame

beforeAll(async () => {
  photos = testPhotos()
  console.log(`face test photographs: ${photos.origin}`)
  face = await imageRgb(photos.face, 320, 320)
  cat = await imageRgb(photos.noFace, 452, 300)
})

function flat(w: number, h: number, r: number, g: number, b: number, time = 0): RgbFrame {
  const data = new Uint8Array(w * h * 3)
  for (let i = 0; i < w * h; i++) data.set([r, g, b], i * 3)
  return { time, width: w, height: h, data }
}

describe('face-api on the wasm backend', () => {
  it('runs on the engine tfjs instance with the wasm backend', async () => {
    const { tf, choice } = await getTf()
    expect(choice.name).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
  })

  it('finds the face in the astronaut photograph, with 68 landmarks inside the box and 7 expression probabilities', async () => {
    const r = await detectFace(face)
    expect(r).not.toBeNull()
    const [x, y, w, h] = r!.box
    // Eileen Collins' face sits left of centre in the upper half of the 512² portrait (≈ x 0.29–0.56, y 0.14–0.37).
    expect(x).toBeGreaterThan(0.2)
    expect(x + w).toBeLessThan(0.65)
    expect(y).toBeGreaterThan(0.05)
    expect(y + h).toBeLessThan(0.45)
    expect(w).toBeGreaterThan(0.1)
    expect(r!.score).toBeGreaterThan(0.5)
    expect(r!.landmarks.length).toBe(136)
    let inside = 0
    for (let i = 0; i < 68; i++) {
      const lx = r!.landmarks[2 * i]!
      const ly = r!.landmarks[2 * i + 1]!
      if (lx > -0.15 && lx < 1.15 && ly > -0.15 && ly < 1.15) inside++
    }
    expect(inside).toBeGreaterThanOrEqual(64)
    // Eyes (36..47) above the mouth (48..67) in a frontal face.
    const meanY = (a: number, b: number) => {
      let s = 0
      for (let i = a; i <= b; i++) s += r!.landmarks[2 * i + 1]!
      return s / (b - a + 1)
    }
    expect(meanY(36, 47)).toBeLessThan(meanY(48, 67))
    const sum = r!.expressions.reduce((a, b) => a + b, 0)
    expect(sum).toBeCloseTo(1, 3)
    // She smiles broadly in the portrait.
    expect(r!.expressions[1]!).toBeGreaterThan(0.5)

    const row = new Float32Array(VISUAL_DIM)
    writeFaceColumns(r, row)
    expect(row[VIS_FACE_MISSING]).toBe(0)
    expect(row[VIS_EXPRESSIONS + 1]).toBeCloseTo(r!.expressions[1]!, 6)
  })

  it('a photograph without a person and a flat frame give no face, the mask set and no error', async () => {
    expect(await detectFace(cat)).toBeNull()
    expect(await detectFace(flat(320, 240, 128, 128, 128))).toBeNull()
    const ex = new VisualFrameExtractor()
    const row = await ex.process(cat)
    expect(row.face).toBe(false)
    expect(row.row[VIS_FACE_MISSING]).toBe(1)
    for (let c = 0; c < VIS_FACE_MISSING; c++) expect(row.row[c]).toBe(0)
    // The scene still carries a signal: the global descriptors are not empty.
    expect(row.row[VIS_GLOBAL]!).toBeGreaterThan(0.1)
  })

  it('does not leak tensors across frames', async () => {
    const { tf } = await getTf()
    await detectFace(face)
    const before = tf.memory().numTensors
    for (let i = 0; i < 3; i++) await detectFace(i % 2 ? cat : face)
    expect(tf.memory().numTensors).toBe(before)
  })
})

describe('global frame descriptors', () => {
  it('gives brightness, colour moments and motion of frames with known statistics', () => {
    const out = new Float32Array(VISUAL_DIM)
    // Left half black, right half white: luma mean 0.5, std 0.5, every channel skew 0.
    const w = 64
    const h = 32
    const half: RgbFrame = { time: 0, width: w, height: h, data: new Uint8Array(w * h * 3) }
    for (let y = 0; y < h; y++)
      for (let x = w / 2; x < w; x++) half.data.fill(255, (y * w + x) * 3, (y * w + x) * 3 + 3)
    const g1 = globalDescriptors(half, null, out)
    expect(out[VIS_GLOBAL]).toBeCloseTo(0.5, 4)
    expect(out[VIS_GLOBAL + 1]).toBeCloseTo(0.5, 4)
    for (let c = 0; c < 3; c++) {
      expect(out[VIS_GLOBAL + 2 + c]).toBeCloseTo(0.5, 4)
      expect(out[VIS_GLOBAL + 5 + c]).toBeCloseTo(0.5, 4)
      expect(out[VIS_GLOBAL + 8 + c]).toBeCloseTo(0, 4)
    }
    expect(out[VIS_MOTION]).toBe(0) // first frame
    // Pure red frame next: R mean 1, G/B 0; motion = mean |Δluma| = mean over grid of |0.299 − {0, 1}| = (0.299 + 0.701) / 2.
    globalDescriptors(flat(w, h, 255, 0, 0), g1, out)
    expect(out[VIS_GLOBAL + 2]).toBeCloseTo(1, 4)
    expect(out[VIS_GLOBAL + 3]).toBeCloseTo(0, 4)
    expect(out[VIS_GLOBAL]).toBeCloseTo(0.299, 3)
    expect(out[VIS_MOTION]).toBeCloseTo(0.5, 3)
    // A frame of another size has no comparable predecessor: motion 0, no error.
    globalDescriptors(flat(32, 32, 0, 0, 0), g1, out)
    expect(out[VIS_MOTION]).toBe(0)
  })

  it('rejects a frame whose buffer is shorter than width × height × 3', () => {
    expect(() =>
      globalDescriptors(
        { time: 0, width: 10, height: 10, data: new Uint8Array(10) },
        null,
        new Float32Array(VISUAL_DIM),
      ),
    ).toThrow(/expected 300/)
  })
})

describe('utterance visual sequence', () => {
  it('pools face columns over face frames only and reports the face mask', async () => {
    const ex = new VisualFrameExtractor()
    const rows = [await ex.process({ ...face, time: 0 }), await ex.process({ ...cat, time: 0.5 })]
    const seq = visualSequence(rows)
    expect(seq.frames).toBe(2)
    expect(seq.present).toBe(true)
    expect(seq.facePresent).toBe(true)
    expect(seq.pooled.length).toBe(VISUAL_POOLED_DIM)
    expect(Array.from(seq.times)).toEqual([0, 0.5])
    // Landmark means equal the face frame's values (the cat frame is excluded), and the std is 0.
    expect(seq.pooled[VIS_LANDMARKS]).toBeCloseTo(rows[0]!.row[VIS_LANDMARKS]!, 6)
    expect(seq.pooled[VISUAL_DIM + VIS_LANDMARKS]).toBeCloseTo(0, 6)
    // Face-missing column pooled over all frames: fraction of face-less frames.
    expect(seq.pooled[VIS_FACE_MISSING]).toBeCloseTo(0.5, 6)
    const none = visualSequence([await ex.process(cat)])
    expect(none.facePresent).toBe(false)
    expect(none.pooled[VIS_LANDMARKS]).toBe(0)
  })
})

/** `photo` pasted into a grey 640×320 canvas with its left edge at `x`. */
function onCanvas(photo: RgbFrame, x: number, time: number): RgbFrame {
  const w = 640
  const h = 320
  const data = new Uint8Array(w * h * 3).fill(128)
  for (let y = 0; y < Math.min(h, photo.height); y++)
    data.set(photo.data.subarray(y * photo.width * 3, (y + 1) * photo.width * 3), (y * w + x) * 3)
  return { time, width: w, height: h, data }
}

describe('face tracking between detections', () => {
  it('follows a still face with landmarks and expressions close to detecting on every frame, at a quarter of the detections', async () => {
    const frames = Array.from({ length: 8 }, (_, i) => onCanvas(face, 0, i / 2))
    // The same picture 8 times: the still-picture hold is off, so the schedule alone decides.
    const every = new VisualFrameExtractor({ detectEvery: 1, faceEvery: 1, holdStill: false })
    const tracked = new VisualFrameExtractor({ detectEvery: 4, faceEvery: 1, holdStill: false })
    for (const f of frames) {
      const a = await every.process(f)
      const b = await tracked.process(f)
      expect(b.face).toBe(true)
      for (let k = VIS_LANDMARKS; k < VIS_EXPRESSIONS + 7; k++)
        expect(Math.abs(a.row[k]! - b.row[k]!)).toBeLessThan(0.05)
    }
    expect(every.detections).toBe(8)
    expect(tracked.detections).toBe(2)
    expect(tracked.faces).toBe(8)
  })

  it('detects again at once when the shot changes: the face moved across the frame, then gone', async () => {
    const ex = new VisualFrameExtractor({ detectEvery: 4 })
    const left = await ex.process(onCanvas(face, 0, 0))
    await ex.process(onCanvas(face, 0, 0.5))
    expect(ex.detections).toBe(1)
    const moved = await ex.process(onCanvas(face, 320, 1))
    expect(ex.detections).toBe(2)
    expect(moved.face).toBe(true)
    // The box followed the face to the right half.
    expect(moved.row[0]!).toBeGreaterThan(left.row[0]! + 0.4)
    const gone = await ex.process(onCanvas(cat, 0, 1.5))
    expect(ex.detections).toBe(3)
    expect(gone.face).toBe(false)
    expect(gone.row[VIS_FACE_MISSING]).toBe(1)
  })

  it('calls a face lost when its landmarks leave the carried box', () => {
    const lm = (dx: number, scale: number) => {
      const landmarks = new Float32Array(136)
      for (let i = 0; i < 68; i++) {
        landmarks[2 * i] = 0.5 + dx + scale * ((i % 9) / 8 - 0.5)
        landmarks[2 * i + 1] = 0.5 + scale * (Math.floor(i / 9) / 7 - 0.5)
      }
      return {
        box: [0, 0, 0.2, 0.2] as [number, number, number, number],
        score: 0.9,
        landmarks,
        expressions: new Float32Array(7),
        detector: 'tiny' as const,
      }
    }
    expect(faceLeftBox(lm(0, 0.9))).toBe(false)
    expect(faceLeftBox(lm(0.3, 0.9))).toBe(true)
    expect(faceLeftBox(lm(0, 0.3))).toBe(true)
    expect(faceLeftBox(lm(0, 1.6))).toBe(true)
  })

  it('following a face does not leak tensors', async () => {
    const { tf } = await getTf()
    const found = (await detectFace(face))!
    await followFace(face, found)
    const before = tf.memory().numTensors
    for (let i = 0; i < 3; i++) await followFace(face, found)
    expect(tf.memory().numTensors).toBe(before)
  })
})

describe('face schedule: detector, analysis and held frames', () => {
  const st = (o: Partial<FaceScheduleState>): FaceScheduleState => ({
    sinceDetection: 0,
    sinceAnalysis: 0,
    sameShot: true,
    tracking: true,
    ...o,
  })

  it('detects on the first frame, on a new shot and every detectEvery frames', () => {
    expect(faceStep(st({ sinceDetection: Infinity, sinceAnalysis: Infinity, sameShot: false }), 8, 2)).toBe(
      'detect',
    )
    expect(faceStep(st({ sameShot: false }), 8, 2)).toBe('detect')
    expect(faceStep(st({ sinceDetection: 7, sinceAnalysis: 1 }), 8, 2)).toBe('detect')
    expect(faceStep(st({ sinceDetection: 6, sinceAnalysis: 0 }), 8, 2)).toBe('hold')
  })

  it('holds between analyses and follows on analysis frames; none when nothing is tracked', () => {
    expect(faceStep(st({ sinceDetection: 0, sinceAnalysis: 0 }), 8, 2)).toBe('hold')
    expect(faceStep(st({ sinceDetection: 1, sinceAnalysis: 1 }), 8, 2)).toBe('follow')
    expect(faceStep(st({ sinceDetection: 1, sinceAnalysis: 1, tracking: false }), 8, 2)).toBe('none')
    // faceEvery 1 and detectEvery 4 (the extractor before issue 18): never a held frame.
    for (let k = 0; k < 3; k++)
      expect(faceStep(st({ sinceDetection: k, sinceAnalysis: 0 }), 4, 1)).not.toBe('hold')
  })

  it('holds an unchanged picture instead of analysing it, and instead of a due detection only when unchanged since that detection too', () => {
    expect(faceStep(st({ sinceDetection: 1, sinceAnalysis: 1, stillSinceAnalysis: true }), 8, 2)).toBe('hold')
    expect(faceStep(st({ sinceDetection: 3, sinceAnalysis: 3, stillSinceAnalysis: false }), 8, 4)).toBe(
      'follow',
    )
    const due = { sinceDetection: 7, sinceAnalysis: 3, stillSinceAnalysis: true }
    expect(faceStep(st({ ...due, stillSinceDetection: true }), 8, 4)).toBe('hold')
    expect(faceStep(st({ ...due, stillSinceDetection: false }), 8, 4)).toBe('detect')
    // A new shot is always detected.
    expect(faceStep(st({ sameShot: false, stillSinceAnalysis: true, stillSinceDetection: true }), 8, 4)).toBe(
      'detect',
    )
  })

  it('runs 1 detection, 4 analyses and 4 held frames in 8 frames of one shot at detectEvery 8, faceEvery 2', async () => {
    const ex = new VisualFrameExtractor({ detectEvery: 8, faceEvery: 2, holdStill: false })
    const rows = []
    for (let i = 0; i < 8; i++) rows.push(await ex.process({ ...face, time: i / 2 }))
    expect([ex.detections, ex.analyses, ex.faces]).toEqual([1, 4, 8])
    // A held frame carries the face columns of the analysed frame before it; its time is its own.
    expect(Array.from(rows[1]!.row.subarray(0, VIS_FACE_MISSING + 1))).toEqual(
      Array.from(rows[0]!.row.subarray(0, VIS_FACE_MISSING + 1)),
    )
    expect(rows[1]!.time).toBe(0.5)
  })
})

describe('still pictures', () => {
  /** The face frame with every byte moved by `delta` (clamped) inside [x0, x1) × [y0, y1) (pixels). */
  const changed = (delta: number, time: number, region = [0, 0, face.width, face.height]) => {
    const data = Uint8Array.from(face.data)
    const [x0, y0, x1, y1] = region as [number, number, number, number]
    for (let y = y0; y < y1; y++)
      for (let x = x0; x < x1; x++)
        for (let c = 0; c < 3; c++) {
          const i = (y * face.width + x) * 3 + c
          data[i] = Math.max(0, Math.min(255, data[i]! + delta))
        }
    return { ...face, data, time }
  }
  /** The face frame with re-encoding-sized noise: half the rows (bands of 4) one grey level brighter on odd `i`. */
  const noisy = (i: number) => {
    const data = Uint8Array.from(face.data)
    const row = face.width * 3
    if (i % 2)
      for (let y = 0; y < face.height; y++)
        if (y % 8 < 4) for (let p = y * row; p < (y + 1) * row; p++) data[p] = Math.min(255, data[p]! + 1)
    return { ...face, data, time: i / 2 }
  }

  it('analyses a still picture once at the defaults: no further analysis or detection while it stays the same', async () => {
    const ex = new VisualFrameExtractor()
    const rows = []
    // 16 frames (two detector periods) of one picture, with re-encoding-sized noise.
    for (let i = 0; i < 16; i++) rows.push(await ex.process(noisy(i)))
    expect([ex.detections, ex.analyses, ex.faces]).toEqual([1, 1, 16])
    expect(Array.from(rows[15]!.row.subarray(0, VIS_FACE_MISSING + 1))).toEqual(
      Array.from(rows[0]!.row.subarray(0, VIS_FACE_MISSING + 1)),
    )
    // The same frames without the hold: a detection every 8th frame, a face analysis every 4th.
    const plain = new VisualFrameExtractor({ holdStill: false })
    for (let i = 0; i < 16; i++) await plain.process(noisy(i))
    expect([plain.detections, plain.analyses]).toEqual([2, 4])
  })

  it('analyses again when the face changes, even when the rest of the picture does not', async () => {
    const ex = new VisualFrameExtractor()
    const first = (await detectFace(face))!
    const [bx, by, bw, bh] = first.box
    // Brighten the lower half of the face box (a mouth opening): a few % of the frame's area.
    const mouth = [
      Math.round((bx + 0.2 * bw) * face.width),
      Math.round((by + 0.6 * bh) * face.height),
      Math.round((bx + 0.8 * bw) * face.width),
      Math.round((by + bh) * face.height),
    ]
    for (let i = 0; i < 4; i++) await ex.process(changed(0, i / 2))
    expect(ex.analyses).toBe(1)
    await ex.process(changed(40, 2, mouth))
    expect(ex.analyses).toBe(2)
  })
})

describe('tracked box', () => {
  const faceAt = (box: [number, number, number, number], shift: number) => {
    const landmarks = new Float32Array(136)
    for (let i = 0; i < 68; i++) {
      landmarks[2 * i] = 0.2 + shift + 0.6 * ((i % 9) / 8)
      landmarks[2 * i + 1] = 0.3 + 0.6 * (Math.floor(i / 9) / 7)
    }
    return { box, score: 0.9, landmarks, expressions: new Float32Array(7), detector: 'tiny' as const }
  }

  it('moves with the landmarks and keeps them where the detector placed them in its box', () => {
    const detected = faceAt([0.4, 0.2, 0.2, 0.4], 0)
    // The face moved right by 10% of the box: landmarks sit 0.1 further right in the carried box.
    const moved = recentreOnLandmarks(faceAt([0.4, 0.2, 0.2, 0.4], 0.1), detected)
    expect(moved.box[0]).toBeCloseTo(0.42, 6)
    expect(moved.box.slice(1)).toEqual([0.2, 0.2, 0.4])
    for (let i = 0; i < 136; i++) expect(moved.landmarks[i]).toBeCloseTo(detected.landmarks[i]!, 6)
    // A face that did not move keeps its box.
    expect(recentreOnLandmarks(detected, detected).box).toEqual(detected.box)
  })
})

describe('detectFace describes the largest face only', () => {
  it('gives what face-api gives for every face, choosing the largest afterwards', async () => {
    // Two faces: the photo twice, side by side.
    const w = 640
    const h = 320
    const data = new Uint8Array(w * h * 3)
    for (let y = 0; y < 320; y++)
      for (const x0 of [0, 320])
        data.set(face.data.subarray(y * 320 * 3, (y + 1) * 320 * 3), (y * w + x0) * 3)
    const frame: RgbFrame = { time: 0, width: w, height: h, data }
    const faceapi = await loadFaceApi()
    const { tf } = await getTf()
    const input = tf.tensor3d(data, [h, w, 3], 'int32')
    const all = await faceapi
      .detectAllFaces(input, new faceapi.TinyFaceDetectorOptions({ inputSize: 320, scoreThreshold: 0.5 }))
      .withFaceLandmarks(true)
      .withFaceExpressions()
    input.dispose()
    expect(all.length).toBeGreaterThanOrEqual(2)
    let best = all[0]!
    for (const f of all) if (f.detection.box.area > best.detection.box.area) best = f
    const got = (await detectFace(frame))!
    expect(got.score).toBeCloseTo(best.detection.score, 6)
    expect(got.box[0] * w).toBeCloseTo(Math.max(0, best.detection.box.x), 3)
    const ex = best.expressions as unknown as Record<string, number>
    expect(got.expressions[1]).toBeCloseTo(ex.happy!, 5)
    expect(got.landmarks[0]! * got.box[2] * w + got.box[0] * w).toBeCloseTo(best.landmarks.positions[0]!.x, 3)
  })
})
