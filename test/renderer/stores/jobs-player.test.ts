// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { JobSnapshot } from '@contract/contract'
import { setApi } from '../../../src-renderer/src/api'
import { useJobsStore } from '../../../src-renderer/src/stores/jobs'
import { usePlayerStore } from '../../../src-renderer/src/stores/player'
import { createFakeApi, type FakeApi } from '../fake-api'

let api: FakeApi
const snap = (id: string, over: Partial<JobSnapshot> = {}): JobSnapshot => ({
  id,
  kind: 'inference',
  label: `job ${id}`,
  status: 'running',
  progress: 0,
  stage: 'decode',
  items: [],
  startedAt: 1000,
  endedAt: null,
  etaSec: null,
  error: null,
  result: null,
  ...over,
})

beforeEach(() => {
  localStorage.clear()
  setActivePinia(createPinia())
  api = createFakeApi([])
  setApi(api)
})

describe('jobs store', () => {
  it('mirrors job snapshots from events and reports total progress', async () => {
    const s = useJobsStore()
    await s.init()
    api.emit('jobs.update', snap('a', { progress: 0.2 }))
    api.emit('jobs.update', snap('b', { progress: 0.6, startedAt: 2000 }))
    expect(s.list.map((j) => j.id)).toEqual(['b', 'a'])
    expect(s.totalProgress).toBeCloseTo(0.4)
    api.emit('jobs.update', snap('a', { progress: 0.5, stage: 'features' }))
    expect(s.byId.a!.stage).toBe('features')
    expect(s.totalProgress).toBeCloseTo(0.55)
  })

  it('calls finish listeners once per job, telling failed from cancelled', async () => {
    const s = useJobsStore()
    await s.init()
    const ended: string[] = []
    s.onFinished((j) => ended.push(`${j.id}:${j.status}:${j.error ?? ''}`))
    api.emit('jobs.update', snap('a'))
    api.emit('jobs.update', snap('a', { status: 'failed', error: 'no audio stream' }))
    api.emit('jobs.update', snap('a', { status: 'failed', error: 'no audio stream' }))
    api.emit('jobs.update', snap('b', { status: 'cancelled' }))
    expect(ended).toEqual(['a:failed:no audio stream', 'b:cancelled:'])
    expect(s.active).toEqual([])
    expect(s.totalProgress).toBeNull()
    s.clearFinished()
    expect(s.list).toEqual([])
  })
})

describe('player store', () => {
  it('plays an utterance range, widened by the padding toggle and clamped to the media', () => {
    const p = usePlayerStore()
    p.duration = 10
    p.playRange(2, 3)
    expect(p.request).toMatchObject({ kind: 'play-range', start: 2, end: 3 })
    p.togglePadding()
    p.playRange(0.1, 9.9)
    expect(p.request).toMatchObject({ kind: 'play-range', start: 0, end: 10 })
    const n = p.request!.nonce
    p.playRange(0.1, 9.9)
    expect(p.request!.nonce).toBe(n + 1)
  })

  it('remembers the review toggles across reloads', () => {
    const p = usePlayerStore()
    p.toggleLoop()
    p.toggleAutoPlay()
    setActivePinia(createPinia())
    const q = usePlayerStore()
    expect(q.loop).toBe(true)
    expect(q.autoPlay).toBe(true)
    expect(q.padding).toBe(false)
  })

  it('seeking clears a playing range', () => {
    const p = usePlayerStore()
    p.playRange(1, 2)
    p.seek(5)
    expect(p.range).toBeNull()
    expect(p.request).toMatchObject({ kind: 'seek', start: 5 })
  })
})
