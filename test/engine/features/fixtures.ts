/**
 * Fixtures for the feature tests and bench: a real face photograph from a Debian package, a photo
 * without a person, RGB24 decoding of a still image, and a short talking-head-like video (the face
 * photo while espeak-ng speaks, then a test pattern over silence). Built with ffmpeg in a temp
 * folder, never committed.
 *
 * The face photograph is scikit-image's `astronaut.png` (NASA portrait of Eileen Collins, public
 * domain) from Debian's python3-skimage; the face-less one is its `chelsea.png` (a cat). When the
 * package is not installed, its .deb is fetched with `apt-get download` (running `apt-get update`
 * first if apt has no lists) and only those two files are unpacked, without installing anything.
 */
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { ffmpegTools } from '../../../src-main/engine/media/ffmpeg-locate'
import type { RgbFrame } from '../../../src-main/engine/features/visual/global'

const run = promisify(execFile)
const SKIMAGE_DATA = '/usr/lib/python3/dist-packages/skimage/data'
const CACHE = path.join(os.tmpdir(), 'fws-feature-fixtures')

export interface TestPhotos {
  face: string
  noFace: string
  /** Where the photos came from, for test logs. */
  origin: string
}

/** Finds (or unpacks from the Debian package) the two photographs. Throws with the reason if impossible. */
export function testPhotos(): TestPhotos {
  const installed = {
    face: path.join(SKIMAGE_DATA, 'astronaut.png'),
    noFace: path.join(SKIMAGE_DATA, 'chelsea.png'),
  }
  if (existsSync(installed.face) && existsSync(installed.noFace))
    return { ...installed, origin: 'installed Debian python3-skimage' }
  const cached = { face: path.join(CACHE, 'astronaut.png'), noFace: path.join(CACHE, 'chelsea.png') }
  if (existsSync(cached.face) && existsSync(cached.noFace))
    return { ...cached, origin: 'Debian python3-skimage .deb (unpacked earlier)' }
  mkdirSync(CACHE, { recursive: true })
  const work = path.join(CACHE, `deb-${process.pid}`)
  mkdirSync(work, { recursive: true })
  try {
    const download = () =>
      execFileSync('apt-get', ['download', 'python3-skimage'], { cwd: work, stdio: 'pipe' })
    try {
      download()
    } catch {
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'pipe' })
      download()
    }
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'))
    if (!deb) throw new Error('apt-get download produced no .deb')
    for (const name of ['astronaut.png', 'chelsea.png']) {
      const png = execFileSync(
        'sh',
        ['-c', `dpkg-deb --fsys-tarfile "${path.join(work, deb)}" | tar -xO ".${SKIMAGE_DATA}/${name}"`],
        { maxBuffer: 16 << 20 },
      )
      const tmp = path.join(CACHE, `${name}.${process.pid}.tmp`)
      writeFileSync(tmp, png)
      renameSync(tmp, path.join(CACHE, name))
    }
    return { ...cached, origin: 'Debian python3-skimage .deb (apt-get download + dpkg-deb)' }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** Decodes a still image to RGB24 at width×height with ffmpeg. */
export async function imageRgb(file: string, width: number, height: number): Promise<RgbFrame> {
  const { stdout } = await run(
    ffmpegTools().ffmpeg.path,
    [
      '-v',
      'error',
      '-i',
      file,
      '-vf',
      `scale=${width}:${height}`,
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 64 << 20 },
  )
  return { time: 0, width, height, data: new Uint8Array(stdout) }
}

export interface FaceSpeechVideo {
  file: string
  /** Face photo shown and espeak-ng speaking on [0, speechEnd); test pattern and digital silence after. */
  speechEnd: number
  duration: number
}

/**
 * A 6 s H.264 + PCM clip (.mov; PCM keeps the silence digital): 0–3 s the face photo with espeak-ng speech, 3–6 s ffmpeg's testsrc2 pattern
 * with digital silence. Cached in the temp folder by name.
 */
export async function faceSpeechVideo(photo: string): Promise<FaceSpeechVideo> {
  mkdirSync(CACHE, { recursive: true })
  const file = path.join(CACHE, 'face-speech-v1.mov')
  const out = { file, speechEnd: 3, duration: 6 }
  if (existsSync(file)) return out
  const wav = path.join(CACHE, `speech-${process.pid}.wav`)
  await run('espeak-ng', ['-w', wav, '-s', '170', 'Hello there, this is a test of the feature extractor.'])
  const tmp = path.join(CACHE, `face-speech-${process.pid}.tmp.mov`)
  await run(ffmpegTools().ffmpeg.path, [
    '-v',
    'error',
    '-y',
    '-loop',
    '1',
    '-framerate',
    '10',
    '-t',
    '3',
    '-i',
    photo,
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=480x480:rate=10:duration=3',
    '-i',
    wav,
    '-filter_complex',
    '[0:v]scale=480:480,format=yuv420p,setsar=1[a];[1:v]format=yuv420p,setsar=1[b];[a][b]concat=n=2:v=1:a=0[v];' +
      '[2:a]aresample=16000,atrim=0:3,apad=whole_len=96000[au]',
    '-map',
    '[v]',
    '-map',
    '[au]',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'pcm_s16le',
    '-t',
    '6',
    tmp,
  ])
  renameSync(tmp, file)
  rmSync(wav, { force: true })
  return out
}
