import { type AccessConfig, callerOpenid, decideAccess, readAccessConfig } from './policy'

const cfg = (env: Record<string, string>): AccessConfig => {
  const r = readAccessConfig(env)
  if (!r.ok) throw new Error('bad config')
  return r.config
}
const USER = 'oUSER-0000000001'
const ADMIN = 'oADMIN-000000001'
const OTHER = 'oOTHER-000000001'

describe('decideAccess', () => {
  const base = cfg({ ADMIN_OPENIDS: ` ${ADMIN} , ,oADMIN-2 ` })

  test.each<[string, string | undefined, { openid?: string; batch: boolean }, AccessConfig, false | { openid: string | undefined; role: string }]>([
    ['a user reads with its own OPENID', USER, { batch: false }, base, { openid: USER, role: 'user' }],
    ['a user may name itself', USER, { openid: USER, batch: false }, base, { openid: USER, role: 'user' }],
    ['a user may not name another', USER, { openid: OTHER, batch: false }, base, false],
    ['a user may not batch', USER, { batch: true }, base, false],
    ['an admin reads any order with its own OPENID by default', ADMIN, { batch: false }, base, { openid: ADMIN, role: 'admin' }],
    ['an admin may pass any openid', ADMIN, { openid: OTHER, batch: false }, base, { openid: OTHER, role: 'admin' }],
    ['an admin may batch', ADMIN, { batch: true }, base, { openid: ADMIN, role: 'admin' }],
    ['admin list entries are trimmed', 'oADMIN-2', { batch: true }, base, { openid: 'oADMIN-2', role: 'admin' }],
    ['admin-only refuses users', USER, { batch: false }, cfg({ ACCESS_POLICY: 'admin-only' }), false],
    ['admin-only admits admins', ADMIN, { batch: false }, cfg({ ACCESS_POLICY: 'admin-only', ADMIN_OPENIDS: ADMIN }), { openid: ADMIN, role: 'admin' }],
    ['no OPENID is refused by default', undefined, { batch: false }, base, false],
    ['no OPENID with TRUST_SERVER_CALLERS=1 is a server', undefined, { openid: OTHER, batch: false }, cfg({ TRUST_SERVER_CALLERS: '1' }), { openid: OTHER, role: 'server' }],
    ['a trusted server may batch', undefined, { batch: true }, cfg({ TRUST_SERVER_CALLERS: '1' }), { openid: undefined, role: 'server' }],
    ['TRUST_SERVER_CALLERS=true is not 1', undefined, { batch: false }, cfg({ TRUST_SERVER_CALLERS: 'true' }), false],
  ])('%s', (_name, caller, request, config, expected) => {
    const d = decideAccess(caller, request, config)
    if (expected === false) {
      expect(d.ok).toBe(false)
      if (!d.ok) expect(d.error).toMatchObject({ code: 'PERMISSION_DENIED', retryable: false, hint: expect.any(String) })
    } else {
      expect(d).toEqual({ ok: true, ...expected })
    }
  })
})

describe('readAccessConfig', () => {
  test('an unknown ACCESS_POLICY is a CONFIG_ERROR, not silently open', () => {
    const r = readAccessConfig({ ACCESS_POLICY: 'everyone' })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.code).toBe('CONFIG_ERROR')
  })
  test('defaults', () => {
    expect(readAccessConfig({})).toEqual({ ok: true, config: { adminOpenids: new Set(), policy: 'own', trustServerCallers: false } })
  })
})

describe('callerOpenid', () => {
  test.each([
    [{ OPENID: 'oX' }, 'oX'],
    [{ OPENID: 12345 }, '12345'],
    [{ OPENID: '' }, undefined],
    [{}, undefined],
    [null, undefined],
    [{ OPENID: { x: 1 } }, undefined],
  ])('%p → %p', (ctx, expected) => {
    expect(callerOpenid(ctx)).toBe(expected)
  })
})
