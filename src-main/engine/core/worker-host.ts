/**
 * The worker-thread side of the pool: receives one task at a time, runs the handler with an
 * AbortSignal that the pool's `cancel` message aborts, streams progress back, and reports the
 * result or the error (name, message, code) so the main thread can tell a bad file from a crash.
 */
import { parentPort } from 'node:worker_threads'
import { abortError } from './abort'
import { toWireError, type FromWorker, type ToWorker } from './protocol'

export interface TaskContext<P> {
  signal: AbortSignal
  progress(data: P): void
}

export type TaskHandler<I, O, P> = (payload: I, ctx: TaskContext<P>) => Promise<O>

/** Serves tasks on this worker's parent port until the pool terminates the thread. */
export function serveTasks<I, O, P>(handler: TaskHandler<I, O, P>, onCancel?: () => void): void {
  const port = parentPort
  if (!port) throw new Error('serveTasks must run inside a worker thread')
  const running = new Map<number, AbortController>()
  const send = (m: FromWorker) => port.postMessage(m)
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'cancel') {
      const c = running.get(msg.id)
      if (c && !c.signal.aborted) {
        c.abort(abortError('cancelled by user'))
        onCancel?.()
      }
      return
    }
    const controller = new AbortController()
    running.set(msg.id, controller)
    const ctx: TaskContext<P> = {
      signal: controller.signal,
      progress: (data) => send({ type: 'progress', id: msg.id, data }),
    }
    handler(msg.payload as I, ctx)
      .then(
        (value) => send({ type: 'result', id: msg.id, value }),
        (err) => send({ type: 'error', id: msg.id, error: toWireError(err) }),
      )
      .finally(() => running.delete(msg.id))
  })
}
