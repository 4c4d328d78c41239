/**
 * Native file dialogs for the renderer (open/create project, add media, export target). They run
 * in main because they need a parent window; the renderer gets back plain paths, which then go
 * through the validated contract like any typed path would. Like every IPC channel, each dialog
 * first checks its sender (`checkSender` throws for anything but the app's own window).
 */
import { dialog, ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron'
import { z } from 'zod'

const MEDIA_EXTENSIONS = [
  'mp4',
  'm4v',
  'mov',
  'mkv',
  'webm',
  'avi',
  'mpg',
  'mpeg',
  'ts',
  'wav',
  'mp3',
  'm4a',
  'flac',
  'ogg',
]

const projectInput = z.object({ create: z.boolean() })
const saveInput = z.object({ defaultPath: z.string().max(4096), folder: z.boolean() })

export function wireDialogs(
  win: () => BrowserWindow | null,
  checkSender: (e: IpcMainInvokeEvent) => void,
): void {
  ipcMain.handle('fws-dialog:project', async (e, payload: unknown) => {
    checkSender(e)
    const { create } = projectInput.parse(payload)
    const w = win()
    const filters = [{ name: 'Fusion Workstation project', extensions: ['fwsproj'] }]
    if (create) {
      // A project is one SQLite file; the user names it where it should live.
      const opts: Electron.SaveDialogOptions = {
        title: 'New project',
        defaultPath: 'project.fwsproj',
        filters,
      }
      const r = w ? await dialog.showSaveDialog(w, opts) : await dialog.showSaveDialog(opts)
      return r.canceled || !r.filePath ? null : r.filePath
    }
    const opts: Electron.OpenDialogOptions = { title: 'Open project', properties: ['openFile'], filters }
    const r = w ? await dialog.showOpenDialog(w, opts) : await dialog.showOpenDialog(opts)
    return r.canceled ? null : (r.filePaths[0] ?? null)
  })
  ipcMain.handle('fws-dialog:media', async (e) => {
    checkSender(e)
    const w = win()
    const opts: Electron.OpenDialogOptions = {
      title: 'Add videos',
      properties: ['openFile', 'multiSelections'],
      filters: [
        { name: 'Video and audio', extensions: MEDIA_EXTENSIONS },
        { name: 'All files', extensions: ['*'] },
      ],
    }
    const r = w ? await dialog.showOpenDialog(w, opts) : await dialog.showOpenDialog(opts)
    return r.canceled ? [] : r.filePaths
  })
  ipcMain.handle('fws-dialog:save', async (e, payload: unknown) => {
    checkSender(e)
    const { defaultPath, folder } = saveInput.parse(payload)
    const w = win()
    if (folder) {
      const opts: Electron.OpenDialogOptions = {
        title: 'Export to folder',
        defaultPath,
        properties: ['openDirectory', 'createDirectory'],
      }
      const r = w ? await dialog.showOpenDialog(w, opts) : await dialog.showOpenDialog(opts)
      return r.canceled ? null : (r.filePaths[0] ?? null)
    }
    const opts: Electron.SaveDialogOptions = { title: 'Export', defaultPath }
    const r = w ? await dialog.showSaveDialog(w, opts) : await dialog.showSaveDialog(opts)
    return r.canceled || !r.filePath ? null : r.filePath
  })
}
