import { describe, expect, it } from 'vitest'
import {
  cookieName,
  findValidToken,
  isLoopbackAddress,
  isOwnHost,
  isOwnOrigin,
  makeSessionId,
  makeToken,
  parseCookies,
  sessionPath,
  tokenCookie,
  tokenMatches,
} from '../../src-main/serve/security'

describe('isLoopbackAddress', () => {
  it('accepts IPv4 loopback, ::1 and IPv4-mapped loopback', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '[::1]', '0:0:0:0:0:0:0:1'])
      expect(isLoopbackAddress(a), a).toBe(true)
  })
  it('refuses every other address, including private ranges and mapped non-loopback', () => {
    for (const a of [
      '10.0.0.5',
      '192.168.1.20',
      '172.16.0.1',
      '0.0.0.0',
      '128.0.0.1',
      '::ffff:10.0.0.1',
      '::',
      'fe80::1',
      '2001:db8::1',
      'localhost',
      '',
      undefined,
      null,
    ])
      expect(isLoopbackAddress(a as string), String(a)).toBe(false)
  })
})

describe('token', () => {
  it('is random, long and URL-safe', () => {
    const a = makeToken()
    const b = makeToken()
    expect(a).not.toBe(b)
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })
  it('matches only the exact token', () => {
    const t = makeToken()
    expect(tokenMatches(t, t)).toBe(true)
    expect(tokenMatches(t, t.slice(0, -1))).toBe(false)
    expect(tokenMatches(t, t + 'x')).toBe(false)
    expect(tokenMatches(t, '')).toBe(false)
    expect(tokenMatches(t, undefined)).toBe(false)
  })
  it('is found in a Bearer header, the session cookie or the query, and nowhere else', () => {
    const t = makeToken()
    const sessionId = makeSessionId()
    const scope = { port: 4000, sessionId }
    const inside = `${sessionPath(sessionId)}api/x`
    expect(findValidToken(t, scope, { authorization: `Bearer ${t}` })).toBe('header')
    expect(
      findValidToken(t, scope, { cookie: `a=b; ${cookieName(4000, sessionId)}=${t}`, pathname: inside }),
    ).toBe('cookie')
    expect(findValidToken(t, scope, { queryToken: t })).toBe('query')
    // Another port's or another run's cookie does not count, nor ours outside the session path.
    expect(
      findValidToken(t, scope, { cookie: `${cookieName(4001, sessionId)}=${t}`, pathname: inside }),
    ).toBeNull()
    expect(
      findValidToken(t, scope, { cookie: `${cookieName(4000, makeSessionId())}=${t}`, pathname: inside }),
    ).toBeNull()
    expect(
      findValidToken(t, scope, { cookie: `${cookieName(4000, sessionId)}=${t}`, pathname: '/api/x' }),
    ).toBeNull()
    expect(
      findValidToken(t, scope, { authorization: `Bearer nope`, cookie: 'x=y', queryToken: 'z' }),
    ).toBeNull()
    expect(findValidToken(t, scope, {})).toBeNull()
  })
  it('the cookie is bound to the per-run session path, HttpOnly and SameSite=Strict', () => {
    const sessionId = makeSessionId()
    expect(sessionId).toMatch(/^[\w-]{22}$/)
    expect(makeSessionId()).not.toBe(sessionId)
    expect(tokenCookie(4000, sessionId, 'tok')).toBe(
      `fws_4000_${sessionId}=tok; Path=/s/${sessionId}/; HttpOnly; SameSite=Strict`,
    )
  })
  it("parses cookies; a malformed %-escape in someone else's cookie is kept raw, not an error", () => {
    expect(parseCookies('a=1; b = two ;c=%20x')).toEqual({ a: '1', b: 'two', c: ' x' })
    expect(parseCookies('other=%E0%A4%A; d=1')).toEqual({ other: '%E0%A4%A', d: '1' })
    expect(parseCookies(undefined)).toEqual({})
  })
})

describe('host and origin', () => {
  it('accepts only loopback hosts on our port (DNS rebinding defence)', () => {
    expect(isOwnHost('127.0.0.1:5000', 5000)).toBe(true)
    expect(isOwnHost('localhost:5000', 5000)).toBe(true)
    expect(isOwnHost('[::1]:5000', 5000)).toBe(true)
    expect(isOwnHost('127.0.0.1:5001', 5000)).toBe(false)
    expect(isOwnHost('evil.example:5000', 5000)).toBe(false)
    expect(isOwnHost(undefined, 5000)).toBe(false)
  })
  it('accepts a missing Origin or our own, refuses others', () => {
    expect(isOwnOrigin(undefined, 5000)).toBe(true)
    expect(isOwnOrigin('http://127.0.0.1:5000', 5000)).toBe(true)
    expect(isOwnOrigin('http://evil.example', 5000)).toBe(false)
    expect(isOwnOrigin('https://127.0.0.1:5000', 5000)).toBe(false)
    expect(isOwnOrigin('null', 5000)).toBe(false)
  })
})
