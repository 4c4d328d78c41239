/**
 * The main window's construction options, pure so they are unit-tested: context isolation, the
 * sandbox, no Node integration, web security on, no insecure content, no <webview>, spellcheck
 * off, and DevTools only in development runs (never in a packaged build).
 */
import type { BrowserWindowConstructorOptions } from 'electron'

export function mainWindowOptions(opts: {
  preload: string
  isPackaged: boolean
}): BrowserWindowConstructorOptions {
  return {
    width: 1440,
    height: 900,
    show: false,
    title: 'Fusion Workstation',
    webPreferences: {
      preload: opts.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: !opts.isPackaged,
    },
  }
}
