/**
 * The application menu's template, pure so that what a packaged build offers is unit-tested (no
 * DevTools, no reload). Menu items send named commands to the renderer, which owns the review
 * state (undo/redo go through the same store action as the keyboard shortcut).
 */
import type { MenuItemConstructorOptions } from 'electron'
import type { MenuCommand } from '../contract/contract'

export function menuTemplate(
  send: (command: MenuCommand) => () => void,
  opts: { isPackaged: boolean },
): MenuItemConstructorOptions[] {
  const view: MenuItemConstructorOptions[] = opts.isPackaged
    ? [{ role: 'togglefullscreen' }]
    : [{ role: 'reload' }, { role: 'toggleDevTools' }, { role: 'togglefullscreen' }]
  return [
    {
      label: 'File',
      submenu: [
        { label: 'New Project…', accelerator: 'CmdOrCtrl+N', click: send('new-project') },
        { label: 'Open Project…', accelerator: 'CmdOrCtrl+O', click: send('open-project') },
        { label: 'Add Media…', accelerator: 'CmdOrCtrl+Shift+A', click: send('add-media') },
        { type: 'separator' },
        { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: send('export') },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    {
      label: 'Edit',
      submenu: [
        { label: 'Undo', accelerator: 'CmdOrCtrl+Z', click: send('undo') },
        { label: 'Redo', accelerator: 'CmdOrCtrl+Shift+Z', click: send('redo') },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
      ],
    },
    { label: 'View', submenu: view },
  ]
}
