/**
 * Public face of the feature extractors (audio fbank+pitch, visual faces + global descriptors, the
 * cache, the on-disk export). Text features live in ./text and are exported from there.
 */
export * from './types'
export { extractFeatures, planSpans, type ExtractOptions, type FeatureUtterance } from './extract'
export { audioFeatures, SILENCE_RMS } from './audio'
export { pitchTrack, type PitchTrack } from './audio/pitch'
export { Fbank, melFilters, numFrames, LOG_ENERGY_FLOOR } from './audio/fbank'
export { VisualFrameExtractor, visualSequence, type VisualRow, type RgbFrame } from './visual'
export {
  detectFace,
  loadFaceApi,
  type FaceResult,
  type FaceOptions,
  type FaceDetectorChoice,
} from './visual/faces'
export {
  featureCacheStats,
  resetFeatureCacheStats,
  featureCacheDir,
  fileFingerprint,
  featureKey,
} from './cache'
