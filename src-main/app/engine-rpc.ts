/**
 * The engine across a process boundary: the Electron main process keeps only the window, and the
 * engine service runs in a utilityProcess (engine-process.ts), so a crash there (a native module,
 * out of memory) is reported in the window instead of taking it down. Transport-agnostic and pure,
 * so both ends are tested over a plain MessageChannel: calls are correlated by id, errors keep
 * their name and code (jobs/protocol.ts wire shape: HTTP status and UI messages still work), engine
 * events are forwarded, and when the process dies every pending call fails with a clear message.
 */
import { TaskError, toWireError, type WireError } from '../engine/core/protocol'
import type { EngineService } from '../engine/service'
import { EVENT_NAMES, type EventMap, type EventName, type RequestName } from '../contract/contract'

/** The two ends of a message channel, as both Electron's and Node's ports can provide. */
export interface RpcPort {
  postMessage(message: unknown): void
  onMessage(listener: (message: unknown) => void): void
}

type ToEngine =
  | { type: 'call'; id: number; name: RequestName; payload: unknown }
  | { type: 'mediaFile'; id: number; mediaId: string }
  | { type: 'proxyFile'; id: number; mediaId: string }
  | { type: 'dispose'; id: number }

/** A message to the engine before it gets its id. */
type Unsent = ToEngine extends infer T ? (T extends ToEngine ? Omit<T, 'id'> : never) : never

type FromEngine =
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: WireError }
  | { type: 'event'; event: EventName; payload: unknown }

/** Engine side: answers calls from `port` with `service`, and forwards its events. */
export function serveEngine(service: EngineService, port: RpcPort): void {
  const reply = (m: FromEngine) => port.postMessage(m)
  for (const event of EVENT_NAMES) service.on(event, (payload) => reply({ type: 'event', event, payload }))
  port.onMessage((raw) => {
    const m = raw as ToEngine
    const run = async (): Promise<unknown> => {
      if (m.type === 'call') return (service.handlers[m.name] as (p: unknown) => Promise<unknown>)(m.payload)
      if (m.type === 'mediaFile') return service.mediaFile(m.mediaId)
      if (m.type === 'proxyFile') return service.proxyFile(m.mediaId)
      return service.dispose()
    }
    run().then(
      (value) => reply({ type: 'result', id: m.id, value }),
      (err: unknown) => reply({ type: 'error', id: m.id, error: toWireError(err) }),
    )
  })
}

export interface EngineClient {
  /** A request the main process has already validated against the contract. */
  call(name: RequestName, payload: unknown): Promise<unknown>
  mediaFile(mediaId: string): Promise<string | null>
  /** The playable proxy the engine made for a media item (media.playback), or null. */
  proxyFile(mediaId: string): Promise<string | null>
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void
  dispose(): Promise<void>
  /** The engine process is gone: every pending and later call fails with `reason`. */
  fail(reason: string): void
}

/** Main-process side of the channel. */
export function createEngineClient(port: RpcPort): EngineClient {
  let nextId = 1
  let dead: string | null = null
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  const listeners = new Map<EventName, Set<(p: unknown) => void>>()
  port.onMessage((raw) => {
    const m = raw as FromEngine
    if (m.type === 'event') {
      for (const l of listeners.get(m.event) ?? []) l(m.payload)
      return
    }
    const p = pending.get(m.id)
    if (!p) return
    pending.delete(m.id)
    if (m.type === 'result') p.resolve(m.value)
    else p.reject(new TaskError(m.error))
  })
  const send = (m: Unsent): Promise<unknown> => {
    if (dead) return Promise.reject(new Error(dead))
    const id = nextId++
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject })
      port.postMessage({ ...m, id })
    })
  }
  return {
    call: (name, payload) => send({ type: 'call', name, payload }),
    mediaFile: (mediaId) => send({ type: 'mediaFile', mediaId }) as Promise<string | null>,
    proxyFile: (mediaId) => send({ type: 'proxyFile', mediaId }) as Promise<string | null>,
    on(event, listener) {
      let set = listeners.get(event)
      if (!set) listeners.set(event, (set = new Set()))
      const l = listener as (p: unknown) => void
      set.add(l)
      return () => set.delete(l)
    },
    dispose: async () => {
      await send({ type: 'dispose' })
    },
    fail(reason) {
      dead = reason
      for (const p of pending.values()) p.reject(new Error(reason))
      pending.clear()
    },
  }
}
