/** Shared CLI output helpers: JSON printing and errors that carry their exit code. */
import { isMediaError } from '../engine/media/errors'

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
    this.name = 'CliError'
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n')
}

/** Signals that stop a long command cleanly (Ctrl-C, kill / a service manager, a closed terminal). */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
export type StopSignal = (typeof STOP_SIGNALS)[number]

/** Exit code after stopping on a signal: 128 + its number, as shells report it. */
export const SIGNAL_EXIT: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 }

/**
 * Calls `onStop` on the first SIGINT, SIGTERM or SIGHUP (the command then winds down and saves
 * what it has); a second one of them exits at once with its code. Returns the stop signal so far
 * and an `off` to remove the handlers.
 */
export function onStopSignals(onStop: (sig: StopSignal) => void): {
  signal: () => StopSignal | null
  off: () => void
} {
  let first: StopSignal | null = null
  const handler = (sig: StopSignal) => {
    if (first) process.exit(SIGNAL_EXIT[sig])
    first = sig
    onStop(sig)
  }
  for (const sig of STOP_SIGNALS) process.on(sig, handler)
  return { signal: () => first, off: () => STOP_SIGNALS.forEach((sig) => process.off(sig, handler)) }
}

/** onStopSignals for work that takes an AbortSignal: `abortSignal` is aborted on the first stop signal. */
export interface AbortingStop {
  abortSignal: AbortSignal
  signal: () => StopSignal | null
  off: () => void
}

/**
 * Like onStopSignals, and the first stop signal also aborts `abortSignal` (after `onStop` has said
 * what happens now), so a training stops after its current step.
 */
export function abortOnStopSignals(onStop: (sig: StopSignal) => void = () => {}): AbortingStop {
  const ac = new AbortController()
  const stop = onStopSignals((sig) => {
    onStop(sig)
    ac.abort()
  })
  return { ...stop, abortSignal: ac.signal }
}

/**
 * What a training's error becomes: when the run was stopped (cancelled by the engine, or aborted
 * by a stop signal), a CliError saying `message` with the signal's exit code; any other error as it is.
 */
export function cancelledError(err: unknown, stop: AbortingStop, message: string): unknown {
  if ((err as Error).name === 'TrainingCancelled' || stop.abortSignal.aborted)
    return new CliError(message, SIGNAL_EXIT[stop.signal() ?? 'SIGINT'])
  return err
}

/**
 * What a single-file media command's error becomes: stopped → "cancelled" with the signal's exit
 * code; the input's fault (a MediaError: truncated, no audio stream, bad subtitle…) → exit 2 with
 * its message; anything else as it is.
 */
export function mediaCommandError(err: unknown, stop: AbortingStop): unknown {
  if (stop.abortSignal.aborted) return cancelledError(err, stop, 'cancelled')
  if (isMediaError(err)) return new CliError(err.message, 2)
  return err
}
