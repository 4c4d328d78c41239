/**
 * The emotion model's public API, used by the CLI (`fws train emotion`, `fws eval emotion`), the
 * inference jobs and fine-tuning. Each part lives in its own module; this one gathers them:
 * configuration and model building (emotion-config), examples from corpora (emotion-examples),
 * the checkpoint folder: save and load for prediction (emotion-checkpoint), training to a folder
 * (emotion-train), fine-tuning on corrections (emotion-finetune) and report summaries
 * (emotion-report).
 */
export {
  buildEmotionModel,
  DEFAULT_EMOTION_CONFIG,
  EMOTION_MODEL_KIND,
  type EmotionTrainConfig,
} from './emotion-config'
export { emotionExamples } from './emotion-examples'
export {
  loadEmotionModel,
  saveEmotionModel,
  type EmotionPredictionItem,
  type EmotionPredictionResult,
  type LoadedEmotionModel,
  type NoEvidence,
  type SaveEmotionOptions,
} from './emotion-checkpoint'
export { trainEmotion, type TrainEmotionOptions } from './emotion-train'
export { finetuneEmotion, type FinetuneEmotionOptions, type FinetuneEmotionResult } from './emotion-finetune'
export { reportSummary } from './emotion-report'
