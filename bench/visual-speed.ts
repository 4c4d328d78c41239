/**
 * Micro-benchmark of the visual extractor, new vs previous settings, interleaved frame by frame in
 * one process on the same frames (machine load weighs on both alike): a generated 1280×720 clip of
 * a face photo (the astronaut test photograph) drifting slowly across the picture, sampled at 2 fps to 320 p, cut into 4-second
 * "utterances" for the pooled agreement. Usage: npx tsx bench/visual-speed.ts [frames, default 200]
 * [--face-every N] [--detect-every N] [--no-still] (the new extractor's settings; default: the defaults)
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import type { RgbFrame } from '../src-main/engine/features/visual'
import { loadFaceApi } from '../src-main/engine/features/visual/faces'
import { ffmpegTools } from '../src-main/engine/media/ffmpeg-locate'
import { sampleFrames } from '../src-main/engine/media/frames'
import { testPhotos } from '../test/engine/features/fixtures'
import { compareVisual, formatAgreement } from './visual-agreement'

const run = promisify(execFile)

async function driftingFaceFrames(n: number, fps: number): Promise<RgbFrame[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fws-vspeed-'))
  try {
    const file = path.join(dir, 'face.mp4')
    await run(ffmpegTools().ffmpeg.path, [
      ...['-v', 'error', '-y', '-loop', '1', '-i', testPhotos().face, '-t', String(n / fps)],
      ...[
        '-vf',
        'scale=-2:900,pad=1600:900:(ow-iw)/2:0,crop=1280:720:160+60*sin(t/5):90+30*cos(t/6),format=yuv420p',
      ],
      ...['-r', '25', '-c:v', 'libx264', '-preset', 'ultrafast', file],
    ])
    const frames: RgbFrame[] = []
    for await (const f of sampleFrames(file, { fps, shortSide: 320 })) frames.push(f)
    return frames
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const opt = (name: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : undefined
}
const n = Number(process.argv[2]?.startsWith('--') ? 200 : (process.argv[2] ?? 200))
const frames = await driftingFaceFrames(n, 2)
await loadFaceApi()
const spans = Array.from({ length: Math.ceil(n / 8) }, (_, i) => ({ start: 4 * i, end: 4 * i + 4 }))
process.stdout.write(
  formatAgreement(
    await compareVisual(frames, spans, true, {
      faceEvery: opt('face-every'),
      detectEvery: opt('detect-every'),
      holdStill: !process.argv.includes('--no-still'),
    }),
  ).join('\n') + '\n',
)
