/**
 * The plain-value half of the contract (contract.ts): names of requests, events and menu commands
 * and the label sets, with no zod. The preload and the renderer import these values from here, so
 * their bundles carry no schema library; contract.ts re-exports them and checks that the request
 * names are exactly the keys of its schemas.
 */

export { EMOTIONS, type Emotion } from '../engine/core/labels'
export { EXPORT_FORMATS, type ExportFormat } from '../engine/exchange/types'

/** Every request the renderer can make, `<domain>.<function>`. */
export const REQUEST_NAMES = [
  'system.doctor',
  'project.create',
  'project.open',
  'project.close',
  'project.current',
  'media.add',
  'media.list',
  'utterances.list',
  'edits.apply',
  'edits.undo',
  'edits.redo',
  'jobs.startInference',
  'jobs.startFinetune',
  'jobs.cancel',
  'jobs.list',
  'exchange.export',
  'exchange.importSegmentation',
  'media.playback',
  'media.relink',
  'media.peaks',
  'review.dashboard',
  'review.evidence',
] as const

/** Events pushed from the engine to every front end. */
export const EVENT_NAMES = ['jobs.update', 'project.changed'] as const

/** Commands from the native menu (Electron only; the browser mode has none). */
export const MENU_COMMANDS = ['open-project', 'new-project', 'add-media', 'export', 'undo', 'redo'] as const
export type MenuCommand = (typeof MENU_COMMANDS)[number]
