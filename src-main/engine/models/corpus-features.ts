/**
 * Features for the utterances of a labelled corpus folder. Owns the grouping of a corpus's
 * utterances by media file and the calls into the feature extractor (features/extract.ts, cached),
 * so training, evaluation and the benchmark get audio/visual features through the real pipeline.
 * Text-only items (no media) get none (their audio/visual branches are masked).
 */
import { extractFeatures, type ExtractOptions } from '../features/extract'
import type { UtteranceFeatures } from '../features/types'
import { mediaPath, type Corpus } from './corpus'

export async function corpusFeatures(
  corpus: Corpus,
  opts: Pick<ExtractOptions, 'fps' | 'shortSide' | 'noVisual' | 'detector' | 'signal'> & {
    onProgress?: (fraction: number, stage: string) => void
  } = {},
): Promise<Map<string, UtteranceFeatures>> {
  const byMedia = new Map<string, { id: string; start: number; end: number; text: string }[]>()
  for (const u of corpus.utterances) {
    const file = mediaPath(corpus, u)
    if (!file || !(u.end > u.start)) continue
    let list = byMedia.get(file)
    if (!list) byMedia.set(file, (list = []))
    list.push({ id: u.id, start: u.start, end: u.end, text: u.text })
  }
  const out = new Map<string, UtteranceFeatures>()
  const files = [...byMedia.keys()]
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!
    const feats = await extractFeatures(file, byMedia.get(file)!, {
      fps: opts.fps,
      shortSide: opts.shortSide,
      noVisual: opts.noVisual,
      detector: opts.detector,
      signal: opts.signal,
      onProgress: (f, stage) => opts.onProgress?.((i + f) / files.length, stage),
    })
    for (const f of feats) out.set(f.utteranceId, f)
  }
  return out
}
