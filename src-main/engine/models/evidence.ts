/**
 * What a model may look at for one utterance, and whether it has anything to go on. Owns the rule
 * that a branch the manifest marks untrained (`modalities.<m>.trained: false`) always sees its
 * modality as absent (its encoder never learned from real inputs, so numbers through it are
 * noise), and the "no evidence" verdict: none of the modalities the model was trained on is present
 * for the utterance (an empty transcript for a text-only model; no audio and no face for an
 * audio-visual one), so it gives no prediction and says why.
 */
import type { UtteranceFeatures } from '../features/types'
import type { Modality } from '../fusion/types'
import type { CheckpointManifest } from './checkpoint'

export type TrainedModalities = Record<Modality, boolean>

/** Which branches were trained, from a manifest's `modalities`. */
export function trainedModalities(modalities: CheckpointManifest['modalities']): TrainedModalities {
  return {
    text: modalities.text?.trained === true,
    audio: modalities.audio?.trained === true,
    visual: modalities.visual?.trained === true,
  }
}

/** The features with every untrained audio/visual branch marked absent (null stays null). */
export function gateFeatures(
  f: UtteranceFeatures | null | undefined,
  trained: TrainedModalities,
): UtteranceFeatures | null {
  if (!f) return null
  if ((trained.audio || !f.audio.present) && (trained.visual || !f.visual.present)) return f
  return {
    ...f,
    audio: trained.audio ? f.audio : { ...f.audio, present: false },
    visual: trained.visual ? f.visual : { ...f.visual, present: false, facePresent: false },
  }
}

/** Which modalities an utterance has, as evidence: a transcript, voiced audio, a face. */
export function presentModalities(item: {
  text: string
  features?: UtteranceFeatures | null
}): TrainedModalities {
  return {
    text: item.text.trim().length > 0,
    audio: item.features?.audio.present === true,
    visual: item.features?.visual.present === true && item.features.visual.facePresent,
  }
}

const WHAT: Record<Modality, [string, string]> = {
  text: ['text', 'no transcript'],
  audio: ['audio', 'no audio'],
  visual: ['faces', 'no face'],
}

/**
 * Null when at least one trained modality is present; otherwise the reason there is no prediction,
 * e.g. "no evidence: the model was trained on text only and this utterance has no transcript".
 */
export function noEvidenceReason(
  trained: TrainedModalities,
  item: { text: string; features?: UtteranceFeatures | null },
): string | null {
  const present = presentModalities(item)
  const mods = (['text', 'audio', 'visual'] as const).filter((m) => trained[m])
  if (mods.some((m) => present[m])) return null
  const on = mods.map((m) => WHAT[m][0]).join(' + ')
  return `no evidence: the model was trained on ${on}${mods.length === 1 ? ' only' : ''} and this utterance has ${mods.map((m) => WHAT[m][1]).join(', ')}`
}
