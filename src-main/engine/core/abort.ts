/**
 * Cancellation errors. Owns the one shape of "this was cancelled" that every layer throws when its
 * AbortSignal fires (decoding, features, inference, training) and that the job registry, the batch
 * and the CLI recognise, so cancelling is never mistaken for a failure.
 */

export function abortError(reason = 'cancelled'): Error {
  const e = new Error(reason)
  e.name = 'AbortError'
  return e
}

export function isAbortError(err: unknown): boolean {
  return (err as Error | undefined)?.name === 'AbortError'
}
