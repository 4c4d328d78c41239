/**
 * Corpus conditions: seeded transformations of emotion examples (text + extracted features) that
 * stress a fusion model — a modality missing, corrupted or conflicting in a share of utterances.
 * Owns the condition syntax (`missing-audio:0.3`, `noise-audio:0`, …), its parsing with clear
 * errors, and applying a list of conditions to examples. Used by `fws train/eval emotion
 * --condition`, and by the fusion benchmark (which also applies them only to the test split for a
 * train/test shift). The input examples are never modified.
 *
 *   missing-M:p    in a share p of utterances modality M (text | audio | visual) is absent: no
 *                  audio stream / no frames and no face / empty transcript — via the presence masks
 *   noise-audio:s  every present audio stream mixed with noise at s dB SNR, in the energy domain of
 *                  the log-mel filterbank (signal + noise energies add per band and frame; the
 *                  noise is white-periodogram-like, exponential per band); the voicing column is
 *                  scaled by the frame's signal share; the pitch columns are left as they are
 *   swap-M:p       in a share p of utterances modality M is replaced by another utterance's
 *                  (its audio, its frames, its transcript): present but corrupted
 *   conflict-visual:p  in a share p of utterances the visual stream comes from an utterance with a
 *                  different label, so the (weaker) visual cue disagrees with the others
 */
import { AUDIO_DIM, AUDIO_FBANK_BINS, AUDIO_POV, type UtteranceFeatures } from '../features/types'
import { poolMeanStd } from '../features/pool'
import { Rng } from '../fusion/nn'
import type { Modality } from '../fusion/types'
import type { EmotionExample } from './emotion-model'

export type CorpusCondition =
  | { kind: 'missing'; modality: Modality; share: number }
  | { kind: 'noise-audio'; snrDb: number }
  | { kind: 'swap'; modality: Modality; share: number }
  | { kind: 'conflict-visual'; share: number }

const MODALITIES: Modality[] = ['text', 'audio', 'visual']

export const CONDITION_SYNTAX =
  'missing-{text|audio|visual}:SHARE, swap-{text|audio|visual}:SHARE, noise-audio:SNR_DB, conflict-visual:SHARE (SHARE in 0..1)'

/** One condition from its text form; throws a specific error for anything else. */
export function parseCondition(spec: string): CorpusCondition {
  const m = /^([a-z-]+):(-?[0-9.]+)$/.exec(spec.trim())
  if (!m) throw new Error(`condition '${spec}': expected NAME:VALUE, one of ${CONDITION_SYNTAX}`)
  const [, name, raw] = m as unknown as [string, string, string]
  const v = Number(raw)
  const share = (): number => {
    if (!(v >= 0 && v <= 1)) throw new Error(`condition '${spec}': the share must be in 0..1, got ${raw}`)
    return v
  }
  const modality = (prefix: string): Modality | null => {
    if (!name.startsWith(prefix)) return null
    const mod = name.slice(prefix.length) as Modality
    if (!MODALITIES.includes(mod))
      throw new Error(`condition '${spec}': unknown modality '${mod}' (text, audio or visual)`)
    return mod
  }
  if (name === 'noise-audio') {
    if (!Number.isFinite(v) || v < -30 || v > 60)
      throw new Error(`condition '${spec}': the SNR must be a number of dB in -30..60, got ${raw}`)
    return { kind: 'noise-audio', snrDb: v }
  }
  if (name === 'conflict-visual') return { kind: 'conflict-visual', share: share() }
  const miss = modality('missing-')
  if (miss) return { kind: 'missing', modality: miss, share: share() }
  const swap = modality('swap-')
  if (swap) return { kind: 'swap', modality: swap, share: share() }
  throw new Error(`condition '${spec}': unknown condition '${name}'; one of ${CONDITION_SYNTAX}`)
}

/** Conditions from a list of specs, each possibly comma-separated (`missing-audio:0.3,noise-audio:5`). */
export function parseConditions(specs: string[]): CorpusCondition[] {
  return specs
    .flatMap((s) => s.split(','))
    .filter((s) => s.trim())
    .map(parseCondition)
}

export function describeCondition(c: CorpusCondition): string {
  switch (c.kind) {
    case 'missing':
      return `missing-${c.modality}:${c.share}`
    case 'swap':
      return `swap-${c.modality}:${c.share}`
    case 'noise-audio':
      return `noise-audio:${c.snrDb}`
    case 'conflict-visual':
      return `conflict-visual:${c.share}`
  }
}

function withFeatures(e: EmotionExample, f: Partial<UtteranceFeatures>): EmotionExample {
  return { ...e, features: e.features ? { ...e.features, ...f } : e.features }
}

function absent(e: EmotionExample, m: Modality): EmotionExample {
  if (m === 'text') return { ...withFeatures(e, { text: '', textPresent: false }), text: '', context: [] }
  const f = e.features
  if (!f) return e
  if (m === 'audio')
    return withFeatures(e, {
      audio: {
        frames: 0,
        dims: f.audio.dims,
        seq: new Float32Array(0),
        pooled: new Float32Array(f.audio.pooled.length),
        present: false,
      },
    })
  return withFeatures(e, {
    visual: {
      frames: 0,
      dims: f.visual.dims,
      seq: new Float32Array(0),
      pooled: new Float32Array(f.visual.pooled.length),
      present: false,
      facePresent: false,
      times: new Float32Array(0),
    },
  })
}

/** Modality m of `donor` put into `e` (the rest of `e` unchanged). */
function take(e: EmotionExample, donor: EmotionExample, m: Modality): EmotionExample {
  if (m === 'text')
    return {
      ...withFeatures(e, { text: donor.text, textPresent: donor.text.length > 0 }),
      text: donor.text,
      context: donor.context,
    }
  if (!e.features || !donor.features) return e
  return withFeatures(e, m === 'audio' ? { audio: donor.features.audio } : { visual: donor.features.visual })
}

/** Log-mel energies mixed with noise at `snrDb` (see the header); a new feature sequence. */
export function noisyAudio(
  a: UtteranceFeatures['audio'],
  snrDb: number,
  rng: Rng,
): UtteranceFeatures['audio'] {
  if (!a.present || a.frames === 0) return a
  const T = a.frames
  const D = a.dims
  let total = 0
  for (let t = 0; t < T; t++) for (let b = 0; b < AUDIO_FBANK_BINS; b++) total += Math.exp(a.seq[t * D + b]!)
  const noisePerCell = total / (T * AUDIO_FBANK_BINS) / 10 ** (snrDb / 10)
  const seq = new Float32Array(a.seq)
  for (let t = 0; t < T; t++) {
    let es = 0
    let en = 0
    for (let b = 0; b < AUDIO_FBANK_BINS; b++) {
      const s = Math.exp(a.seq[t * D + b]!)
      const n = -Math.log(Math.max(rng.next(), 1e-12)) * noisePerCell
      seq[t * D + b] = Math.log(s + n)
      es += s
      en += n
    }
    if (D === AUDIO_DIM) seq[t * D + AUDIO_POV] = a.seq[t * D + AUDIO_POV]! * (es / (es + en))
  }
  return { ...a, seq, pooled: poolMeanStd(seq, T, D) }
}

function pick(rng: Rng, n: number, share: number): Set<number> {
  const idx = rng.shuffle(Array.from({ length: n }, (_, i) => i))
  return new Set(idx.slice(0, Math.round(share * n)))
}

function has(e: EmotionExample, m: Modality): boolean {
  if (m === 'text') return e.text.length > 0
  const s = e.features?.[m]
  return Boolean(s && s.present && s.frames > 0)
}

function applyOne(ex: EmotionExample[], c: CorpusCondition, rng: Rng): EmotionExample[] {
  const n = ex.length
  switch (c.kind) {
    case 'missing': {
      const chosen = pick(rng, n, c.share)
      return ex.map((e, i) => (chosen.has(i) ? absent(e, c.modality) : e))
    }
    case 'noise-audio':
      return ex.map((e) =>
        e.features && has(e, 'audio')
          ? withFeatures(e, { audio: noisyAudio(e.features.audio, c.snrDb, rng) })
          : e,
      )
    case 'swap':
    case 'conflict-visual': {
      const m: Modality = c.kind === 'swap' ? c.modality : 'visual'
      const donors = ex.map((_, i) => i).filter((i) => has(ex[i]!, m))
      const chosen = pick(rng, n, c.share)
      return ex.map((e, i) => {
        if (!chosen.has(i)) return e
        const ok = donors.filter(
          (j) => j !== i && (c.kind === 'swap' || (ex[j]!.label ?? null) !== (e.label ?? null)),
        )
        if (!ok.length) return e
        return take(e, ex[ok[rng.int(ok.length)]!]!, m)
      })
    }
  }
}

/**
 * The examples under the given conditions, in order, seeded (same seed, same result). Each
 * condition draws its own utterances from the seed and its position in the list.
 */
export function applyConditions(
  examples: EmotionExample[],
  conditions: CorpusCondition[],
  seed: number,
): EmotionExample[] {
  let out = examples
  conditions.forEach((c, k) => {
    out = applyOne(out, c, new Rng(seed * 7919 + k * 104729 + 13))
  })
  return out
}
