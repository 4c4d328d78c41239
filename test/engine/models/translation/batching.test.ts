// Batched translation gives what one-by-one translation gives: the batch pipeline translates up to
// 32 utterances per call (sorted by length, padded), and its output must not depend on which other
// sentences share the batch. On the shipped model with its own beam settings.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadTranslationModel } from '../../../../src-main/engine/models/translation'

const shipped = join(import.meta.dirname, '../../../../resources/models/translation-en-de')

describe('translation batching', () => {
  it.runIf(existsSync(join(shipped, 'weights.bin')))(
    'translates each sentence the same alone and in a batch of mixed lengths',
    { timeout: 120_000 },
    async () => {
      const tr = await loadTranslationModel(shipped)
      const texts = [
        'A dog runs.',
        'Two young girls are playing with a ball in the park near the old church.',
        '',
        'A man in a blue shirt is standing on a ladder cleaning windows.',
        'People sit.',
        'An old man is reading a newspaper on a wooden bench while the children laugh.',
      ]
      const batched = await tr.translate(texts)
      const alone = []
      for (const t of texts) alone.push((await tr.translate([t]))[0])
      expect(batched).toEqual(alone)
      expect(batched[2]).toBe('')
      expect(batched.filter((s) => s.length > 0)).toHaveLength(5)
      // Batches of two split the sorted sentences differently: still the same.
      expect(await tr.translate(texts, { batchSize: 2 })).toEqual(alone)
    },
  )
})
