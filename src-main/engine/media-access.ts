/**
 * The media side of review: how the page plays each media item (original, a proxy made on demand
 * as a `proxy` job, or "missing"), relinking a moved file (accepted only with the same content
 * hash), and waveform peaks from the engine. Owns the contract handlers media.playback,
 * media.relink and media.peaks, and the proxy file lookup the media routes serve.
 */
import { stat } from 'node:fs/promises'
import path from 'node:path'
import type { PlaybackInfo, RequestHandlers } from '../contract/contract'
import type { JobRegistry } from './jobs/registry'
import { basePeaks, partialPeaks, viewPeaks } from './media/peaks'
import { cachedProxy, decidePlayback, makeProxy } from './media/playback'
import type { MediaProbe } from './media/probe'
import { sha256File } from './project/media-identity'
import { NoProjectError, type ProjectStore } from './project/store'
import { UnknownIdError } from './core/unknown-id'

/** How long a peaks request waits for a first decode before answering with what it has so far. */
const PARTIAL_AFTER_MS = 1000
const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export type MediaAccessHandlerName = 'media.playback' | 'media.relink' | 'media.peaks'

export interface MediaAccess {
  handlers: Pick<RequestHandlers, MediaAccessHandlerName>
  /** The finished proxy of a media item of the open project, or null. */
  proxyFile(mediaId: string): Promise<string | null>
}

/** Why a file cannot be read where the project expects it, or null when it is there. */
async function missingReason(file: string): Promise<string | null> {
  try {
    const st = await stat(file)
    return st.isFile() ? null : `${file} is not a file any more`
  } catch {
    return `missing: ${file} is not there (moved, renamed or on a disconnected drive)`
  }
}

export function createMediaAccess(opts: {
  store: () => ProjectStore | null
  jobs: JobRegistry
  notifyChanged: () => void
}): MediaAccess {
  /** Running proxy jobs by content hash (two media ids never encode the same bytes twice). */
  const running = new Map<string, string>()

  const need = (): ProjectStore => {
    const s = opts.store()
    if (!s) throw new NoProjectError()
    return s
  }
  const details = (mediaId: string) => {
    const d = need().mediaDetails(mediaId)
    if (!d) throw new UnknownIdError(`media "${mediaId}" is not in the open project`)
    return { ...d, sha256: d.sha256, probe: d.probe as MediaProbe }
  }

  const handlers: MediaAccess['handlers'] = {
    'media.playback': async ({ mediaId, pageCannotPlay }) => {
      const d = details(mediaId)
      const base = { mediaId, jobId: null, timeOffset: 0, path: d.path, frameRate: d.probe.video?.fps ?? 0 }
      const missing = await missingReason(d.path)
      if (missing) return { ...base, mode: 'missing', reason: missing } satisfies PlaybackInfo
      const decision = decidePlayback(d.probe)
      if (!decision.proxy && !pageCannotPlay) return { ...base, mode: 'original', reason: null }
      const reason = `this browser cannot play ${decision.reason ?? 'this file (the page reported a decode error)'}: playing a converted copy`
      if (await cachedProxy(d.sha256)) return { ...base, mode: 'proxy', reason }
      let jobId = running.get(d.sha256) ?? null
      if (!jobId) {
        const snap = opts.jobs.start(
          { kind: 'proxy', label: `Playable copy of ${path.basename(d.path)}` },
          async (job) => {
            job.stage('converting for playback')
            const out = await makeProxy(d.path, d.sha256, d.probe, {
              signal: job.signal,
              onProgress: (f) => job.progress(f),
            })
            return { mediaId, proxy: out }
          },
        )
        jobId = snap.id
        running.set(d.sha256, jobId)
        void opts.jobs.wait(jobId).finally(() => running.delete(d.sha256))
      }
      return { ...base, mode: 'preparing', reason, jobId }
    },
    'media.relink': async ({ mediaId, path: given }) => {
      const s = need()
      const d = details(mediaId)
      const file = path.resolve(s.dir, given)
      const missing = await missingReason(file)
      if (missing) throw new Error(`cannot relink to ${file}: ${missing}`)
      const sha = await sha256File(file)
      if (sha !== d.sha256.replace(/^sha256:/, ''))
        throw new Error(
          `${file} is not the same file: its content differs from the media in the project (content hash mismatch)`,
        )
      const info = s.relinkMedia(mediaId, file)
      opts.notifyChanged()
      return info
    },
    'media.peaks': async ({ mediaId, start, end, buckets }) => {
      const d = details(mediaId)
      if (!d.probe.audio)
        throw new Error(`${path.basename(d.path)} has no audio stream: there is no waveform`)
      const missing = await missingReason(d.path)
      if (missing) throw new Error(missing)
      const full = basePeaks(d.path, d.sha256)
      full.catch(() => {}) // a failure is reported to whoever asks next; never unhandled
      const done = await Promise.race([full, delay(PARTIAL_AFTER_MS).then(() => null)])
      const part = done ? null : partialPeaks(d.sha256)
      if (!part) {
        const base = await full
        const dur = base.data.length / 2 / base.perSec
        return { mediaId, ...viewPeaks(base, start ?? 0, end ?? dur, buckets), complete: true, progress: 1 }
      }
      // A first decode of a long file still runs: what it has reached, at the resolution asked for.
      const from = start ?? 0
      const to = end ?? d.probe.durationSec
      const reached = Math.min(to, part.peaks.data.length / 2 / part.peaks.perSec)
      const n = to > from ? Math.max(0, Math.round((buckets * (reached - from)) / (to - from))) : 0
      return {
        mediaId,
        ...viewPeaks(part.peaks, from, Math.max(from, reached), n),
        complete: false,
        progress: part.fraction,
      }
    },
  }
  return {
    handlers,
    proxyFile: async (mediaId) => {
      const d = opts.store()?.mediaDetails(mediaId)
      return d ? cachedProxy(d.sha256) : null
    },
  }
}
