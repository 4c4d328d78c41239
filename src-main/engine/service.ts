/**
 * The engine behind the contract: one handler per request in contract/contract.ts, and the events
 * every front end mirrors. Electron's IPC layer and the browser-mode server both validate the
 * payload and then call these handlers; neither holds any state of its own.
 */
import { EventEmitter } from 'node:events'
import type { EventMap, EventName, RequestHandlers } from '../contract/contract'
import { doctor } from './doctor'
import { NoProjectError } from './project/store'
import { createProjectSession, type ProjectSession } from './session'
import { JobRegistry } from './jobs/registry'
import { startInferenceJob } from './jobs/inference-job'
import { startFinetuneJob } from './jobs/finetune-job'
import { createMediaAccess } from './media-access'
import { computeDashboard } from './review/dashboard'
import { utteranceEvidence } from './review/evidence'
import type { MediaProbe } from './media/probe'
import { UnknownIdError } from './core/unknown-id'

export interface EngineService {
  handlers: RequestHandlers
  /** Engine → front-end events (job snapshots, project changes). */
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void
  /** Absolute path of a media file of the open project, or null when the id is not in it. */
  mediaFile(mediaId: string): string | null
  /** The cached playable proxy of a media item of the open project (see media.playback), or null. */
  proxyFile(mediaId: string): Promise<string | null>
  /** The open project (jobs read its utterances and write predictions through it). */
  project: ProjectSession
  /** Cancels running jobs, kills child processes and closes the project. */
  dispose(): Promise<void>
}

export function createEngineService(): EngineService {
  const events = new EventEmitter()
  const project = createProjectSession((event, payload) => events.emit(event, payload))
  const jobs = new JobRegistry()
  jobs.on((snapshot) => events.emit('jobs.update', snapshot))
  // Playback proxies have their own queue: a long inference never keeps a file from playing.
  const mediaJobs = new JobRegistry()
  mediaJobs.on((snapshot) => events.emit('jobs.update', snapshot))
  const media = createMediaAccess({
    store: project.current,
    jobs: mediaJobs,
    notifyChanged: project.notifyChanged,
  })
  const handlers: RequestHandlers = {
    'system.doctor': () => doctor(),
    ...project.handlers,
    'jobs.startInference': async (p) => {
      const store = project.current()
      if (!store) throw new NoProjectError()
      return startInferenceJob(jobs, store, p, { onFileWritten: () => project.notifyChanged() })
    },
    'jobs.startFinetune': async (p) => {
      const store = project.current()
      if (!store) throw new NoProjectError()
      return startFinetuneJob(jobs, store, p)
    },
    'jobs.cancel': async ({ jobId }) =>
      mediaJobs.snapshot(jobId) ? mediaJobs.cancel(jobId) : jobs.cancel(jobId),
    'jobs.list': async () => [...jobs.list(), ...mediaJobs.list()],
    ...media.handlers,
    'review.dashboard': async ({ mediaId }) => {
      const store = project.current()
      if (!store) throw new NoProjectError()
      return computeDashboard(store.listMedia(), store.listUtterances(mediaId))
    },
    'review.evidence': async ({ utteranceId }) => {
      const store = project.current()
      if (!store) throw new NoProjectError()
      const row = store.getUtterance(utteranceId)
      if (!row) throw new UnknownIdError(`utterance "${utteranceId}" is not in the open project`)
      const media = store.mediaDetails(row.mediaId)!
      return utteranceEvidence(row, { ...media, probe: media.probe as MediaProbe })
    },
  }
  return {
    handlers,
    on(event, listener) {
      events.on(event, listener as (p: unknown) => void)
      return () => events.off(event, listener as (p: unknown) => void)
    },
    mediaFile: (mediaId) => project.mediaFile(mediaId),
    proxyFile: (mediaId) => media.proxyFile(mediaId),
    project,
    dispose: async () => {
      await Promise.all([jobs.dispose(), mediaJobs.dispose()])
      project.close()
    },
  }
}
