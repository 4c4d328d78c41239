// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { setApi } from '../../../src-renderer/src/api'
import { useUtterancesStore } from '../../../src-renderer/src/stores/utterances'
import { createFakeApi, predicted, row, type FakeApi } from '../fake-api'

let api: FakeApi

beforeEach(() => {
  setActivePinia(createPinia())
  api = createFakeApi([
    predicted(2, { joy: 0.5, neutral: 0.45, anger: 0.05 }), // torn: margin 0.95
    predicted(0, { joy: 0.9, neutral: 0.05, anger: 0.05 }), // sure: margin 0.15
    predicted(1, { anger: 0.6, neutral: 0.2, joy: 0.2 }), // margin 0.6
    row(3, { transcript: 'Grüße aus Köln' }),
  ])
  setApi(api)
})

describe('utterances store', () => {
  it('loads rows in time order and selects the first', async () => {
    const s = useUtterancesStore()
    await s.load('m1')
    expect(s.rows.map((r) => r.id)).toEqual(['u0', 'u1', 'u2', 'u3'])
    expect(s.selectedId).toBe('u0')
  })

  it('filters by text (transcript or translation), emotion and provenance', async () => {
    const s = useUtterancesStore()
    await s.load('m1')
    s.filterText = 'köln'
    expect(s.view.map((r) => r.id)).toEqual(['u3'])
    s.filterText = 'zeile 1'
    expect(s.view.map((r) => r.id)).toEqual(['u1'])
    s.filterText = ''
    s.filterEmotion = 'joy'
    expect(s.view.map((r) => r.id)).toEqual(['u0', 'u2'])
    s.filterEmotion = 'all'
    s.filterProvenance = 'unlabelled'
    expect(s.view.map((r) => r.id)).toEqual(['u3'])
  })

  it('queues unreviewed rows least confident first, by margin or entropy', async () => {
    const s = useUtterancesStore()
    await s.load('m1')
    s.queueMode = true
    // No prediction first (most in need of a look), then by margin uncertainty.
    expect(s.view.map((r) => r.id)).toEqual(['u3', 'u2', 'u1', 'u0'])
    // Entropy weighs the whole distribution: u1 (0.6/0.2/0.2) is flatter than u2 (0.5/0.45/0.05).
    s.metric = 'entropy'
    expect(s.view.map((r) => r.id)).toEqual(['u3', 'u1', 'u2', 'u0'])
    s.metric = 'margin'
    s.select('u2')
    await s.accept()
    expect(s.view.map((r) => r.id)).toEqual(['u3', 'u1', 'u0'])
  })

  it('sorts by confidence and emotion in both directions', async () => {
    const s = useUtterancesStore()
    await s.load('m1')
    s.sortKey = 'confidence'
    s.sortDesc = true
    expect(s.view.map((r) => r.id)).toEqual(['u3', 'u2', 'u1', 'u0'])
    s.sortDesc = false
    expect(s.view.map((r) => r.id)).toEqual(['u0', 'u1', 'u2', 'u3'])
    s.sortKey = 'emotion'
    expect(s.view.map((r) => r.id)).toEqual(['u1', 'u0', 'u2', 'u3'])
  })

  it('moves the selection through the view without wrapping', async () => {
    const s = useUtterancesStore()
    await s.load('m1')
    expect(s.move(1)?.id).toBe('u1')
    expect(s.move(5)?.id).toBe('u3')
    expect(s.move(1)?.id).toBe('u3')
    expect(s.move(-10)?.id).toBe('u0')
  })

  it('applies edits in order, shows saving then saved, and merges the engine answer', async () => {
    const s = useUtterancesStore()
    await s.load('m1')
    api.delayMs = 20
    s.select('u1')
    const a = s.relabel('sadness')
    const b = s.setTranslation('u1', 'Traurige Zeile')
    expect(s.saveState).toBe('saving')
    expect(s.pending).toBe(2)
    await Promise.all([a, b])
    expect(s.saveState).toBe('saved')
    expect(api.calls.map((c) => c.kind)).toEqual(['label', 'translation'])
    const r = s.byIdGet('u1')!
    expect(r.emotion).toBe('sadness')
    expect(r.emotionProvenance).toBe('corrected')
    expect(r.translation).toBe('Traurige Zeile')
    expect(s.canUndo).toBe(true)
    expect(s.lastHistoryId).toBe(2)
  })

  it('shows a failed write as not saved, with the reason', async () => {
    const s = useUtterancesStore()
    await s.load('m1')
    api.failNext = 'disk full'
    await expect(s.relabel('fear')).rejects.toThrow('disk full')
    expect(s.saveState).toBe('error')
    expect(s.saveError).toBe('disk full')
    expect(s.byIdGet('u0')!.emotion).toBeNull()
  })

  it('undoes and redoes one change at a time', async () => {
    const s = useUtterancesStore()
    await s.load('m1')
    await s.relabel('fear')
    await s.setTranscript('u0', 'first edit')
    await s.undo()
    expect(s.byIdGet('u0')!.transcript).toBe('line 0')
    expect(s.byIdGet('u0')!.emotion).toBe('fear')
    await s.undo()
    expect(s.byIdGet('u0')!.emotion).toBeNull()
    expect(s.canUndo).toBe(false)
    expect(await s.undo()).toBe(false)
    await s.redo()
    expect(s.byIdGet('u0')!.emotion).toBe('fear')
    expect(s.canRedo).toBe(true)
  })

  it('splits at the playhead (or the middle), merges with the next row, nudges bounds', async () => {
    const s = useUtterancesStore()
    await s.load('m1')
    s.select('u1') // 2..3.5
    await s.split(2.5)
    expect(api.calls.at(-1)).toEqual({ kind: 'split', utteranceId: 'u1', at: 2.5 })
    expect(s.rows.map((r) => r.id)).toEqual(['u0', 'u1', 'u1b', 'u2', 'u3'])
    s.select('u2')
    await s.split(100) // outside: the middle
    expect(api.calls.at(-1)).toEqual({ kind: 'split', utteranceId: 'u2', at: 4.75 })
    s.select('u0')
    await s.mergeNext()
    expect(api.calls.at(-1)).toEqual({ kind: 'merge', utteranceId: 'u0', withNextId: 'u1' })
    expect(s.rows.map((r) => r.id)).not.toContain('u1')
    await s.nudge('start', 0.1)
    expect(api.calls.at(-1)).toEqual({ kind: 'bounds', utteranceId: 'u0', start: 0.1, end: 2.5 })
    await s.nudge('end', -0.1)
    expect(api.calls.at(-1)).toEqual({ kind: 'bounds', utteranceId: 'u0', start: 0.1, end: 2.4 })
  })

  it('flags a model translation as stale after its transcript is corrected, until inference re-runs', async () => {
    const s = useUtterancesStore()
    await s.load('m1')
    await s.setTranscript('u1', 'corrected words') // u1 has a model translation
    await s.setTranscript('u3', 'no translation here') // u3 has none
    expect([...s.staleTranslations]).toEqual(['u1'])
    s.clearStale()
    expect(s.staleTranslations.size).toBe(0)
  })
})
