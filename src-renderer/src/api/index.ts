/**
 * The renderer's handle on the engine: `window.api` from the Electron preload when present,
 * otherwise the browser-mode HTTP client. Components and stores import `api` from here only.
 */
import type { FwsApi } from '@shared/contract'

declare global {
  interface Window {
    api?: FwsApi
  }
}

export function resolveApi(): FwsApi {
  if (window.api) return window.api
  throw new Error('no engine connection: open the app through Electron or `fws serve`')
}
