// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import { ApiError, createHttpApi } from '../../../src-renderer/src/api/http'

function fakeFetch(answers: Record<string, { status: number; body: unknown }>) {
  const calls: { url: string; body: string }[] = []
  const f = (async (url: string, init: { body: string }) => {
    calls.push({ url, body: init.body })
    const name = url.split('/api/')[1]!
    const a = answers[name] ?? { status: 404, body: { error: `unknown request "${name}"` } }
    return new Response(JSON.stringify(a.body), { status: a.status })
  }) as unknown as typeof fetch
  return { f, calls }
}

class FakeSocket {
  static last: FakeSocket | null = null
  onopen: (() => void) | null = null
  onmessage: ((m: { data: string }) => void) | null = null
  onclose: (() => void) | null = null
  constructor(readonly url: string) {
    FakeSocket.last = this
  }
}

describe('browser-mode API client', () => {
  it('posts each request as JSON to /api/<name> and returns the result', async () => {
    const { f, calls } = fakeFetch({ 'utterances.list': { status: 200, body: { result: [{ id: 'u1' }] } } })
    const api = createHttpApi({ origin: 'http://127.0.0.1:5000', fetch: f })
    expect(await api.utterances.list({ mediaId: 'm1' })).toEqual([{ id: 'u1' }])
    expect(calls).toEqual([{ url: 'http://127.0.0.1:5000/api/utterances.list', body: '{"mediaId":"m1"}' }])
  })

  it('sends no body for requests without a payload, and maps null to undefined', async () => {
    const { f, calls } = fakeFetch({ 'project.close': { status: 200, body: { result: null } } })
    const api = createHttpApi({ origin: 'http://x', fetch: f })
    expect(await api.project.close()).toBeUndefined()
    expect(calls[0]!.body).toBe('')
  })

  it('turns engine errors into ApiError with the engine message', async () => {
    const { f } = fakeFetch({
      'edits.apply': { status: 400, body: { error: 'invalid payload for edits.apply: kind' } },
    })
    const api = createHttpApi({ origin: 'http://x', fetch: f })
    const err = await api.edits.apply({ kind: 'accept', utteranceId: 'u' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).message).toBe('invalid payload for edits.apply: kind')
    expect((err as ApiError).status).toBe(400)
  })

  it('dispatches WebSocket events to subscribers until they unsubscribe', () => {
    const api = createHttpApi({
      origin: 'http://127.0.0.1:5000',
      fetch: fakeFetch({}).f,
      WebSocket: FakeSocket as unknown as typeof WebSocket,
    })
    const got: unknown[] = []
    const off = api.on('project.changed', (p) => got.push(p))
    expect(FakeSocket.last!.url).toBe('ws://127.0.0.1:5000/events')
    FakeSocket.last!.onmessage!({ data: JSON.stringify({ event: 'project.changed', payload: null }) })
    FakeSocket.last!.onmessage!({ data: JSON.stringify({ event: 'jobs.update', payload: { id: 'j' } }) })
    FakeSocket.last!.onmessage!({ data: 'not json' })
    off()
    FakeSocket.last!.onmessage!({ data: JSON.stringify({ event: 'project.changed', payload: 1 }) })
    expect(got).toEqual([null])
    expect(() => api.on('nope' as 'jobs.update', () => {})).toThrow(/unknown event/)
  })

  it('builds media URLs by id', () => {
    const api = createHttpApi({ origin: 'http://127.0.0.1:5000', fetch: fakeFetch({}).f })
    expect(api.mediaUrl('a b/c')).toBe('http://127.0.0.1:5000/media/a%20b%2Fc')
    expect(api.native).toBeUndefined()
  })
})
