/**
 * Preload (sandboxed, context-isolated): exposes exactly one object, `window.api`, implementing
 * the typed FwsApi contract. Each request is a named function on its own IPC channel
 * (`fws:<domain>.<fn>`); the renderer never sees ipcRenderer itself.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron'
import { EVENT_NAMES, MENU_COMMANDS, REQUEST_NAMES, type MenuCommand } from '../contract/contract-names'
import type { EventMap, EventName, FwsApi } from '../contract/contract'

function buildApi(): FwsApi {
  const api: Record<string, Record<string, (payload?: unknown) => Promise<unknown>>> = {}
  for (const name of REQUEST_NAMES) {
    const [domain, fn] = name.split('.') as [string, string]
    api[domain] ??= {}
    api[domain][fn] = (payload?: unknown) => ipcRenderer.invoke(`fws:${name}`, payload)
  }
  return {
    ...(api as unknown as Omit<FwsApi, 'on' | 'onMenu' | 'mediaUrl' | 'proxyUrl'>),
    on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void) {
      if (!EVENT_NAMES.includes(event)) throw new Error(`unknown event ${event}`)
      const wrapped = (_e: IpcRendererEvent, payload: EventMap[E]) => listener(payload)
      ipcRenderer.on(`fws-event:${event}`, wrapped)
      return () => ipcRenderer.off(`fws-event:${event}`, wrapped)
    },
    onMenu(listener: (command: MenuCommand) => void) {
      const wrapped = (_e: IpcRendererEvent, command: MenuCommand) => {
        if (MENU_COMMANDS.includes(command)) listener(command)
      }
      ipcRenderer.on('fws-menu', wrapped)
      return () => ipcRenderer.off('fws-menu', wrapped)
    },
    mediaUrl: (mediaId: string) => `fws-media://media/${encodeURIComponent(mediaId)}`,
    proxyUrl: (mediaId: string) => `fws-media://proxy/${encodeURIComponent(mediaId)}`,
    // Dialogs run in main (they need a parent window); only plain path strings come back.
    native: {
      chooseProject: (p: { create: boolean }) =>
        ipcRenderer.invoke('fws-dialog:project', { create: !!p?.create }),
      chooseMedia: () => ipcRenderer.invoke('fws-dialog:media'),
      chooseSavePath: (p: { defaultPath: string; folder?: boolean }) =>
        ipcRenderer.invoke('fws-dialog:save', {
          defaultPath: String(p?.defaultPath ?? ''),
          folder: !!p?.folder,
        }),
      pathForFile: (file: unknown) => {
        try {
          return webUtils.getPathForFile(file as File)
        } catch {
          return ''
        }
      },
    },
  }
}

contextBridge.exposeInMainWorld('api', buildApi())
