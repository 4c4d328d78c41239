/**
 * The engine behind the contract: one handler per request in shared/contract.ts, and the events
 * every front end mirrors. Electron's IPC layer and the browser-mode server both validate the
 * payload and then call these handlers; neither holds any state of its own.
 */
import { EventEmitter } from 'node:events'
import type { EventMap, EventName, RequestHandlers } from '../shared/contract'
import { doctor } from './doctor'

export interface EngineService {
  handlers: RequestHandlers
  /** Engine → front-end events (job snapshots, project changes). */
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void
  /** Absolute path of a media file of the open project, or null when the id is not in it. */
  mediaFile(mediaId: string): string | null
  /** Cancels running jobs, kills child processes and closes the project. */
  dispose(): Promise<void>
}

export function createEngineService(): EngineService {
  const events = new EventEmitter()
  const notReady = (what: string) => async (): Promise<never> => {
    throw new Error(`${what} is not available in this build`)
  }
  const handlers: RequestHandlers = {
    'system.doctor': () => doctor(),
    'project.create': notReady('project.create'),
    'project.open': notReady('project.open'),
    'project.close': notReady('project.close'),
    'project.current': async () => null,
    'media.add': notReady('media.add'),
    'media.list': async () => [],
    'utterances.list': async () => [],
    'edits.apply': notReady('edits.apply'),
    'edits.undo': async () => null,
    'edits.redo': async () => null,
    'jobs.startInference': notReady('jobs.startInference'),
    'jobs.startFinetune': notReady('jobs.startFinetune'),
    'jobs.cancel': async () => undefined,
    'jobs.list': async () => [],
    'exchange.export': notReady('exchange.export'),
    'exchange.importSegmentation': notReady('exchange.importSegmentation'),
  }
  return {
    handlers,
    on(event, listener) {
      events.on(event, listener as (p: unknown) => void)
      return () => events.off(event, listener as (p: unknown) => void)
    },
    mediaFile: () => null,
    dispose: async () => {},
  }
}
