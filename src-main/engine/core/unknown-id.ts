/**
 * A request named a media item, utterance or job that is not there (a stale id from the page, a
 * typo in a script): the caller's mistake, not the engine's, answered 404 in browser mode.
 */
export class UnknownIdError extends Error {
  override name = 'UnknownIdError'
}
