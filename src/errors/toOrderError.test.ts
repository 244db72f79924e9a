import type { ErrorCode } from '../types'
import { toOrderError } from './toOrderError'
import { redact, UpstreamError } from './upstream'

const errcode = (n: number, msg = 'upstream says no') => new UpstreamError('errcode', 'x', { wxErrCode: n, wxErrMsg: msg })

describe('errcode → contract error', () => {
  test.each<[number, ErrorCode, boolean]>([
    [-604101, 'CONFIG_ERROR', false],
    [48001, 'CONFIG_ERROR', false],
    [-601004, 'CONFIG_ERROR', false],
    [-602018, 'CONFIG_ERROR', false],
    [40164, 'CONFIG_ERROR', false],
    [40001, 'AUTH_ERROR', false],
    [40014, 'AUTH_ERROR', false],
    [42001, 'AUTH_ERROR', false],
    [45009, 'RATE_LIMITED', false],
    [45011, 'RATE_LIMITED', false],
    [9300509, 'RATE_LIMITED', false],
    [9300537, 'RATE_LIMITED', false],
    [-501003, 'RATE_LIMITED', false],
    [-501004, 'RATE_LIMITED', false],
    [-1, 'UPSTREAM_UNAVAILABLE', true],
    [-601001, 'UPSTREAM_UNAVAILABLE', true],
    [-604102, 'UPSTREAM_UNAVAILABLE', true],
    [-604103, 'UPSTREAM_UNAVAILABLE', true],
    [-501001, 'UPSTREAM_UNAVAILABLE', true],
    [-501002, 'UPSTREAM_UNAVAILABLE', true],
    [9300502, 'UPSTREAM_UNAVAILABLE', true],
    [930564, 'RATE_LIMITED', false],
    [9300520, 'WECHAT_ERROR', false],
    [930559, 'WECHAT_ERROR', false],
    [47001, 'WECHAT_ERROR', false],
    [40003, 'WECHAT_ERROR', false],
    [9300507, 'WECHAT_ERROR', false],
    [123456, 'WECHAT_ERROR', false],
  ])('%i → %s (retryable %p)', (n, code, retryable) => {
    const e = toOrderError(errcode(n))
    expect(e).toMatchObject({ code, retryable, wxErrCode: n, wxErrMsg: 'upstream says no' })
    expect(e.message).toMatch(/^[A-Z].*\.$/)
  })

  test("40001's hint is the API documentation's own remedy", () => {
    expect(toOrderError(errcode(40001)).hint).toMatch(/AppSecret.*right account|AppSecret.*belongs to the account/)
  })

  test('the -604101 hint names config.json permissions.openapi, the cache and re-uploading', () => {
    const hint = toOrderError(errcode(-604101)).hint ?? ''
    expect(hint).toContain('config.json')
    expect(hint).toContain('permissions.openapi')
    expect(hint).toContain('10 minutes')
    expect(hint).toMatch(/upload/i)
  })

  test('40164 hints at the IP whitelist', () => {
    expect(toOrderError(errcode(40164)).hint).toMatch(/whitelist/i)
  })

  test('an unknown errcode keeps its upstream message', () => {
    const e = toOrderError(errcode(47999, 'something odd'))
    expect(e.code).toBe('WECHAT_ERROR')
    expect(e.message).toContain('something odd')
  })
})

describe('failure kinds', () => {
  test.each<[UpstreamError, ErrorCode, boolean]>([
    [new UpstreamError('timeout', 'late'), 'TIMEOUT', true],
    [new UpstreamError('bad-json', 'not json'), 'BAD_RESPONSE', false],
    [new UpstreamError('network', 'ECONNRESET'), 'UPSTREAM_UNAVAILABLE', true],
    [new UpstreamError('network', '502', { httpStatus: 502 }), 'UPSTREAM_UNAVAILABLE', true],
    [new UpstreamError('config', 'no WX_APPID'), 'CONFIG_ERROR', false],
  ])('%s → %s', (err, code, retryable) => {
    expect(toOrderError(err)).toMatchObject({ code, retryable })
  })

  test('anything that is not an UpstreamError is INTERNAL and says no more', () => {
    const e = toOrderError(new TypeError('cannot read x of undefined at /work/secret/path'))
    expect(e.code).toBe('INTERNAL')
    expect(e.message).not.toContain('secret')
  })
})

describe('redact', () => {
  test('tokens and secrets in URLs are masked', () => {
    const s = redact('POST https://h/cgi-bin/x?access_token=ABC.def-123&x=1 secret=s3cr3t')
    expect(s).not.toContain('ABC.def-123')
    expect(s).not.toContain('s3cr3t')
    expect(s).toContain('access_token=***')
  })

  test('long messages are cut', () => {
    expect(redact('x'.repeat(5000)).length).toBeLessThanOrEqual(301)
  })
})
