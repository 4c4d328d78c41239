/**
 * Writes extracted features to a folder a Python (or any) user can read without this program.
 * Owns the export layout:
 *
 *   DIR/manifest.json                 extractor version, source file, settings, column names, and per
 *                                     utterance: id, start, end, text, masks, frame counts, file names
 *   DIR/audio/<id>.npy                float32 [frames, 43]   (40 log-mel fbank, pov, log-pitch, Δlog-pitch)
 *   DIR/visual/<id>.npy               float32 [frames, 161]  (see manifest.visualColumns)
 *   DIR/visual/<id>.times.npy         float32 [frames]       seconds of each sampled frame
 *   DIR/pooled_audio.npy              float32 [utterances, 86]  [mean, std] per utterance, manifest order
 *   DIR/pooled_visual.npy             float32 [utterances, 322]
 *
 * Python: `m = json.load(open('manifest.json')); a = numpy.load('audio/' + m['utterances'][0]['audioFile'])`.
 * Writes into a temp folder next to DIR and renames it into place, so DIR is never half written.
 */
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { encodeNpy } from './npy'
import {
  AUDIO_DIM,
  AUDIO_FBANK_BINS,
  AUDIO_POOLED_DIM,
  EXPRESSION_LABELS,
  EXTRACTOR_VERSION,
  VISUAL_DIM,
  VISUAL_POOLED_DIM,
  type UtteranceFeatures,
} from './types'

export const EXPORT_FORMAT = 'fws-features-npy-1'

export function audioColumnNames(): string[] {
  const names = Array.from({ length: AUDIO_FBANK_BINS }, (_, i) => `fbank_${i}`)
  names.push('pov', 'log_pitch_norm', 'delta_log_pitch')
  if (names.length !== AUDIO_DIM) throw new Error('audio column names out of step with AUDIO_DIM')
  return names
}

export function visualColumnNames(): string[] {
  const names = ['face_x', 'face_y', 'face_w', 'face_h', 'face_score']
  for (let i = 0; i < 68; i++) names.push(`lm${i}_x`, `lm${i}_y`)
  for (const e of EXPRESSION_LABELS) names.push(`expr_${e}`)
  names.push('face_missing')
  names.push('luma_mean', 'luma_std', 'r_mean', 'g_mean', 'b_mean', 'r_std', 'g_std', 'b_std')
  names.push('r_skew', 'g_skew', 'b_skew', 'motion')
  if (names.length !== VISUAL_DIM) throw new Error('visual column names out of step with VISUAL_DIM')
  return names
}

export interface ExportMeta {
  source: string
  settings: Record<string, unknown>
}

function safeName(id: string, used: Set<string>): string {
  const base =
    id
      .replace(/[^A-Za-z0-9_.-]/g, '_')
      .replace(/^\.+/, '_')
      .slice(0, 80) || 'utt'
  let name = base
  for (let i = 2; used.has(name.toLowerCase()); i++) name = `${base}-${i}`
  used.add(name.toLowerCase())
  return name
}

/**
 * Throws when `outDir` may not be written: it exists, is not empty and holds no earlier export.
 * Call before a long extraction so a bad --out fails at once.
 */
export async function checkExportTarget(outDir: string): Promise<void> {
  const dir = path.resolve(outDir)
  if (existsSync(dir) && !existsSync(path.join(dir, 'manifest.json'))) {
    const st = await stat(dir)
    if (!st.isDirectory()) throw new Error(`${dir} exists and is not a folder`)
    if ((await readdir(dir)).length)
      throw new Error(
        `${dir} exists and is not an earlier feature export (no manifest.json): refusing to overwrite it`,
      )
  }
}

/** Writes `features` to `outDir` (created; an existing folder is replaced only if it holds an earlier export). */
export async function writeFeatureExport(
  outDir: string,
  features: readonly UtteranceFeatures[],
  meta: ExportMeta,
): Promise<void> {
  const dir = path.resolve(outDir)
  await checkExportTarget(dir)
  const tmp = `${dir}.tmp-${process.pid}`
  await rm(tmp, { recursive: true, force: true })
  await mkdir(path.join(tmp, 'audio'), { recursive: true })
  await mkdir(path.join(tmp, 'visual'), { recursive: true })
  const used = new Set<string>()
  const pooledA = new Float32Array(features.length * AUDIO_POOLED_DIM)
  const pooledV = new Float32Array(features.length * VISUAL_POOLED_DIM)
  const entries = []
  for (const [i, f] of features.entries()) {
    const name = safeName(f.utteranceId, used)
    await writeFile(
      path.join(tmp, 'audio', `${name}.npy`),
      encodeNpy(f.audio.seq, [f.audio.frames, AUDIO_DIM]),
    )
    await writeFile(
      path.join(tmp, 'visual', `${name}.npy`),
      encodeNpy(f.visual.seq, [f.visual.frames, VISUAL_DIM]),
    )
    await writeFile(
      path.join(tmp, 'visual', `${name}.times.npy`),
      encodeNpy(f.visual.times, [f.visual.frames]),
    )
    pooledA.set(f.audio.pooled, i * AUDIO_POOLED_DIM)
    pooledV.set(f.visual.pooled, i * VISUAL_POOLED_DIM)
    entries.push({
      id: f.utteranceId,
      start: f.start,
      end: f.end,
      text: f.text,
      textPresent: f.textPresent,
      audioPresent: f.audio.present,
      audioFrames: f.audio.frames,
      audioFile: `audio/${name}.npy`,
      visualPresent: f.visual.present,
      facePresent: f.visual.facePresent,
      visualFrames: f.visual.frames,
      visualFile: `visual/${name}.npy`,
      visualTimesFile: `visual/${name}.times.npy`,
    })
  }
  await writeFile(path.join(tmp, 'pooled_audio.npy'), encodeNpy(pooledA, [features.length, AUDIO_POOLED_DIM]))
  await writeFile(
    path.join(tmp, 'pooled_visual.npy'),
    encodeNpy(pooledV, [features.length, VISUAL_POOLED_DIM]),
  )
  const manifest = {
    format: EXPORT_FORMAT,
    extractorVersion: features[0]?.extractorVersion ?? EXTRACTOR_VERSION,
    source: meta.source,
    createdAt: new Date().toISOString(),
    settings: meta.settings,
    audio: {
      dims: AUDIO_DIM,
      frameShiftSec: 0.01,
      frameLengthSec: 0.025,
      columns: audioColumnNames(),
      pooled: 'pooled_audio.npy rows: [mean(43), std(43)] over frames; zeros when audioPresent is false',
    },
    visual: {
      dims: VISUAL_DIM,
      columns: visualColumnNames(),
      pooled:
        'pooled_visual.npy rows: [mean(161), std(161)]; face columns over frames with a face, the rest over all frames; zeros when visualPresent is false',
    },
    utterances: entries,
  }
  await writeFile(path.join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
  await rm(dir, { recursive: true, force: true })
  await rename(tmp, dir)
}
