import { describe, expect, it } from 'vitest'
import {
  ContractError,
  REQUEST_NAMES,
  isRequestName,
  requestSchemas,
  validateRequest,
} from '../../src-main/contract/contract'

describe('contract validation', () => {
  it('accepts well-formed payloads', () => {
    expect(validateRequest('project.open', { path: '/home/r/study.fwsproj' })).toEqual({
      path: '/home/r/study.fwsproj',
    })
    expect(
      validateRequest('edits.apply', { kind: 'label', utteranceId: 'u1', emotion: 'joy' }),
    ).toMatchObject({ kind: 'label' })
    expect(validateRequest('system.doctor', undefined)).toBeUndefined()
  })

  it.each([
    ['project.open', {}, /path: /],
    ['project.open', { path: 42 }, /path: /],
    ['project.open', { path: '/a\0b' }, /NUL byte/],
    ['media.add', { paths: [] }, /paths: /],
    ['edits.apply', { kind: 'delete-everything', utteranceId: 'u1' }, /kind/],
    ['edits.apply', { kind: 'bounds', utteranceId: 'u1', start: 5, end: 2 }, /end must be after start/],
    ['edits.apply', { kind: 'bounds', utteranceId: 'u1', start: -1, end: 2 }, /start/],
    ['jobs.startInference', { mediaIds: ['m1'], fps: Number.NaN }, /fps/],
    ['exchange.export', { format: 'docx', out: '/tmp/x' }, /format/],
    ['system.doctor', { extra: true }, /payload/],
  ] as const)('rejects %s %j', (name, payload, message) => {
    expect(() => validateRequest(name, payload)).toThrow(ContractError)
    expect(() => validateRequest(name, payload)).toThrow(message)
  })

  it('knows its request names and nothing else', () => {
    expect(REQUEST_NAMES).toContain('edits.undo')
    expect(isRequestName('edits.undo')).toBe(true)
    expect(isRequestName('__proto__')).toBe(false)
    expect(isRequestName('constructor')).toBe(false)
    // The zod-free name list the preload and renderer use is exactly the set of schemas.
    expect([...REQUEST_NAMES].sort()).toEqual(Object.keys(requestSchemas).sort())
  })
})
