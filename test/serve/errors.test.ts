import { describe, expect, it } from 'vitest'
import { MediaError } from '../../src-main/engine/media/errors'
import { EditError } from '../../src-main/engine/project/edits'
import { ProjectFileError } from '../../src-main/engine/project/schema'
import { NoProjectError } from '../../src-main/engine/project/store'
import { ContractError } from '../../src-main/contract/contract'
import { TaskError, toWireError } from '../../src-main/engine/core/protocol'
import { UnknownIdError } from '../../src-main/engine/core/unknown-id'
import { httpStatusFor } from '../../src-main/serve/errors'

describe('httpStatusFor', () => {
  it('maps user errors to 4xx by class and code', () => {
    expect(httpStatusFor(new ContractError('bad'))).toBe(400)
    expect(httpStatusFor(new MediaError('NOT_FOUND', 'f', 'x'))).toBe(404)
    expect(httpStatusFor(new MediaError('BAD_SUBTITLE', 'f', 'x'))).toBe(422)
    expect(httpStatusFor(new MediaError('SUBTITLE_TOO_LARGE', 'f', 'x'))).toBe(422)
    expect(httpStatusFor(new ProjectFileError('x', 'not-found'))).toBe(404)
    expect(httpStatusFor(new ProjectFileError('x', 'locked'))).toBe(409)
    expect(httpStatusFor(new NoProjectError())).toBe(409)
    expect(httpStatusFor(new EditError('x'))).toBe(422)
    expect(httpStatusFor(new UnknownIdError('no job with id j9'))).toBe(404)
  })
  it('keeps the mapping for errors that crossed a worker thread', () => {
    const wire = toWireError(new MediaError('NOT_MEDIA', 'f', 'not a media file'))
    expect(httpStatusFor(new TaskError(wire))).toBe(422)
  })
  it('is 500 for everything else, whatever the message says', () => {
    expect(httpStatusFor(new Error('File not found: looks like a user error'))).toBe(500)
    expect(httpStatusFor(new MediaError('FFMPEG_FAILED', 'f', 'x'))).toBe(500)
    expect(httpStatusFor('a string')).toBe(500)
  })
})
