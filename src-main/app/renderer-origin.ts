/**
 * Which origin the app's own renderer has, what the window loads, and whether an IPC message comes
 * from that renderer. Pure (no Electron import) so the rules are unit-tested: packaged builds load
 * only app://renderer/ and ignore ELECTRON_RENDERER_URL; a development run may use the
 * electron-vite dev server on a loopback http URL. A sender is trusted only when its frame exists,
 * is the top frame, and its origin equals the renderer's origin exactly (file:// never is).
 */

/** The privileged scheme the renderer is served from (see protocol-path.ts). */
export const APP_SCHEME = 'app'
export const APP_HOST = 'renderer'
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`

export interface RunMode {
  /** app.isPackaged */
  isPackaged: boolean
  /** process.env.ELECTRON_RENDERER_URL (set by `electron-vite dev`). */
  devServerUrl?: string
}

/** "scheme://host[:port]" of a URL, or null when it has none (file:, data:, about:, garbage). */
export function originOf(url: string): string | null {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return null
  }
  if (!u.host) return null
  return `${u.protocol}//${u.host}`
}

/** The dev server URL when this run may use it: never packaged, and only plain http on loopback. */
export function devServerUrl(mode: RunMode): string | null {
  if (mode.isPackaged || !mode.devServerUrl) return null
  try {
    const u = new URL(mode.devServerUrl)
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname)
    return (u.protocol === 'http:' || u.protocol === 'https:') && loopback ? u.href : null
  } catch {
    return null
  }
}

/** The URL the main window loads. */
export function rendererEntryUrl(mode: RunMode): string {
  return devServerUrl(mode) ?? `${APP_ORIGIN}/index.html`
}

/** The one origin IPC senders, permission requests and navigations may have. */
export function rendererOrigin(mode: RunMode): string {
  const dev = devServerUrl(mode)
  return dev ? originOf(dev)! : APP_ORIGIN
}

/** What the main process knows about the frame an IPC message came from (null: frame gone). */
export interface SenderFrame {
  url: string
  /** True for the window's top frame (Electron: frame.parent === null). */
  isTopFrame: boolean
}

export function isTrustedSender(frame: SenderFrame | null | undefined, allowedOrigin: string): boolean {
  if (!frame || !frame.isTopFrame) return false
  return originOf(frame.url) === allowedOrigin
}
