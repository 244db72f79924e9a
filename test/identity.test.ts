/**
 * Who may call: every identity the platform can present, with TRUST_SERVER_CALLERS on and off,
 * through the in-process fake SDK, the real wx-server-sdk on the loopback gateway, and the
 * committed bundle under the CLI's runtime. Identity is set the way the platform sets it, in the
 * environment variables wx-server-sdk reads. A refused call must never reach WeChat, and every
 * log line must name the role and the source chain.
 */
import * as path from 'path'
import { createCloudMain, type WxServerSdk } from '../src/cloud/entry'
import { createBackend } from '../src/harness/backend'
import { identityEnv, type PlatformCaller, runUnderBootstrap } from '../src/harness/bootstrap'
import { OWNERSHIP_ENV, seedOwners } from '../src/harness/owners'
import { createFakeCloud } from '../src/harness/fakeSdk'
import type { Result } from '../src/types'
import { captureOutput, ownedFakeCloud } from './support/fakeMain'
import { useLoopback } from './support/loopback'
import { comparable, USER } from './support/scenarios'

const FUNCTION_DIR = path.resolve(__dirname, '..', 'cloudfunctions', 'getOrder')
const EVENT = { orderId: '01234567890123456789', deliveryId: 'SF', waybillId: '123456789' }
const FOREIGN = { fromOpenid: 'oFOREIGN-user-0000001', fromAppid: 'wxFOREIGN0000000' }
/** Under ACCESS_POLICY=own a listed cross-account caller reads what is recorded for it, with its account. */
const FOREIGN_OWNS = { orderId: EVENT.orderId, deliveryId: EVENT.deliveryId, openid: FOREIGN.fromOpenid, appid: FOREIGN.fromAppid }

interface Row {
  name: string
  caller: PlatformCaller
  /** the empty OPENID the platform could send: WX_OPENID set to '' */
  emptyOpenid?: true
  /** served with TRUST_SERVER_CALLERS unset / =1 */
  served: { off: boolean; on: boolean }
  /** the role logged when served (or, for users and cross-account callers, when refused) */
  role: string
  source: string
  /** settings beside the identity */
  env?: Record<string, string>
  /** the account the served call is made as (cloud.openapi({ appid })), when not this one */
  actAs?: string
}

const ROWS: Row[] = [
  { name: 'a mini program user (wx_client)', caller: { openid: USER, source: 'wx_client' }, served: { off: true, on: true }, role: 'user', source: 'wx_client' },
  { name: 'a user through another function (wx_client,scf)', caller: { openid: USER, source: 'wx_client,scf' }, served: { off: true, on: true }, role: 'user', source: 'wx_client,scf' },
  { name: 'devtools with an OPENID', caller: { openid: USER, source: 'wx_devtools' }, served: { off: true, on: true }, role: 'user', source: 'wx_devtools' },
  { name: 'a client chain with no OPENID (wx_client,scf)', caller: { source: 'wx_client,scf' }, served: { off: false, on: false }, role: 'anonymous', source: 'wx_client,scf' },
  { name: 'devtools with no OPENID', caller: { source: 'wx_devtools' }, served: { off: false, on: false }, role: 'anonymous', source: 'wx_devtools' },
  { name: 'the server-side HTTP API (wx_http)', caller: { source: 'wx_http' }, served: { off: false, on: true }, role: 'server', source: 'wx_http' },
  { name: 'a timer (wx_trigger)', caller: { source: 'wx_trigger' }, served: { off: false, on: true }, role: 'server', source: 'wx_trigger' },
  { name: 'a timer through another function (wx_trigger,scf)', caller: { source: 'wx_trigger,scf' }, served: { off: false, on: true }, role: 'server', source: 'wx_trigger,scf' },
  { name: 'a cross-account call', caller: { ...FOREIGN, source: 'wx_client' }, served: { off: false, on: false }, role: 'cross-account', source: 'wx_client' },
  { name: 'a cross-account call through scf', caller: { ...FOREIGN, source: 'scf' }, served: { off: false, on: false }, role: 'cross-account', source: 'scf' },
  // Listed: it reads as its own account, for its own user, whatever TRUST_SERVER_CALLERS says.
  {
    name: 'a listed cross-account call (TRUSTED_FROM_APPIDS)',
    caller: { ...FOREIGN, source: 'wx_client' },
    env: { TRUSTED_FROM_APPIDS: FOREIGN.fromAppid },
    served: { off: true, on: true },
    role: 'cross-account',
    source: 'wx_client',
    actAs: FOREIGN.fromAppid,
  },
  {
    name: 'a listed cross-account call through scf',
    caller: { ...FOREIGN, source: 'scf' },
    env: { TRUSTED_FROM_APPIDS: FOREIGN.fromAppid },
    served: { off: true, on: true },
    role: 'cross-account',
    source: 'scf',
    actAs: FOREIGN.fromAppid,
  },
  { name: 'an unknown non-WeChat source (HTTP access service)', caller: { source: 'tcb_http' }, served: { off: false, on: false }, role: 'anonymous', source: 'tcb_http' },
  { name: 'an empty OPENID from a client', caller: { source: 'wx_client' }, emptyOpenid: true, served: { off: false, on: false }, role: 'anonymous', source: 'wx_client' },
]

const CASES = ROWS.flatMap((row) => (['off', 'on'] as const).map((trust) => [`${row.name}, TRUST_SERVER_CALLERS ${trust}`, row, trust] as const))

function platformEnv(row: Row, trust: 'off' | 'on'): Record<string, string> {
  const env = identityEnv(row.caller)
  if (row.emptyOpenid) {
    env.WX_CONTEXT_KEYS = env.WX_CONTEXT_KEYS ? `${env.WX_CONTEXT_KEYS},WX_OPENID` : 'WX_OPENID'
    env.WX_OPENID = ''
  }
  if (trust === 'on') env.TRUST_SERVER_CALLERS = '1'
  // USER owns the order (startLoopback and viaFake record it): the rows are about identity.
  return { ...env, ...OWNERSHIP_ENV, ...row.env }
}

const IDENTITY_KEYS = [
  'WX_CONTEXT_KEYS',
  'WX_OPENID',
  'WX_APPID',
  'WX_FROM_OPENID',
  'WX_FROM_APPID',
  'TCB_SOURCE',
  'TRUST_SERVER_CALLERS',
  'TRUSTED_FROM_APPIDS',
  'ADMIN_OPENIDS',
  'ACCESS_POLICY',
  'ORDER_OWNERS_COLLECTION',
]

const loopback = useLoopback()
beforeEach(() => seedOwners(loopback.gateway.db, [FOREIGN_OWNS]))

type Run = { result: Result | undefined; calls: number; logs: Record<string, unknown>[]; output: string; appid?: string | undefined; openid?: unknown }

async function viaFake(row: Row, trust: 'off' | 'on'): Promise<Run> {
  const env = { ...platformEnv(row, trust), TENCENTCLOUD_SECRETID: 'x', TENCENTCLOUD_SECRETKEY: 'y' }
  const backend = createBackend()
  const fake = ownedFakeCloud(backend, env)
  seedOwners(fake.db, [FOREIGN_OWNS])
  const main = createCloudMain(fake as unknown as WxServerSdk, env)
  const { value, output } = await captureOutput(() => main(EVENT, { request_id: 'fake', time_limit_in_ms: 3000 }))
  return { result: value, calls: backend.calls.length, logs: jsonLines(output), output, appid: fake.calls[0]?.appid, openid: backend.calls[0]?.request.openid }
}

async function viaRealSdk(row: Row, trust: 'off' | 'on'): Promise<Run> {
  for (const k of IDENTITY_KEYS) delete process.env[k]
  Object.assign(process.env, platformEnv(row, trust))
  loopback.gateway.backend = createBackend()
  const before = loopback.gateway.requests.length
  const main = createCloudMain(require('wx-server-sdk') as WxServerSdk, process.env)
  const { value, output } = await captureOutput(() => main(EVENT, { request_id: 'real', time_limit_in_ms: 3000 }))
  const sent = loopback.gateway.requests.slice(before)
  return { result: value, calls: sent.length, logs: jsonLines(output), output, appid: sent[0]?.appid, openid: sent[0]?.data.openid }
}

async function viaBundle(row: Row, trust: 'off' | 'on'): Promise<Run> {
  loopback.gateway.backend = createBackend()
  const before = loopback.gateway.requests.length
  const run = await runUnderBootstrap({ functionDir: FUNCTION_DIR, event: EVENT, env: { ...loopback.gateway.sdkEnv(), ...platformEnv(row, trust) }, timeoutSec: 3 })
  const sent = loopback.gateway.requests.slice(before)
  return { result: run.result, calls: sent.length, logs: run.logs, output: run.stdout + run.stderr, appid: sent[0]?.appid, openid: sent[0]?.data.openid }
}

function expectAnswer(run: Run, row: Row, trust: 'off' | 'on') {
  const served = row.served[trust]
  if (served) {
    expect(run.result).toMatchObject({ ok: true, order: { orderId: EVENT.orderId } })
    expect(run.calls).toBe(1)
    // Made as the calling account, for its own user; otherwise as this account.
    expect(run.appid).toBe(row.actAs)
    if (row.actAs) expect(run.openid).toBe(FOREIGN.fromOpenid)
  } else {
    expect(run.result).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED', hint: expect.any(String) } })
    expect(run.calls).toBe(0)
  }
  // A server-shaped call that is refused was never a server: it is logged as anonymous.
  const role = served || row.role !== 'server' ? row.role : 'anonymous'
  expect(run.logs.filter((l) => l.msg === 'getOrder')).toEqual([expect.objectContaining({ role, source: row.source })])
  for (const secret of [USER, FOREIGN.fromOpenid]) expect(run.output).not.toContain(secret)
}

describe.each(CASES)('%s', (_name, row, trust) => {
  test('the fake SDK and the real SDK answer alike, as the access rules say', async () => {
    const fake = await viaFake(row, trust)
    const real = await viaRealSdk(row, trust)
    expectAnswer(fake, row, trust)
    expectAnswer(real, row, trust)
    expect(comparable(fake.result)).toEqual(comparable(real.result))
  })
})

// The bundle tier adds what the other two cannot: the identity as the bundled code extracts it
// from the environment under the CLI's runtime. Every caller shape goes through it once; the
// rules' other setting (TRUST_SERVER_CALLERS off) is the same code, held by the tiers above.
describe('the committed bundle under the CLI runtime', () => {
  test.each(ROWS.map((row) => [row.name, row] as const))('%s, TRUST_SERVER_CALLERS on', async (_name, row) => {
    expectAnswer(await viaBundle(row, 'on'), row, 'on')
  })
})

describe('the timer event through the committed bundle', () => {
  const TIMER = { Type: 'timer', TriggerName: 'purgeLabels', Time: '2026-11-28T10:00:00Z', Message: '' }
  test.each([
    ['the platform timer (wx_trigger) runs the purge', { source: 'wx_trigger' }, true],
    ['a mini program sending the same event is refused', { openid: USER, source: 'wx_client' }, false],
    ['a server source runs it too: no OPENID, whatever marker the platform sets', { source: 'wx_http' }, true],
    ['no source and no marker runs it', { source: '' }, true],
  ] as const)('%s', async (_name, caller, served) => {
    const run = await runUnderBootstrap({ functionDir: FUNCTION_DIR, event: TIMER, env: { ...loopback.gateway.sdkEnv(), ...identityEnv(caller), TRUST_SERVER_CALLERS: '1' }, timeoutSec: 3 })
    expect(run.result).toMatchObject(served ? { ok: true, purge: { deleted: 0, failed: 0, more: false } } : { ok: false, error: { code: 'PERMISSION_DENIED' } })
    expect(run.logs.filter((l) => l.msg === 'purgeLabels')).toEqual([expect.objectContaining({ source: caller.source || '(none)', outcome: served ? 'ok' : 'error' })])
  })
})

test('a refusal names the source chain and the variable to change', async () => {
  const run = await viaFake(
    ROWS.find((r) => r.source === 'wx_client,scf' && r.caller.openid === undefined)!,
    'on',
  )
  expect(run.result).toMatchObject({ ok: false, error: { message: expect.stringContaining('wx_client,scf'), hint: expect.stringContaining('TRUSTED_SOURCES') } })
})

test('a malformed TRUSTED_SOURCES is a CONFIG_ERROR, not the default', async () => {
  const env = { ...identityEnv({ source: 'wx_http' }), TRUST_SERVER_CALLERS: '1', TRUSTED_SOURCES: 'wx_http,,scf', TENCENTCLOUD_SECRETID: 'x', TENCENTCLOUD_SECRETKEY: 'y' }
  const backend = createBackend()
  const main = createCloudMain(createFakeCloud({ backend, env }) as unknown as WxServerSdk, env)
  const { value } = await captureOutput(() => main(EVENT, { request_id: 'cfg', time_limit_in_ms: 3000 }))
  expect(value).toMatchObject({ ok: false, error: { code: 'CONFIG_ERROR', message: expect.stringContaining('TRUSTED_SOURCES') } })
  expect(backend.calls).toHaveLength(0)
})

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{"level"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe('a cross-account user under ACCESS_POLICY=own, through both SDKs', () => {
  const OTHER = { orderId: 'DEMO-GBK-0001', deliveryId: 'STO' }
  const caller = { ...FOREIGN, source: 'wx_client' }
  const env = { ...OWNERSHIP_ENV, TRUSTED_FROM_APPIDS: FOREIGN.fromAppid }
  async function read(tier: 'fake' | 'real', event: object, records: object[]) {
    const platform = { ...identityEnv(caller), ...env }
    if (tier === 'fake') {
      const backend = createBackend()
      const full = { ...platform, TENCENTCLOUD_SECRETID: 'x', TENCENTCLOUD_SECRETKEY: 'y' }
      const fake = createFakeCloud({ backend, env: full })
      seedOwners(fake.db, records as never)
      const { value } = await captureOutput(() => createCloudMain(fake as unknown as WxServerSdk, full)(event, { request_id: 'x', time_limit_in_ms: 3000 }))
      return { result: value, calls: backend.calls.length }
    }
    loopback.gateway.db.collections.delete(OWNERSHIP_ENV.ORDER_OWNERS_COLLECTION!)
    seedOwners(loopback.gateway.db, records as never)
    loopback.gateway.backend = createBackend()
    for (const k of IDENTITY_KEYS) delete process.env[k]
    Object.assign(process.env, platform)
    const { value } = await captureOutput(() => createCloudMain(require('wx-server-sdk') as WxServerSdk, process.env)(event, { request_id: 'x', time_limit_in_ms: 3000 }))
    return { result: value, calls: loopback.gateway.backend.calls.length }
  }
  test.each(['fake', 'real'] as const)('%s: reads the order recorded for it, and nothing else; 0 WeChat calls on refusal', async (tier) => {
    const mine = await read(tier, EVENT, [FOREIGN_OWNS])
    expect(mine.result).toMatchObject({ ok: true, order: { orderId: EVENT.orderId } })
    expect(mine.calls).toBe(1)
    // Another order, recorded for nobody.
    const other = await read(tier, OTHER, [FOREIGN_OWNS])
    expect(other.result).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } })
    expect(other.calls).toBe(0)
    // A record for the same openid without the account: this account's user, not the caller.
    const unscoped = await read(tier, EVENT, [{ ...FOREIGN_OWNS, appid: undefined }])
    expect(unscoped.result).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } })
    expect(unscoped.calls).toBe(0)
    // Recorded for another account.
    const elsewhere = await read(tier, EVENT, [{ ...FOREIGN_OWNS, appid: 'wxSOMEONEELSE0000' }])
    expect(elsewhere.result).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } })
    expect(elsewhere.calls).toBe(0)
  })
})
