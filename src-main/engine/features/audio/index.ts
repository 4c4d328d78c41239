/**
 * Audio features of one utterance: T×43 (40 log-mel fbank + 3 pitch, How2 layout) and their pooled
 * [mean, std], with the silence mask. Owns turning a PCM clip into a ModalitySequence; the DSP lives
 * in fbank.ts and pitch.ts.
 */
import { AUDIO_DIM, AUDIO_POV, type ModalitySequence } from '../types'
import { Fbank, numFrames } from './fbank'
import { pitchTrack, writePitchFeatures } from './pitch'
import { poolMeanStd } from '../pool'

/**
 * Below this RMS (−80 dBFS, far under any room's noise floor) a clip is treated as silent: the
 * audio modality is masked (present = false) rather than fed to a model as if it were speech.
 */
export const SILENCE_RMS = 1e-4

let shared: Fbank | null = null

/** Computes the audio ModalitySequence of a 16 kHz mono clip (float samples in [-1, 1]). */
export function audioFeatures(pcm: Float32Array): ModalitySequence {
  const frames = numFrames(pcm.length)
  const seq = new Float32Array(frames * AUDIO_DIM)
  if (frames === 0)
    return { frames: 0, dims: AUDIO_DIM, seq, pooled: new Float32Array(2 * AUDIO_DIM), present: false }
  shared ??= new Fbank()
  shared.compute(pcm, seq, AUDIO_DIM, 0)
  writePitchFeatures(pitchTrack(pcm), seq, AUDIO_DIM, AUDIO_POV)
  let energy = 0
  for (let i = 0; i < pcm.length; i++) energy += pcm[i]! * pcm[i]!
  const present = Math.sqrt(energy / pcm.length) >= SILENCE_RMS
  const pooled = present ? poolMeanStd(seq, frames, AUDIO_DIM) : new Float32Array(2 * AUDIO_DIM)
  return { frames, dims: AUDIO_DIM, seq, pooled, present }
}
