/**
 * The engine behind the contract: one handler per request in shared/contract.ts, and the events
 * every front end mirrors. Electron's IPC layer and the browser-mode server both validate the
 * payload and then call these handlers; neither holds any state of its own.
 */
import { EventEmitter } from 'node:events'
import type { EventMap, EventName, RequestHandlers } from '../shared/contract'
import { doctor } from './doctor'
import { createProjectSession, type ProjectSession } from './project/session'

export interface EngineService {
  handlers: RequestHandlers
  /** Engine → front-end events (job snapshots, project changes). */
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void
  /** Absolute path of a media file of the open project, or null when the id is not in it. */
  mediaFile(mediaId: string): string | null
  /** The open project (jobs read its utterances and write predictions through it). */
  project: ProjectSession
  /** Cancels running jobs, kills child processes and closes the project. */
  dispose(): Promise<void>
}

export function createEngineService(): EngineService {
  const events = new EventEmitter()
  const project = createProjectSession((event, payload) => events.emit(event, payload))
  const notReady = (what: string) => async (): Promise<never> => {
    throw new Error(`${what} is not available in this build`)
  }
  const handlers: RequestHandlers = {
    'system.doctor': () => doctor(),
    ...project.handlers,
    'jobs.startInference': notReady('jobs.startInference'),
    'jobs.startFinetune': notReady('jobs.startFinetune'),
    'jobs.cancel': async () => undefined,
    'jobs.list': async () => [],
  }
  return {
    handlers,
    on(event, listener) {
      events.on(event, listener as (p: unknown) => void)
      return () => events.off(event, listener as (p: unknown) => void)
    },
    mediaFile: (mediaId) => project.mediaFile(mediaId),
    project,
    dispose: async () => {
      project.close()
    },
  }
}
