/**
 * The translation model as the pipeline uses it: load a model folder once, translate a list of
 * transcripts. Adapter over models/translation.
 */
export interface Translator {
  versionTag: string
  translate(texts: string[]): Promise<string[]>
}

/**
 * Loads a translation model folder. Until the translation model code is part of this build, this
 * refuses with a clear error (the batch reports it per file) rather than inventing translations.
 */
export async function loadTranslator(dir: string): Promise<Translator> {
  throw new Error(
    `cannot load the translation model in ${dir}: translation model loading is not in this build yet; run with --tasks emotion`,
  )
}
