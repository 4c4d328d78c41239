/**
 * The open project behind the engine service: at most one ProjectStore at a time, and the
 * contract handlers for project.*, media.*, utterances.*, edits.* and exchange.*. Owns opening /
 * closing, the "no project open" error, and emitting `project.changed` after every change so all
 * front ends mirror the same state.
 */
import path from 'node:path'
import type { EventMap, ProjectInfo, RequestHandlers } from '../contract/contract'
import { exportProject } from './exchange/export'
import { importSegmentation } from './exchange/import'
import { readFileHead } from './core/file-head'
import { PATH_REMEDIES } from './exchange/path-remedies'
import { ensureFolder, ExchangePathError, isInside, statOrNull, withDeadline } from './exchange/safe-path'
import { addMediaFiles } from './project/media-add'
import { checkProjectHeader, ProjectFileError } from './project/schema'
import { NoProjectError, ProjectStore } from './project/store'

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
export async function resolveForProject(store: ProjectStore, p: string): Promise<string> {
  if (path.isAbsolute(p)) return p
  const abs = path.resolve(store.dir, p)
  if (!(await isInside(store.dir, abs)))
    throw new ExchangePathError(
      `${p} leaves the project folder; choose a location inside ${store.dir} or type an absolute path`,
      'outside',
      p,
    )
  return abs
}

/**
 * The app's and browser mode's wording of a path error: the user chose a location in a dialog
 * (there is no --out flag there), so say what to choose instead.
 */
export function pathErrorForDialog(err: unknown, action: string): unknown {
  if (!(err instanceof ExchangePathError)) return err
  const h = PATH_REMEDIES[err.code]?.dialog
  return h ? new ExchangePathError(`${action} failed: ${err.message}. ${h}`, err.code, err.target) : err
}

/**
 * The checks of a chosen project path that touch the file system, asynchronously and with
 * deadlines, before the store's synchronous SQLite open: a missing file, a folder or FIFO, a
 * non-project file or an unanswering mount is refused without blocking the event loop.
 * `exists: false` (project.create) refuses any existing entry instead.
 */
async function checkProjectPath(file: string, expect: { exists: boolean }): Promise<void> {
  const abs = path.resolve(file)
  // lstat for create: a dangling link counts as an existing entry, like a file.
  const st = await statOrNull(abs, !expect.exists)
  if (!expect.exists) {
    if (st) throw new ProjectFileError(`a file already exists at ${abs}`, 'exists')
    return
  }
  if (!st) throw new ProjectFileError(`project file not found: ${abs}`, 'not-found')
  if (!st.isFile()) throw new ProjectFileError(`not a file: ${abs}`, 'not-a-project')
  const head = await withDeadline(readFileHead(abs, 16), 'reading', abs)
  checkProjectHeader(abs, head)
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
      // The folder first, asynchronously and with a deadline: the store's own creation is synchronous.
      await ensureFolder(path.dirname(path.resolve(file))).catch((err) => {
        throw pathErrorForDialog(err, 'Creating the project')
      })
      await checkProjectPath(file, { exists: false })
      const next = ProjectStore.create(file, { annotator: opts.annotator })
      return swap(next)!
    },
    'project.open': async ({ path: file }) => {
      // Open first: a refused file (newer, damaged) leaves the current project open.
      await checkProjectPath(file, { exists: true })
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
      try {
        return await exportProject(s, { ...p, out: await resolveForProject(s, p.out) })
      } catch (err) {
        throw pathErrorForDialog(err, 'Export')
      }
    },
    'exchange.importSegmentation': async ({ mediaId, path: file }) => {
      const s = need()
      const r = await importSegmentation(s, mediaId, await resolveForProject(s, file))
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
