/**
 * An in-memory FwsApi for store and component tests: holds utterance rows and a linear edit
 * history so the renderer's logic (ordering, save state, undo/redo wiring) runs against something
 * that behaves like the engine's contract. Requests can be delayed or made to fail.
 */
import type {
  Edit,
  EditResult,
  EventMap,
  EventName,
  FwsApi,
  JobSnapshot,
  UtteranceRow,
} from '@contract/contract'

export function row(i: number, over: Partial<UtteranceRow> = {}): UtteranceRow {
  return {
    id: `u${i}`,
    mediaId: 'm1',
    index: i,
    start: i * 2,
    end: i * 2 + 1.5,
    transcript: `line ${i}`,
    transcriptProvenance: 'imported',
    emotion: null,
    emotionProvenance: null,
    prediction: null,
    emotionNoEvidence: null,
    translation: null,
    translationProvenance: null,
    source: 'srt',
    ...over,
  }
}

export function predicted(
  i: number,
  probs: Record<string, number>,
  over: Partial<UtteranceRow> = {},
): UtteranceRow {
  const label = Object.entries(probs).sort((a, b) => b[1] - a[1])[0]![0]
  const v = Object.values(probs).sort((a, b) => b - a)
  return row(i, {
    prediction: {
      label,
      probabilities: probs,
      uncertainty: 1 - (v[0]! - (v[1] ?? 0)),
      modelVersion: 'emo-1',
    },
    emotionProvenance: 'model',
    translation: `Zeile ${i}`,
    translationProvenance: 'model',
    ...over,
  })
}

export interface FakeApi extends FwsApi {
  rows: Map<string, UtteranceRow>
  calls: Edit[]
  failNext: string | null
  delayMs: number
  emit<E extends EventName>(event: E, payload: EventMap[E]): void
}

export function createFakeApi(initial: UtteranceRow[]): FakeApi {
  const rows = new Map(initial.map((r) => [r.id, r]))
  const undo: { before: UtteranceRow[]; after: UtteranceRow[] }[] = []
  const redo: typeof undo = []
  const listeners = new Map<string, Set<(p: unknown) => void>>()
  let history = 0
  const sleep = () => new Promise((r) => setTimeout(r, api.delayMs))

  function result(changed: UtteranceRow[], removed: string[]): EditResult {
    return { changed, removed, canUndo: undo.length > 0, canRedo: redo.length > 0, historyId: ++history }
  }
  function applyRows(before: UtteranceRow[], after: UtteranceRow[]): EditResult {
    for (const b of before) rows.delete(b.id)
    for (const a of after) rows.set(a.id, a)
    const removed = before.filter((b) => !after.some((a) => a.id === b.id)).map((b) => b.id)
    return result(after, removed)
  }
  function plan(e: Edit): { before: UtteranceRow[]; after: UtteranceRow[] } {
    const r = rows.get(e.utteranceId)
    if (!r) throw new Error(`no utterance ${e.utteranceId}`)
    switch (e.kind) {
      case 'label':
        return { before: [r], after: [{ ...r, emotion: e.emotion, emotionProvenance: 'corrected' }] }
      case 'accept':
        // As the engine: one field per accept, the emotion unless the translation is named.
        return {
          before: [r],
          after: [
            e.field === 'translation'
              ? { ...r, translationProvenance: 'accepted' }
              : { ...r, emotion: r.prediction?.label ?? null, emotionProvenance: 'accepted' },
          ],
        }
      case 'transcript':
        return { before: [r], after: [{ ...r, transcript: e.text, transcriptProvenance: 'corrected' }] }
      case 'translation':
        return { before: [r], after: [{ ...r, translation: e.text, translationProvenance: 'corrected' }] }
      case 'bounds':
        return { before: [r], after: [{ ...r, start: e.start, end: e.end }] }
      case 'split':
        return {
          before: [r],
          after: [
            { ...r, end: e.at },
            { ...r, id: r.id + 'b', start: e.at },
          ],
        }
      case 'merge': {
        const n = rows.get(e.withNextId)!
        return {
          before: [r, n],
          after: [{ ...r, end: n.end, transcript: `${r.transcript} ${n.transcript}` }],
        }
      }
    }
  }

  const api: FakeApi = {
    rows,
    calls: [],
    failNext: null,
    delayMs: 0,
    emit(event, payload) {
      for (const l of listeners.get(event) ?? []) l(payload)
    },
    system: {
      doctor: async () => ({
        node: 'v20',
        platform: 'linux',
        backend: { error: 'n/a' },
        ffmpeg: { error: 'n/a' },
        ffprobe: { error: 'n/a' },
        models: [],
        gpu: { driver: null, gpus: [], summary: 'n/a' },
        devices: [],
      }),
    },
    project: {
      create: async () => {
        throw new Error('not in fake')
      },
      open: async () => {
        throw new Error('not in fake')
      },
      close: async () => {},
      current: async () => null,
    },
    media: {
      add: async () => [],
      list: async () => [],
      playback: async (p) => ({
        mediaId: p.mediaId,
        mode: 'original',
        reason: null,
        jobId: null,
        timeOffset: 0,
        path: `/media/${p.mediaId}`,
        frameRate: 25,
      }),
      relink: async () => {
        throw new Error('not in fake')
      },
      peaks: async () => {
        throw new Error('not in fake')
      },
    },
    review: {
      dashboard: async () => {
        throw new Error('not in fake')
      },
      evidence: async () => {
        throw new Error('not in fake')
      },
    },
    utterances: {
      list: async (p) => [...rows.values()].filter((r) => !p.mediaId || r.mediaId === p.mediaId),
    },
    edits: {
      async apply(e) {
        api.calls.push(e)
        await sleep()
        if (api.failNext) {
          const m = api.failNext
          api.failNext = null
          throw new Error(m)
        }
        const p = plan(e)
        undo.push(p)
        redo.length = 0
        return applyRows(p.before, p.after)
      },
      async undo() {
        await sleep()
        const p = undo.pop()
        if (!p) return null
        redo.push(p)
        return applyRows(p.after, p.before)
      },
      async redo() {
        await sleep()
        const p = redo.pop()
        if (!p) return null
        undo.push(p)
        return applyRows(p.before, p.after)
      },
    },
    jobs: {
      startInference: async () => ({}) as JobSnapshot,
      startFinetune: async () => ({}) as JobSnapshot,
      cancel: async () => {},
      list: async () => [],
    },
    exchange: { export: async () => ({ files: [], records: 0 }), importSegmentation: async () => [] },
    on(event, listener) {
      let s = listeners.get(event)
      if (!s) listeners.set(event, (s = new Set()))
      s.add(listener as (p: unknown) => void)
      return () => s.delete(listener as (p: unknown) => void)
    },
    onMenu: () => () => {},
    mediaUrl: (id) => `/media/${id}`,
    proxyUrl: (id) => `/proxy/${id}`,
  }
  return api
}
