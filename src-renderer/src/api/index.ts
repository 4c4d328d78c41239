/**
 * The renderer's handle on the engine: `window.api` from the Electron preload when present,
 * otherwise the browser-mode HTTP/WebSocket client. Stores import `useApi()` from here only, and
 * tests swap in their own implementation with `setApi()`.
 */
import type { FwsApi } from '@contract/contract'
import { createHttpApi } from './http'

declare global {
  interface Window {
    api?: FwsApi
  }
}

let current: FwsApi | null = null

export function resolveApi(): FwsApi {
  if (current) return current
  if (window.api) return (current = window.api)
  if (window.location.protocol === 'http:' || window.location.protocol === 'https:')
    return (current = createHttpApi())
  throw new Error('no engine connection: open the app through Electron or `fws serve`')
}

/** The API every store uses. */
export function useApi(): FwsApi {
  return resolveApi()
}

/** Replaces the API (component and store tests). */
export function setApi(api: FwsApi | null): void {
  current = api
}

/** True when running in Electron (native dialogs available). */
export function isDesktop(): boolean {
  return !!window.api
}
