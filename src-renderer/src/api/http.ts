/**
 * The browser-mode implementation of the typed FwsApi: each request is `POST /api/<name>` with the
 * JSON payload, engine events arrive on the `/events` WebSocket. The per-run token travels in the
 * HttpOnly cookie the server set when the printed URL was opened, so this code never sees it.
 * That cookie is bound to the page's per-run path (/s/<id>/), so every URL here is built from the
 * page's own folder, not from the bare origin.
 */
import { EVENT_NAMES, REQUEST_NAMES } from '@contract/contract-names'
import type { EventMap, EventName, FwsApi, RequestName } from '@contract/contract'

/** An error the engine (or the server's validation) answered with. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly request: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export interface HttpApiOptions {
  /** Base URL of the `fws serve` session, without a trailing slash (default: the page's own folder). */
  origin?: string
  fetch?: typeof fetch
  /** WebSocket constructor (tests pass a fake). */
  WebSocket?: typeof WebSocket
  /** Called when the event socket connects or drops (the status bar shows it). */
  onConnection?: (connected: boolean) => void
}

export function createHttpApi(opts: HttpApiOptions = {}): FwsApi {
  const origin = opts.origin ?? new URL('.', window.location.href).href.replace(/\/$/, '')
  const doFetch = opts.fetch ?? window.fetch.bind(window)
  const WS = opts.WebSocket ?? window.WebSocket
  const listeners = new Map<EventName, Set<(p: unknown) => void>>()
  let socket: WebSocket | null = null
  let retry = 0

  async function request(name: RequestName, payload?: unknown): Promise<unknown> {
    const res = await doFetch(`${origin}/api/${name}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: payload === undefined ? '' : JSON.stringify(payload),
      credentials: 'same-origin',
    })
    const text = await res.text()
    let body: { result?: unknown; error?: string }
    try {
      body = JSON.parse(text) as typeof body
    } catch {
      throw new ApiError(text.trim() || `HTTP ${res.status}`, res.status, name)
    }
    if (!res.ok) throw new ApiError(body.error ?? `HTTP ${res.status}`, res.status, name)
    return body.result ?? undefined
  }

  function connect(): void {
    const wsUrl = origin.replace(/^http/, 'ws') + '/events'
    const ws = new WS(wsUrl)
    socket = ws
    ws.onopen = () => {
      retry = 0
      opts.onConnection?.(true)
    }
    ws.onmessage = (m: MessageEvent) => {
      let msg: { event?: string; payload?: unknown }
      try {
        msg = JSON.parse(String(m.data)) as typeof msg
      } catch {
        return
      }
      const set = listeners.get(msg.event as EventName)
      if (set) for (const l of set) l(msg.payload)
    }
    ws.onclose = () => {
      opts.onConnection?.(false)
      if (socket !== ws) return
      socket = null
      // Reconnect with backoff while anyone listens (the server may be restarting).
      if ([...listeners.values()].some((s) => s.size > 0)) {
        retry = Math.min(retry + 1, 6)
        setTimeout(
          () => {
            if (!socket) connect()
          },
          250 * 2 ** retry,
        )
      }
    }
  }

  const api: Record<string, Record<string, (payload?: unknown) => Promise<unknown>>> = {}
  for (const name of REQUEST_NAMES) {
    const [domain, fn] = name.split('.') as [string, string]
    api[domain] ??= {}
    api[domain][fn] = (payload?: unknown) => request(name, payload)
  }
  return {
    ...(api as unknown as Omit<FwsApi, 'on' | 'onMenu' | 'mediaUrl' | 'proxyUrl'>),
    on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void) {
      if (!EVENT_NAMES.includes(event)) throw new Error(`unknown event ${event}`)
      let set = listeners.get(event)
      if (!set) listeners.set(event, (set = new Set()))
      const l = listener as (p: unknown) => void
      set.add(l)
      if (!socket) connect()
      return () => {
        set.delete(l)
      }
    },
    onMenu: () => () => {},
    mediaUrl: (mediaId: string) => `${origin}/media/${encodeURIComponent(mediaId)}`,
    proxyUrl: (mediaId: string) => `${origin}/proxy/${encodeURIComponent(mediaId)}`,
  }
}
