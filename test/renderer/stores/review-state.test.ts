// @vitest-environment happy-dom
/**
 * The review loop's per-field accept: Enter (accept) asks the engine to confirm the emotion only;
 * Shift+Enter is its own action that confirms the translation; both keys are in the on-screen
 * shortcut table.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { setApi } from '../../../src-renderer/src/api'
import { SHORTCUTS, commandForKey } from '../../../src-renderer/src/composables/shortcuts'
import { fieldStates } from '../../../src-renderer/src/util/confidence'
import { useUtterancesStore } from '../../../src-renderer/src/stores/utterances'
import { createFakeApi, predicted, row, type FakeApi } from '../fake-api'

let api: FakeApi

beforeEach(() => {
  setActivePinia(createPinia())
  api = createFakeApi([predicted(0, { joy: 0.7, neutral: 0.3 }), row(1, { transcript: '' })])
  setApi(api)
})

describe('per-field accept', () => {
  it('Enter accepts the emotion; Shift+Enter accepts the translation', () => {
    expect(commandForKey({ key: 'Enter' })).toEqual({ action: 'accept' })
    expect(commandForKey({ key: 'Enter', shiftKey: true })).toEqual({ action: 'accept-translation' })
    const shown = SHORTCUTS.find((s) => s.action === 'accept-translation')
    expect(shown).toMatchObject({ keys: 'Shift+Enter', label: 'accept translation' })
    expect(SHORTCUTS.find((s) => s.action === 'accept')?.label).toBe('accept emotion')
  })

  it('the store sends one field per accept and leaves the translation model on Enter', async () => {
    const s = useUtterancesStore()
    await s.load('m1')
    s.select('u0')
    await s.accept()
    expect(api.calls.at(-1)).toEqual({ kind: 'accept', utteranceId: 'u0', field: 'emotion' })
    expect(s.byIdGet('u0')).toMatchObject({ emotionProvenance: 'accepted', translationProvenance: 'model' })
    expect(fieldStates(s.byIdGet('u0')!)).toBe(
      'emotion: accepted · transcript: imported · translation: model',
    )
    await s.acceptTranslation()
    expect(api.calls.at(-1)).toEqual({ kind: 'accept', utteranceId: 'u0', field: 'translation' })
    expect(s.byIdGet('u0')).toMatchObject({ translationProvenance: 'accepted' })
    // Nothing to accept: no request at all.
    const n = api.calls.length
    await s.acceptTranslation()
    s.select('u1')
    await s.acceptTranslation()
    expect(api.calls).toHaveLength(n)
  })
})
