/**
 * The open project behind the engine service: at most one ProjectStore at a time, and the
 * contract handlers for project.*, media.*, utterances.*, edits.* and exchange.*. Owns opening /
 * closing, the "no project open" error, and emitting `project.changed` after every change so all
 * front ends mirror the same state.
 */
import path from 'node:path'
import type { EventMap, ProjectInfo, RequestHandlers } from '../../shared/contract'
import { exportProject } from '../exchange/export'
import { importSegmentation } from '../exchange/import'
import { ExchangePathError, isInside } from '../exchange/safe-path'
import { addMediaFiles } from './media-add'
import { ProjectStore } from './store'

export type ProjectHandlerName =
  | 'project.create'
  | 'project.open'
  | 'project.close'
  | 'project.current'
  | 'media.add'
  | 'media.list'
  | 'utterances.list'
  | 'edits.apply'
  | 'edits.undo'
  | 'edits.redo'
  | 'exchange.export'
  | 'exchange.importSegmentation'

/**
 * Browser mode sends paths relative to the project's folder: those must stay inside it (a crafted
 * "../../x" is refused). Absolute paths come from a native file dialog and are taken as chosen.
 */
export function resolveForProject(store: ProjectStore, p: string): string {
  if (path.isAbsolute(p)) return p
  const abs = path.resolve(store.dir, p)
  if (!isInside(store.dir, abs))
    throw new ExchangePathError(
      `${p} leaves the project folder; give a path inside ${store.dir} or an absolute path`,
    )
  return abs
}

export class NoProjectError extends Error {
  override name = 'NoProjectError'
  constructor() {
    super('no project is open: create or open a project first')
  }
}

export interface ProjectSession {
  handlers: Pick<RequestHandlers, ProjectHandlerName>
  /** The open store (for jobs that read utterances and write predictions), or null. */
  current(): ProjectStore | null
  mediaFile(mediaId: string): string | null
  /** Tells the front ends the project changed (e.g. after a job wrote predictions). */
  notifyChanged(): void
  close(): void
}

export function createProjectSession(
  emit: (event: 'project.changed', payload: EventMap['project.changed']) => void,
  opts: { annotator?: string } = {},
): ProjectSession {
  let store: ProjectStore | null = null
  const need = (): ProjectStore => {
    if (!store || !store.isOpen) throw new NoProjectError()
    return store
  }
  const changed = () => emit('project.changed', store?.isOpen ? store.info() : null)
  const swap = (next: ProjectStore | null): ProjectInfo | null => {
    store?.close()
    store = next
    changed()
    return store?.info() ?? null
  }

  const handlers: ProjectSession['handlers'] = {
    'project.create': async ({ path: file }) => {
      const next = ProjectStore.create(file, { annotator: opts.annotator })
      return swap(next)!
    },
    'project.open': async ({ path: file }) => {
      // Open first: a refused file (newer, damaged) leaves the current project open.
      const next = ProjectStore.open(file, { annotator: opts.annotator })
      return swap(next)!
    },
    'project.close': async () => {
      swap(null)
    },
    'project.current': async () => (store?.isOpen ? store.info() : null),
    'media.add': async ({ paths }) => {
      const s = need()
      const res = await addMediaFiles(s, paths)
      changed()
      return res
    },
    'media.list': async () => need().listMedia(),
    'utterances.list': async ({ mediaId }) => need().listUtterances(mediaId),
    'edits.apply': async (edit) => {
      const r = need().applyEdit(edit)
      changed()
      return r
    },
    'edits.undo': async () => {
      const r = need().undo()
      if (r) changed()
      return r
    },
    'edits.redo': async () => {
      const r = need().redo()
      if (r) changed()
      return r
    },
    'exchange.export': async (p) => {
      const s = need()
      return exportProject(s, { ...p, out: resolveForProject(s, p.out) })
    },
    'exchange.importSegmentation': async ({ mediaId, path: file }) => {
      const s = need()
      const r = await importSegmentation(s, mediaId, resolveForProject(s, file))
      changed()
      return r.rows
    },
  }
  return {
    handlers,
    current: () => (store?.isOpen ? store : null),
    mediaFile: (mediaId) => (store?.isOpen ? store.mediaFile(mediaId) : null),
    notifyChanged: changed,
    close: () => {
      store?.close()
      store = null
    },
  }
}
