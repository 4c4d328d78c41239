/** The emotion label set of the default models (MELD's seven classes), shared by every layer. */

export const EMOTIONS = ['neutral', 'joy', 'surprise', 'anger', 'sadness', 'disgust', 'fear'] as const
export type Emotion = (typeof EMOTIONS)[number]
