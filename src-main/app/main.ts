/**
 * Electron main process: the window, the menu, the app:// protocol and the IPC bridge to the
 * engine. Thin on purpose: the engine runs in a utilityProcess (engine-process.ts), so its crash
 * is reported in the window and the engine restarted, not fatal to the window; every IPC handler
 * checks the sender's frame and validates its payload against the shared contract before
 * forwarding it. The security decisions live in small pure modules (renderer-origin,
 * protocol-path, permissions, window-options, menu-template); SECURITY.md maps them to Electron's
 * security checklist.
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  net,
  protocol,
  session,
  shell,
  utilityProcess,
  type IpcMainInvokeEvent,
  type UtilityProcess,
} from 'electron'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { EVENT_NAMES, REQUEST_NAMES, validateRequest } from '../contract/contract'
import { buildMenu } from './menu'
import { wireDialogs } from './dialogs'
import { CONTENT_SECURITY_POLICY } from './csp'
import { createEngineClient, type EngineClient } from './engine-rpc'
import { isPermissionAllowed } from './permissions'
import { resolveRendererFile } from './protocol-path'
import {
  APP_SCHEME,
  isTrustedSender,
  rendererEntryUrl,
  rendererOrigin,
  type RunMode,
} from './renderer-origin'
import { mainWindowOptions } from './window-options'

// Before `ready`: app:// behaves like https (standard, secure origin, fetch, module scripts).
protocol.registerSchemesAsPrivileged([
  {
    scheme: APP_SCHEME,
    privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
  },
  { scheme: 'fws-media', privileges: { standard: true, secure: true, stream: true, supportFetchAPI: true } },
])

const mode: RunMode = { isPackaged: app.isPackaged, devServerUrl: process.env.ELECTRON_RENDERER_URL }
const ownOrigin = rendererOrigin(mode)
const rendererDir = path.join(import.meta.dirname, '../renderer')

let engine: EngineClient | null = null
let engineProcess: UtilityProcess | null = null
let mainWindow: BrowserWindow | null = null
let quitting = false

/** Throws unless the IPC message comes from the top frame of our own renderer. */
function checkSender(event: IpcMainInvokeEvent): void {
  const frame = event.senderFrame
  if (!isTrustedSender(frame ? { url: frame.url, isTopFrame: frame.parent === null } : null, ownOrigin))
    throw new Error('request refused: it does not come from the application window')
}

/** Starts the engine process; when it dies unexpectedly, says so in the window and starts a new one. */
function startEngine(): EngineClient {
  const child = utilityProcess.fork(path.join(import.meta.dirname, 'engine.js'), [], {
    serviceName: 'Fusion Workstation engine',
    stdio: 'inherit',
  })
  engineProcess = child
  const client = createEngineClient({
    postMessage: (m) => child.postMessage(m),
    onMessage: (l) => child.on('message', l),
  })
  for (const ev of EVENT_NAMES)
    client.on(ev, (payload) => {
      for (const w of BrowserWindow.getAllWindows()) w.webContents.send(`fws-event:${ev}`, payload)
    })
  child.once('exit', (code) => {
    const reason = `the engine process stopped unexpectedly (exit code ${code})`
    client.fail(reason)
    if (quitting || engineProcess !== child) return
    engine = startEngine()
    // The new engine has no project open; the window goes back to the start screen.
    for (const w of BrowserWindow.getAllWindows()) w.webContents.send('fws-event:project.changed', null)
    if (mainWindow)
      void dialog.showMessageBox(mainWindow, {
        type: 'error',
        title: 'Engine stopped',
        message: `The engine stopped unexpectedly (exit code ${code}) and has been restarted.`,
        detail:
          'Every edit that was confirmed is saved in the project file. Open the project again to continue; a job that was running must be started again.',
      })
  })
  return client
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow(
    mainWindowOptions({
      preload: path.join(import.meta.dirname, '../preload/index.cjs'),
      isPackaged: app.isPackaged,
    }),
  )
  win.once('ready-to-show', () => win.show())
  void win.loadURL(rendererEntryUrl(mode))
  return win
}

function wireIpc(): void {
  for (const name of REQUEST_NAMES) {
    ipcMain.handle(`fws:${name}`, async (event, payload: unknown) => {
      checkSender(event)
      const valid = validateRequest(name, payload)
      if (!engine) throw new Error('the engine is not running')
      return engine.call(name, valid)
    })
  }
}

/** Every web contents: no new windows (links go to the browser), no navigation away, no <webview>. */
app.on('web-contents-created', (_e, contents) => {
  contents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  contents.on('will-navigate', (e) => e.preventDefault())
  contents.on('will-redirect', (e) => e.preventDefault())
  contents.on('will-attach-webview', (e) => e.preventDefault())
})

app.whenReady().then(() => {
  engine = startEngine()
  const ses = session.defaultSession
  ses.setPermissionRequestHandler((_wc, permission, callback, details) =>
    callback(isPermissionAllowed(permission, details.requestingUrl, ownOrigin)),
  )
  ses.setPermissionCheckHandler((_wc, permission, requestingOrigin) =>
    isPermissionAllowed(permission, requestingOrigin, ownOrigin),
  )
  ses.setDevicePermissionHandler(() => false)
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    })
  })
  // The renderer's files, from the built renderer folder only.
  protocol.handle(APP_SCHEME, async (request) => {
    const r = resolveRendererFile(rendererDir, request.url)
    if ('status' in r) return new Response(r.why, { status: r.status })
    const res = await net.fetch(pathToFileURL(r.file).href)
    const headers = new Headers(res.headers)
    headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    headers.set('X-Content-Type-Options', 'nosniff')
    return new Response(res.body, { status: res.status, headers })
  })
  // Media of the open project only, streamed by Chromium's file loader (range requests included).
  protocol.handle('fws-media', async (request) => {
    let url: URL
    let id: string
    try {
      url = new URL(request.url)
      id = decodeURIComponent(url.pathname.replace(/^\//, ''))
    } catch {
      return new Response('malformed media URL', { status: 400 })
    }
    // fws-media://proxy/<id> is the playable proxy the engine made (media.playback), media/<id> the original.
    const lookup = url.host === 'proxy' ? engine?.proxyFile(id) : engine?.mediaFile(id)
    const file = lookup ? await lookup.catch(() => null) : null
    if (!file) return new Response('not in the open project', { status: 404 })
    return net.fetch(pathToFileURL(file).href, { headers: request.headers })
  })
  wireIpc()
  wireDialogs(() => mainWindow, checkSender)
  Menu.setApplicationMenu(buildMenu(() => mainWindow, { isPackaged: app.isPackaged }))
  mainWindow = createWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow()
  })
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})

app.on('before-quit', (e) => {
  if (quitting || !engine) return
  // Cancel jobs and kill every spawned ffmpeg (in the engine process) before exiting.
  e.preventDefault()
  quitting = true
  const child = engineProcess
  void engine
    .dispose()
    .catch(() => {})
    .finally(() => {
      child?.kill()
      app.quit()
    })
})
