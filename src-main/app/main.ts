/**
 * Electron main process: the window, the menu and the IPC bridge to the engine. Thin on purpose:
 * every handler validates its payload against the shared contract, then calls the engine service.
 * Heavy work runs in the engine's worker threads, never here.
 */
import { app, BrowserWindow, ipcMain, Menu, net, protocol, session, shell } from 'electron'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { EVENT_NAMES, REQUEST_NAMES, validateRequest } from '../shared/contract'
import { createEngineService, type EngineService } from '../engine/service'
import { buildMenu } from './menu'
import { wireDialogs } from './dialogs'
import { CONTENT_SECURITY_POLICY } from './csp'

protocol.registerSchemesAsPrivileged([
  { scheme: 'fws-media', privileges: { standard: true, secure: true, stream: true, supportFetchAPI: true } },
])

let engine: EngineService | null = null
let mainWindow: BrowserWindow | null = null

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    show: false,
    title: 'Fusion Workstation',
    webPreferences: {
      preload: path.join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  })
  win.once('ready-to-show', () => win.show())
  // Links open in the user's browser; the app window never navigates away from the renderer.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  win.webContents.on('will-navigate', (e) => e.preventDefault())
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL)
  else void win.loadFile(path.join(import.meta.dirname, '../renderer/index.html'))
  return win
}

function wireIpc(service: EngineService): void {
  for (const name of REQUEST_NAMES) {
    ipcMain.handle(`fws:${name}`, async (event, payload: unknown) => {
      if (event.senderFrame?.url && !isOwnRenderer(event.senderFrame.url))
        throw new Error('request from an unknown frame')
      const valid = validateRequest(name, payload)
      return (service.handlers[name] as (p: unknown) => Promise<unknown>)(valid)
    })
  }
  for (const ev of EVENT_NAMES) {
    service.on(ev, (payload) => {
      for (const w of BrowserWindow.getAllWindows()) w.webContents.send(`fws-event:${ev}`, payload)
    })
  }
}

function isOwnRenderer(url: string): boolean {
  return (
    url.startsWith('file://') ||
    (!!process.env.ELECTRON_RENDERER_URL && url.startsWith(process.env.ELECTRON_RENDERER_URL))
  )
}

app.whenReady().then(() => {
  engine = createEngineService()
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    })
  })
  // Media of the open project only, streamed by Chromium's file loader (range requests included).
  protocol.handle('fws-media', async (request) => {
    const url = new URL(request.url)
    const id = decodeURIComponent(url.pathname.replace(/^\//, ''))
    // fws-media://proxy/<id> is the playable proxy the engine made (media.playback), media/<id> the original.
    const file = url.host === 'proxy' ? await engine?.proxyFile(id) : engine?.mediaFile(id)
    if (!file) return new Response('not in the open project', { status: 404 })
    return net.fetch(pathToFileURL(file).href, { headers: request.headers })
  })
  wireIpc(engine)
  wireDialogs(() => mainWindow)
  Menu.setApplicationMenu(buildMenu(() => mainWindow))
  mainWindow = createWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow()
  })
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})

let disposed = false
app.on('before-quit', (e) => {
  if (disposed || !engine) return
  // Cancel jobs and kill every spawned ffmpeg before exiting.
  e.preventDefault()
  disposed = true
  void engine.dispose().finally(() => app.quit())
})
