import { type CallerIdentity, callerIdentity } from './identity'
import { readAccessConfig } from '../config'
import { type AccessConfig, decideAccess, trustServerCallers } from './policy'

const cfg = (env: Record<string, string>): AccessConfig => {
  const r = readAccessConfig(env)
  if (!r.ok) throw new Error(`bad config: ${r.problems[0]!.message}`)
  return r.value
}
const USER = 'oUSER-0000000001'
const ADMIN = 'oADMIN-000000001'
const OTHER = 'oOTHER-000000001'
const user = (openid: string, source = 'wx_client'): CallerIdentity => ({ openid, source: source.split(',') })
const server = (source: string): CallerIdentity => ({ source: source === '' ? [] : source.split(',') })

type Expected = false | { openid: string | undefined; role: string }

describe('decideAccess: callers with an OPENID', () => {
  const base = cfg({ ADMIN_OPENIDS: ` ${ADMIN} , ,oADMIN-2 `, ACCESS_POLICY: 'own', ORDER_OWNERS_COLLECTION: 'order_owners' })
  test.each<[string, CallerIdentity, { openid?: string; batch: boolean }, AccessConfig, Expected]>([
    ['a user reads with its own OPENID', user(USER), { batch: false }, base, { openid: USER, role: 'user' }],
    ['a user may name itself', user(USER), { openid: USER, batch: false }, base, { openid: USER, role: 'user' }],
    ['a user may not name another', user(USER), { openid: OTHER, batch: false }, base, false],
    ['a user may not batch', user(USER), { batch: true }, base, false],
    ['a user through another function (wx_client,scf) is still that user', user(USER, 'wx_client,scf'), { batch: false }, base, { openid: USER, role: 'user' }],
    ['an admin reads any order with its own OPENID by default', user(ADMIN), { batch: false }, base, { openid: ADMIN, role: 'admin' }],
    ['an admin may pass any openid', user(ADMIN), { openid: OTHER, batch: false }, base, { openid: OTHER, role: 'admin' }],
    ['an admin may batch', user(ADMIN), { batch: true }, base, { openid: ADMIN, role: 'admin' }],
    ['admin list entries are trimmed', user('oADMIN-2'), { batch: true }, base, { openid: 'oADMIN-2', role: 'admin' }],
    ['admin-only refuses users', user(USER), { batch: false }, cfg({ ACCESS_POLICY: 'admin-only' }), false],
    ['the default (admin-only) refuses users', user(USER), { batch: false }, cfg({}), false],
    ['admin-only admits admins', user(ADMIN), { batch: false }, cfg({ ACCESS_POLICY: 'admin-only', ADMIN_OPENIDS: ADMIN }), { openid: ADMIN, role: 'admin' }],
  ])('%s', (_name, identity, request, config, expected) => check(decideAccess(identity, request, config), expected))
})

describe('decideAccess: no OPENID is not by that fact a server', () => {
  const trust = cfg({ TRUST_SERVER_CALLERS: '1' })
  const off = cfg({})
  test.each<[string, CallerIdentity, AccessConfig, Expected]>([
    ['wx_http, trusted', server('wx_http'), trust, { openid: OTHER, role: 'server' }],
    ['wx_trigger, trusted', server('wx_trigger'), trust, { openid: OTHER, role: 'server' }],
    ['scf, trusted', server('scf'), trust, { openid: OTHER, role: 'server' }],
    ['wx_trigger,scf, trusted', server('wx_trigger,scf'), trust, { openid: OTHER, role: 'server' }],
    ['wx_client with no OPENID', server('wx_client'), trust, false],
    ['wx_client,scf with no OPENID', server('wx_client,scf'), trust, false],
    ['wx_devtools', server('wx_devtools'), trust, false],
    ['wx_unknown', server('wx_unknown'), trust, false],
    ['a non-WeChat source (HTTP access service)', server('tcb_http'), trust, false],
    ['scf after an untrusted source', server('tcb_http,scf'), trust, false],
    ['no source at all', server(''), trust, false],
    ['an empty OPENID, read as none, from a client', callerIdentity({ OPENID: '', SOURCE: 'wx_client' }), trust, false],
    ['wx_http without TRUST_SERVER_CALLERS', server('wx_http'), off, false],
    ['wx_trigger without TRUST_SERVER_CALLERS', server('wx_trigger'), off, false],
    ['TRUST_SERVER_CALLERS=true is not 1', server('wx_http'), cfg({ TRUST_SERVER_CALLERS: 'true' }), false],
    ["a listed client source is the operator's choice", server('wx_devtools'), cfg({ TRUST_SERVER_CALLERS: '1', TRUSTED_SOURCES: 'wx_devtools' }), { openid: OTHER, role: 'server' }],
    ['a shorter list drops the defaults', server('scf'), cfg({ TRUST_SERVER_CALLERS: '1', TRUSTED_SOURCES: 'wx_http' }), false],
    ['a Node program that is its own caller', server(''), (trustServerCallers() as { ok: true; value: AccessConfig }).value, { openid: OTHER, role: 'server' }],
  ])('%s', (_name, identity, config, expected) => check(decideAccess(identity, { openid: OTHER, batch: false }, config), expected))

  test('a trusted server may batch', () => {
    check(decideAccess(server('wx_trigger'), { batch: true }, trust), { openid: undefined, role: 'server' })
  })

  test.each([
    ['an empty hop', 'wx_trigger,,scf'],
    ['a padded hop', ' wx_trigger'],
    ['a trailing comma', 'wx_trigger,'],
    ['padding inside', 'wx_client, scf'],
  ])('a SOURCE with %s is refused, never normalised', (_name, chain) => {
    const identity = callerIdentity({ SOURCE: chain })
    expect(identity.sourceMalformed).toBe(true)
    const d = decideAccess(identity, { batch: false }, trust)
    expect(d).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED', message: expect.stringContaining(JSON.stringify(chain)) } })
    // The same shape in TRUSTED_SOURCES is refused as configuration too (an empty entry).
    if (chain.includes(',,') || chain.endsWith(',')) expect(readAccessConfig({ TRUSTED_SOURCES: chain })).toMatchObject({ ok: false })
  })

  test('an admin with a malformed SOURCE is refused too', () => {
    const d = decideAccess(callerIdentity({ OPENID: ADMIN, SOURCE: 'wx_client,' }), { batch: false }, cfg({ ADMIN_OPENIDS: ADMIN }))
    expect(d).toMatchObject({ ok: false, role: 'user' })
  })

  test('the refusal names the source and the variable to change', () => {
    const d = decideAccess(server('wx_client,scf'), { batch: false }, trust)
    expect(d).toMatchObject({ ok: false, role: 'anonymous', error: { code: 'PERMISSION_DENIED', message: expect.stringContaining('wx_client,scf'), hint: expect.stringContaining('TRUSTED_SOURCES') } })
    const http = decideAccess(server('tcb_http'), { batch: false }, trust)
    expect(http).toMatchObject({ ok: false, error: { message: expect.stringContaining('not a WeChat trigger') } })
  })
})

describe('decideAccess: cross-account calls', () => {
  const cross: CallerIdentity = { source: ['wx_client'], fromOpenid: 'oFOREIGN-00000001', fromAppid: 'wxFOREIGN0000000' }
  test.each<[string, CallerIdentity, AccessConfig, Expected]>([
    ['refused even with TRUST_SERVER_CALLERS=1', cross, cfg({ TRUST_SERVER_CALLERS: '1', TRUSTED_SOURCES: 'wx_client' }), false],
    ['refused with an OPENID too', { ...cross, openid: USER }, cfg({}), false],
    ['FROM_OPENID alone is cross-account', { source: ['scf'], fromOpenid: 'oFOREIGN-00000001' }, cfg({ TRUST_SERVER_CALLERS: '1' }), false],
    ['a listed AppID asking for another user is refused', { ...cross, source: ['scf'] }, cfg({ TRUST_SERVER_CALLERS: '1', TRUSTED_FROM_APPIDS: 'wxFOREIGN0000000' }), false],
  ])('%s', (_name, identity, config, expected) => check(decideAccess(identity, { openid: OTHER, batch: false }, config), expected))

  // The environment-sharing guide: the call goes out as the calling account, for its own user.
  test.each([
    ['with TRUST_SERVER_CALLERS unset', cfg({ TRUSTED_FROM_APPIDS: 'wxFOREIGN0000000' })],
    ['with TRUST_SERVER_CALLERS=1: still its own account, never a server here', cfg({ TRUST_SERVER_CALLERS: '1', TRUSTED_FROM_APPIDS: 'wxFOREIGN0000000' })],
  ])('a listed AppID reads as its own account, for its own user (%s)', (_n, config) => {
    expect(decideAccess({ ...cross, source: ['scf'] }, { batch: false }, config)).toEqual({ ok: true, role: 'cross-account', actAs: 'wxFOREIGN0000000', openid: 'oFOREIGN-00000001' })
    expect(decideAccess({ ...cross, source: ['scf'] }, { batch: false, openid: 'oFOREIGN-00000001' }, config)).toMatchObject({ ok: true, role: 'cross-account' })
  })

  test('a listed AppID may not batch', () => {
    expect(decideAccess(cross, { batch: true }, cfg({ TRUST_SERVER_CALLERS: '1', TRUSTED_FROM_APPIDS: 'wxFOREIGN0000000' }))).toMatchObject({
      ok: false,
      role: 'cross-account',
      error: { code: 'PERMISSION_DENIED' },
    })
  })

  test('the refusal names the AppID and the variable', () => {
    const d = decideAccess(cross, { batch: false }, cfg({ TRUST_SERVER_CALLERS: '1' }))
    expect(d).toMatchObject({ ok: false, role: 'cross-account', error: { message: expect.stringContaining('wxFOREIGN0000000'), hint: expect.stringContaining('TRUSTED_FROM_APPIDS') } })
  })
})

describe('readAccessConfig', () => {
  test('an unknown ACCESS_POLICY is a CONFIG_ERROR, not silently open', () => {
    const r = readAccessConfig({ ACCESS_POLICY: 'everyone' })
    expect(r).toMatchObject({ ok: false, problems: [{ variable: 'ACCESS_POLICY' }] })
  })
  test('ACCESS_POLICY=own without ORDER_OWNERS_COLLECTION is a CONFIG_ERROR naming both', () => {
    expect(readAccessConfig({ ACCESS_POLICY: 'own' })).toMatchObject({
      ok: false,
      problems: [{ variable: 'ORDER_OWNERS_COLLECTION', message: expect.stringContaining('ORDER_OWNERS_COLLECTION'), hint: expect.stringContaining('admin-only') }],
    })
    expect(readAccessConfig({ ACCESS_POLICY: 'own', ORDER_OWNERS_COLLECTION: 'bad name!' })).toMatchObject({ ok: false, problems: [{ variable: 'ORDER_OWNERS_COLLECTION' }] })
    expect(cfg({ ACCESS_POLICY: 'own', ORDER_OWNERS_COLLECTION: 'order_owners' })).toMatchObject({ policy: 'own', ownersCollection: 'order_owners' })
  })
  test('a plain user refused by the default is told how to enable ownership', () => {
    const d = decideAccess(user(USER), { batch: false }, cfg({}))
    expect(d).toMatchObject({ ok: false, error: { hint: expect.stringMatching(/ORDER_OWNERS_COLLECTION.*ACCESS_POLICY=own/) } })
  })
  test('defaults', () => {
    expect(readAccessConfig({})).toEqual({
      ok: true,
      value: { adminOpenids: new Set(), policy: 'admin-only', trustServerCallers: false, trustedSources: new Set(['wx_http', 'wx_trigger', 'scf']), trustedFromAppids: new Set() },
    })
  })
  test('TRUSTED_SOURCES is split and trimmed', () => {
    expect(cfg({ TRUSTED_SOURCES: ' wx_http , scf ' }).trustedSources).toEqual(new Set(['wx_http', 'scf']))
  })
  test.each([
    ['empty', { TRUSTED_SOURCES: '' }, 'TRUSTED_SOURCES'],
    ['an empty entry', { TRUSTED_SOURCES: 'wx_http,,scf' }, 'TRUSTED_SOURCES'],
    ['a wildcard', { TRUSTED_SOURCES: '*' }, 'TRUSTED_SOURCES'],
    ['a space inside a name', { TRUSTED_SOURCES: 'wx http' }, 'TRUSTED_SOURCES'],
    ['a bad AppID', { TRUSTED_FROM_APPIDS: 'wx1;drop' }, 'TRUSTED_FROM_APPIDS'],
  ])('malformed: %s is a CONFIG_ERROR naming the variable', (_name, env, variable) => {
    const r = readAccessConfig(env)
    expect(r).toMatchObject({ ok: false, problems: [{ variable, message: expect.stringContaining(variable), hint: expect.any(String) }] })
  })
})

describe('callerIdentity', () => {
  test.each<[unknown, CallerIdentity]>([
    [
      { OPENID: 'oX', SOURCE: 'wx_client' },
      { openid: 'oX', source: ['wx_client'] },
    ],
    [{ OPENID: 12345 }, { openid: '12345', source: [] }],
    [{ OPENID: '' }, { source: [] }],
    [{ SOURCE: 'wx_client,scf' }, { source: ['wx_client', 'scf'] }],
    [{ SOURCE: 'wx_client, scf' }, { source: ['wx_client', ' scf'], sourceMalformed: true }],
    [
      { FROM_OPENID: 'oF', FROM_APPID: 'wxF', SOURCE: 'scf' },
      { fromOpenid: 'oF', fromAppid: 'wxF', source: ['scf'] },
    ],
    [{}, { source: [] }],
    [null, { source: [] }],
    [{ OPENID: { x: 1 } }, { source: [] }],
  ])('%p', (ctx, expected) => {
    expect(callerIdentity(ctx)).toEqual(expected)
  })
})

function check(d: ReturnType<typeof decideAccess>, expected: Expected) {
  if (expected === false) {
    expect(d.ok).toBe(false)
    if (!d.ok) expect(d.error).toMatchObject({ code: 'PERMISSION_DENIED', retryable: false, hint: expect.any(String) })
  } else {
    expect(d).toEqual({ ok: true, ...expected })
  }
}
