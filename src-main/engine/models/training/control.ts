/**
 * The stopping rules every training loop shares: cancellation through an AbortSignal (one error
 * type, `TrainingCancelled`, that front ends recognise by name) and model selection with early
 * stopping (a validation improves on the best by more than `minDelta`, or counts towards the
 * patience).
 */

export class TrainingCancelled extends Error {
  constructor(message = 'training cancelled') {
    super(message)
    this.name = 'TrainingCancelled'
  }
}

export function throwIfAborted(signal: AbortSignal | undefined, message?: string): void {
  if (signal?.aborted) throw new TrainingCancelled(message)
}

/** Best value so far and validations since it. */
export interface Selection {
  best: number
  since: number
}

/** One validation's effect on model selection: the new best and count, and whether it improved. */
export function selectOnValidation(
  prev: Selection,
  value: number,
  minDelta = 0,
): Selection & { improved: boolean } {
  const improved = value > prev.best + minDelta
  return improved ? { best: value, since: 0, improved } : { best: prev.best, since: prev.since + 1, improved }
}
