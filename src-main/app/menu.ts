/** The application menu, built from menuTemplate for this run (development or packaged). */
import { Menu, type BrowserWindow } from 'electron'
import type { MenuCommand } from '../contract/contract'
import { menuTemplate } from './menu-template'

export function buildMenu(win: () => BrowserWindow | null, opts: { isPackaged: boolean }): Menu {
  const send = (command: MenuCommand) => () => win()?.webContents.send('fws-menu', command)
  return Menu.buildFromTemplate(menuTemplate(send, opts))
}
