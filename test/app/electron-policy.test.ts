/**
 * The Electron main process's security decisions, as pure functions (Electron itself cannot be
 * launched here): renderer origin and entry URL per run mode, the IPC sender check, the app://
 * protocol's file lookup, the permission policy, the window options and the packaged menu.
 */
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { menuTemplate } from '../../src-main/app/menu-template'
import { isPermissionAllowed } from '../../src-main/app/permissions'
import { resolveRendererFile } from '../../src-main/app/protocol-path'
import {
  APP_ORIGIN,
  isTrustedSender,
  rendererEntryUrl,
  rendererOrigin,
} from '../../src-main/app/renderer-origin'
import { mainWindowOptions } from '../../src-main/app/window-options'

const packaged = { isPackaged: true, devServerUrl: 'http://localhost:5173' }
const dev = { isPackaged: false, devServerUrl: 'http://localhost:5173/' }

describe('renderer origin and entry URL', () => {
  it('a packaged build loads app://renderer and ignores ELECTRON_RENDERER_URL', () => {
    expect(rendererEntryUrl(packaged)).toBe('app://renderer/index.html')
    expect(rendererOrigin(packaged)).toBe(APP_ORIGIN)
  })
  it('a development run may use the dev server, but only on loopback http', () => {
    expect(rendererEntryUrl(dev)).toBe('http://localhost:5173/')
    expect(rendererOrigin(dev)).toBe('http://localhost:5173')
    expect(rendererEntryUrl({ isPackaged: false })).toBe('app://renderer/index.html')
    expect(rendererOrigin({ isPackaged: false, devServerUrl: 'http://evil.example:5173' })).toBe(APP_ORIGIN)
    expect(rendererOrigin({ isPackaged: false, devServerUrl: 'file:///tmp/x.html' })).toBe(APP_ORIGIN)
  })
})

describe('IPC sender check', () => {
  const top = (url: string) => ({ url, isTopFrame: true })
  it('accepts only the top frame of the own origin', () => {
    expect(isTrustedSender(top('app://renderer/index.html'), APP_ORIGIN)).toBe(true)
    expect(isTrustedSender(top('app://renderer/'), APP_ORIGIN)).toBe(true)
    expect(isTrustedSender(top('http://localhost:5173/'), 'http://localhost:5173')).toBe(true)
  })
  it('refuses a missing frame, a sub-frame, file://, foreign and look-alike origins', () => {
    expect(isTrustedSender(null, APP_ORIGIN)).toBe(false)
    expect(isTrustedSender(undefined, APP_ORIGIN)).toBe(false)
    expect(isTrustedSender({ url: 'app://renderer/index.html', isTopFrame: false }, APP_ORIGIN)).toBe(false)
    expect(isTrustedSender(top('file:///home/u/evil.html'), APP_ORIGIN)).toBe(false)
    expect(isTrustedSender(top('https://evil.example/'), APP_ORIGIN)).toBe(false)
    expect(isTrustedSender(top('app://renderer.evil/'), APP_ORIGIN)).toBe(false)
    expect(isTrustedSender(top('app://other/index.html'), APP_ORIGIN)).toBe(false)
    expect(isTrustedSender(top('http://localhost:5174/'), 'http://localhost:5173')).toBe(false)
    // A packaged build does not trust the dev server even if it is running.
    expect(isTrustedSender(top('http://localhost:5173/'), rendererOrigin(packaged))).toBe(false)
    expect(isTrustedSender(top(''), APP_ORIGIN)).toBe(false)
    expect(isTrustedSender(top('about:blank'), APP_ORIGIN)).toBe(false)
  })
})

describe('app:// protocol file lookup', () => {
  const root = path.resolve('/opt/fws/out/renderer')
  it('serves files inside the renderer folder, "/" as index.html', () => {
    expect(resolveRendererFile(root, 'app://renderer/')).toEqual({ file: path.join(root, 'index.html') })
    expect(resolveRendererFile(root, 'app://renderer/assets/index-1.js')).toEqual({
      file: path.join(root, 'assets', 'index-1.js'),
    })
    expect(resolveRendererFile(root, 'app://renderer/a%20b.css')).toEqual({
      file: path.join(root, 'a b.css'),
    })
  })
  it('refuses traversal, encoded separators, NUL, malformed encoding and other hosts', () => {
    // Encoded separators would climb out after decoding: refused.
    for (const url of ['app://renderer/assets/%2F..%2F..%2Fsecret', 'app://renderer/..%2f..%2fsecret'])
      expect(resolveRendererFile(root, url), url).toMatchObject({ status: 403 })
    // Plain and %2e dot segments are resolved by the URL parser at the root: still inside the folder.
    for (const url of ['app://renderer/../../etc/passwd', 'app://renderer/%2e%2e/%2e%2e/etc/passwd']) {
      const r = resolveRendererFile(root, url)
      expect(r, url).toEqual({ file: path.join(root, 'etc', 'passwd') })
    }
    expect(resolveRendererFile(root, 'app://renderer/..%5c..%5csecret')).toMatchObject({ status: 400 })
    expect(resolveRendererFile(root, 'app://renderer/x%00.js')).toMatchObject({ status: 400 })
    expect(resolveRendererFile(root, 'app://renderer/%E0%A4%A')).toMatchObject({ status: 400 })
    expect(resolveRendererFile(root, 'app://evil/index.html')).toMatchObject({ status: 404 })
    expect(resolveRendererFile(root, 'file:///etc/passwd')).toMatchObject({ status: 404 })
    expect(resolveRendererFile(root, 'not a url')).toMatchObject({ status: 400 })
  })
})

describe('permission policy', () => {
  it('denies by default, whoever asks', () => {
    for (const p of [
      'media',
      'geolocation',
      'notifications',
      'midiSysex',
      'clipboard-read',
      'openExternal',
      'hid',
    ])
      expect(isPermissionAllowed(p, 'app://renderer/index.html', APP_ORIGIN), p).toBe(false)
  })
  it('allows fullscreen and clipboard writes to the own origin only', () => {
    expect(isPermissionAllowed('fullscreen', 'app://renderer/index.html', APP_ORIGIN)).toBe(true)
    expect(isPermissionAllowed('clipboard-sanitized-write', 'app://renderer', APP_ORIGIN)).toBe(true)
    expect(isPermissionAllowed('fullscreen', 'https://evil.example/', APP_ORIGIN)).toBe(false)
    expect(isPermissionAllowed('fullscreen', 'file:///x.html', APP_ORIGIN)).toBe(false)
    expect(isPermissionAllowed('fullscreen', '', APP_ORIGIN)).toBe(false)
    expect(isPermissionAllowed('fullscreen', undefined, APP_ORIGIN)).toBe(false)
  })
})

describe('window options and menu', () => {
  it('isolated, sandboxed, no Node, no webview; DevTools only in development', () => {
    for (const isPackaged of [true, false]) {
      const w = mainWindowOptions({ preload: '/p/index.cjs', isPackaged }).webPreferences!
      expect(w).toMatchObject({
        preload: '/p/index.cjs',
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
      })
      expect(w.devTools).toBe(!isPackaged)
    }
  })
  it('the packaged menu has no DevTools and no reload', () => {
    const roles = (isPackaged: boolean) =>
      menuTemplate(() => () => {}, { isPackaged }).flatMap((m) =>
        (m.submenu as { role?: string }[]).map((i) => i.role).filter(Boolean),
      )
    expect(roles(true)).not.toContain('toggleDevTools')
    expect(roles(true)).not.toContain('reload')
    expect(roles(false)).toContain('toggleDevTools')
  })
})
