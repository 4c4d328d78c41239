/**
 * The HTTP status of an error a request ended with, decided by the error's class (its `name`) and
 * code, never by its message text. Errors that are the user's doing (a bad payload, a missing or
 * damaged file, no project open, an id that is not there, an edit that does not apply) are 4xx with their message; anything
 * else is a 500. Names rather than `instanceof`, because errors that crossed a worker thread
 * arrive as TaskError carrying the original name and code (engine/core/protocol.ts).
 */
import type { MediaErrorCode } from '../engine/media/errors'

/** MediaError codes that are about the user's input (file or options), not the server. */
const MEDIA_STATUS: Partial<Record<MediaErrorCode, number>> = {
  NOT_FOUND: 404,
  IS_DIRECTORY: 422,
  UNREADABLE: 422,
  EMPTY_FILE: 422,
  NOT_MEDIA: 422,
  TRUNCATED: 422,
  NO_AUDIO: 422,
  NO_VIDEO: 422,
  NO_UTTERANCES_SOURCE: 422,
  BAD_SUBTITLE: 422,
  BAD_ENCODING: 422,
  SUBTITLE_TOO_LARGE: 422,
  BAD_OPTIONS: 400,
  CANCELLED: 409,
}

/** ProjectFileError codes (engine/project/schema.ts). */
const PROJECT_FILE_STATUS: Record<string, number> = {
  'not-found': 404,
  exists: 409,
  locked: 409,
  newer: 422,
  damaged: 422,
  'not-a-project': 422,
}

/** Errors whose every instance is the user's doing. */
const BY_NAME: Record<string, number> = {
  ContractError: 400,
  ExchangePathError: 400,
  EditError: 422,
  ModelSelectionError: 422,
  CheckpointError: 422,
  NoProjectError: 409,
  UnknownIdError: 404,
}

export function httpStatusFor(err: unknown): number {
  if (!(err instanceof Error)) return 500
  const code = (err as { code?: unknown }).code
  if (err.name === 'MediaError' && typeof code === 'string')
    return MEDIA_STATUS[code as MediaErrorCode] ?? 500
  if (err.name === 'ProjectFileError' && typeof code === 'string') return PROJECT_FILE_STATUS[code] ?? 500
  return BY_NAME[err.name] ?? 500
}
