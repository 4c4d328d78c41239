/**
 * Messages between the worker pool (main thread) and a worker thread. Owns the wire shape only;
 * both sides import it so a change breaks the typecheck on both.
 */

export type ToWorker = { type: 'task'; id: number; payload: unknown } | { type: 'cancel'; id: number }

export interface WireError {
  name: string
  message: string
  /** A machine-readable code when the error had one (e.g. MediaError codes). */
  code?: string
  stack?: string
}

export type FromWorker =
  | { type: 'progress'; id: number; data: unknown }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: WireError }

export function toWireError(err: unknown): WireError {
  const e = err as Error & { code?: unknown }
  return {
    name: e?.name ?? 'Error',
    message: e?.message ?? String(err),
    code: typeof e?.code === 'string' ? e.code : undefined,
    stack: e?.stack,
  }
}

/** An error that crossed the thread boundary: same name, message and code as the original. */
export class TaskError extends Error {
  readonly code: string | undefined
  constructor(w: WireError) {
    super(w.message)
    this.name = w.name
    this.code = w.code
    if (w.stack) this.stack = w.stack
  }
}
