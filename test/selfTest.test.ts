/**
 * `{ selfTest: true }`, the deployment self-test `npm run doctor` invokes: the same rows through the
 * in-process fake SDK and the real wx-server-sdk on the loopback gateway. It is served to admins and
 * trusted servers only, touches nothing for anyone else, and leaves no file behind.
 */
import { randomBytes } from 'crypto'
import { createCloudMain, type WxServerSdk } from '../src/cloud/entry'
import { createBackend, type ScenarioName } from '../src/harness/backend'
import { identityEnv } from '../src/harness/bootstrap'
import type { StorageFault } from '../src/harness/gateway'
import type { SelfTestCheck, SelfTestResult } from '../src/types'
import { ADMIN, ownedFakeCloud, USER } from './support/fakeMain'
import { realSdkHarness, type RealSdkHarness } from './support/realMain'

interface Row {
  name: string
  caller: { openid?: string; source?: string }
  env?: Record<string, string>
  scenario?: ScenarioName
  fault?: StorageFault
  event?: unknown
  expect: { code: string } | { healthy: boolean; failed: SelfTestCheck['name'][]; wxErrCode?: number; rows: SelfTestCheck['name'][] }
  /** getOrder calls that reach the fake WeChat */
  calls: number
  /** files the self-test could not take back (storage refusing deletes) */
  left?: number
}

const ROWS: Row[] = [
  { name: 'an admin, everything in place', caller: { openid: ADMIN }, expect: { healthy: true, failed: [], wxErrCode: 9300528, rows: ['permission', 'records', 'storage', 'owners'] }, calls: 1 },
  {
    name: 'a trusted server (scf)',
    caller: { source: 'scf' },
    env: { TRUST_SERVER_CALLERS: '1' },
    expect: { healthy: true, failed: [], rows: ['permission', 'records', 'storage', 'owners'] },
    calls: 1,
  },
  {
    name: 'admin-only policy: no owners row',
    caller: { openid: ADMIN },
    env: { ACCESS_POLICY: 'admin-only' },
    expect: { healthy: true, failed: [], rows: ['permission', 'records', 'storage'] },
    calls: 1,
  },
  {
    name: 'the permission missing (-604101)',
    caller: { openid: ADMIN },
    scenario: 'platform--604101',
    expect: { healthy: false, failed: ['permission'], wxErrCode: -604101, rows: ['permission', 'records', 'storage', 'owners'] },
    calls: 1,
  },
  { name: 'storage refusing uploads', caller: { openid: ADMIN }, fault: 'upload', expect: { healthy: false, failed: ['storage'], rows: ['permission', 'records', 'storage', 'owners'] }, calls: 1 },
  {
    name: 'storage refusing deletes',
    caller: { openid: ADMIN },
    fault: 'delete',
    expect: { healthy: false, failed: ['storage'], rows: ['permission', 'records', 'storage', 'owners'] },
    calls: 1,
    left: 1,
  },
  {
    name: 'the database failing',
    caller: { openid: ADMIN },
    fault: 'database',
    expect: { healthy: false, failed: ['records', 'owners'], rows: ['permission', 'records', 'storage', 'owners'] },
    calls: 1,
  },
  { name: 'a plain user', caller: { openid: USER }, expect: { code: 'PERMISSION_DENIED' }, calls: 0 },
  { name: 'no OPENID, servers not trusted', caller: { source: 'scf' }, expect: { code: 'PERMISSION_DENIED' }, calls: 0 },
  { name: 'no OPENID from a client chain', caller: { source: 'wx_client,scf' }, env: { TRUST_SERVER_CALLERS: '1' }, expect: { code: 'PERMISSION_DENIED' }, calls: 0 },
  { name: 'a user through the HTTP access service', caller: { source: 'tcb_http' }, env: { TRUST_SERVER_CALLERS: '1' }, expect: { code: 'PERMISSION_DENIED' }, calls: 0 },
  { name: 'selfTest with an order', caller: { openid: ADMIN }, event: { selfTest: true, orderId: 'x', deliveryId: 'SF' }, expect: { code: 'INVALID_ARGUMENT' }, calls: 0 },
  { name: 'selfTest not true', caller: { openid: ADMIN }, event: { selfTest: 'yes' }, expect: { code: 'INVALID_ARGUMENT' }, calls: 0 },
]

function envFor(row: Row): Record<string, string> {
  return {
    ADMIN_OPENIDS: ADMIN,
    ...identityEnv({
      ...(row.caller.openid !== undefined ? { openid: row.caller.openid, appid: 'wx0000000000000000' } : {}),
      ...(row.caller.source !== undefined ? { source: row.caller.source } : {}),
    }),
    ...row.env,
  }
}

function check(row: Row, result: SelfTestResult, calls: number, filesLeft: number) {
  expect(calls).toBe(row.calls)
  expect(filesLeft).toBe(row.left ?? 0)
  if ('code' in row.expect) {
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error.code).toBe(row.expect.code)
    return
  }
  if (!result.ok) throw new Error(`expected the self-test to run: ${JSON.stringify(result)}`)
  const report = result.selfTest
  expect(report.checks.map((c) => c.name).sort()).toEqual([...row.expect.rows].sort())
  expect(
    report.checks
      .filter((c) => !c.ok)
      .map((c) => c.name)
      .sort(),
  ).toEqual([...row.expect.failed].sort())
  expect(report.healthy).toBe(row.expect.healthy)
  for (const c of report.checks) if (!c.ok) expect(c.fix ?? c.detail).toMatch(/\S/)
  if (row.expect.wxErrCode !== undefined) expect(report.checks.find((c) => c.name === 'permission')!.wxErrCode).toBe(row.expect.wxErrCode)
  if (row.left) expect(report.checks.find((c) => c.name === 'storage')!.detail).toMatch(/cloud:\/\/\S+ is left/)
  if (row.expect.wxErrCode === -604101) expect(report.checks.find((c) => c.name === 'permission')!.fix).toMatch(/config\.json.*devtools/s)
}

describe('through the in-process fake SDK', () => {
  test.each(ROWS)('$name', async (row) => {
    const backend = createBackend({ scenario: row.scenario ?? 'normal' })
    const env: NodeJS.ProcessEnv = { TENCENTCLOUD_SECRETID: 'fake-id', TENCENTCLOUD_SECRETKEY: 'fake-key', ACCESS_POLICY: 'own', ORDER_OWNERS_COLLECTION: 'getorder_demo_owners', ...envFor(row) }
    const fake = ownedFakeCloud(backend, env)
    if (row.fault) fake.storageFault = row.fault
    const logs: object[] = []
    const main = createCloudMain(fake as unknown as WxServerSdk, env, { logger: { info: (r) => logs.push(r), error: (r) => logs.push(r) } })
    const result = (await main((row.event ?? { selfTest: true }) as { selfTest: true }, { request_id: 'req-1', time_limit_in_ms: 3000 })) as SelfTestResult
    check(row, result, backend.calls.length, fake.files.size)
    expect(logs).toHaveLength(1)
    if (!('code' in row.expect)) expect(logs[0]).toMatchObject({ msg: 'selfTest', outcome: row.expect.healthy ? 'healthy' : 'unhealthy' })
  })
})

describe('through the real wx-server-sdk on the loopback gateway', () => {
  let h: RealSdkHarness
  beforeAll(async () => {
    h = await realSdkHarness()
  })
  afterAll(() => h.close())

  test.each(ROWS)('$name', async (row) => {
    h.gateway.backend = createBackend({ scenario: row.scenario ?? 'normal' })
    h.gateway.resetStorage()
    if (row.fault) h.gateway.storageFault = row.fault
    const main = h.use({ ADMIN_OPENIDS: ADMIN, ACCESS_POLICY: 'own', ORDER_OWNERS_COLLECTION: 'getorder_demo_owners', ...(row.env ?? {}) }, row.caller.openid, row.caller.source)
    const result = (await main((row.event ?? { selfTest: true }) as { selfTest: true }, { request_id: 'req-1', time_limit_in_ms: 3000 })) as SelfTestResult
    check(row, result, h.gateway.backend.calls.length, h.gateway.files.size)
  })
})

/**
 * `{ selfTest: true, ticket }`: the doctor's one-time proof, which needs no platform marker. The
 * same cases through both SDKs; a refusal calls nothing and stores nothing.
 */
describe('a ticketed self-test', () => {
  const TICKETS = 'getorder_doctor'
  const fresh = () => randomBytes(32).toString('hex')
  type Tier = { run(event: object, source: string | undefined): Promise<SelfTestResult>; put(id: string, doc: Record<string, unknown>): void; calls(): number; files(): number; docs(): number }
  let h: RealSdkHarness
  beforeAll(async () => {
    h = await realSdkHarness()
  })
  afterAll(() => h.close())

  const tiers: [string, () => Tier][] = [
    [
      'fake SDK',
      () => {
        const backend = createBackend()
        const env: NodeJS.ProcessEnv = { TENCENTCLOUD_SECRETID: 'fake-id', TENCENTCLOUD_SECRETKEY: 'fake-key', ADMIN_OPENIDS: ADMIN }
        const fake = ownedFakeCloud(backend, env)
        return {
          async run(event, source) {
            for (const k of ['WX_CONTEXT_KEYS', 'WX_OPENID', 'TCB_SOURCE']) delete env[k]
            Object.assign(env, identityEnv(source !== undefined ? { source } : {}))
            return (await createCloudMain(fake as unknown as WxServerSdk, env)(event as { selfTest: true }, { request_id: 't', time_limit_in_ms: 3000 })) as SelfTestResult
          },
          put: (id, doc) => (fake.db.collections.has(TICKETS) || fake.db.create(TICKETS), void fake.db.set(TICKETS, id, doc)),
          calls: () => backend.calls.length,
          files: () => fake.files.size,
          docs: () => [...fake.db.collections.values()].reduce((n, c) => n + c.size, 0),
        }
      },
    ],
    [
      'real SDK',
      () => {
        h.gateway.backend = createBackend()
        h.gateway.resetStorage()
        return {
          async run(event, source) {
            const main = h.use({ ADMIN_OPENIDS: ADMIN }, undefined, source)
            return (await main(event as { selfTest: true }, { request_id: 't', time_limit_in_ms: 3000 })) as SelfTestResult
          },
          put: (id, doc) => (h.gateway.db.collections.has(TICKETS) || h.gateway.db.create(TICKETS), void h.gateway.db.set(TICKETS, id, doc)),
          calls: () => h.gateway.backend.calls.length,
          files: () => h.gateway.files.size,
          docs: () => [...h.gateway.db.collections.values()].reduce((n, c) => n + c.size, 0),
        }
      },
    ],
  ]

  describe.each(tiers)('through the %s', (_tier, make) => {
    test.each([
      ['no source at all', ''],
      ['wx_unknown', 'wx_unknown'],
      ['a source nobody documented', 'tcb_manager'],
      ['a client chain', 'wx_client'],
    ])('served once with %s, servers untrusted; the same ticket is refused the second time', async (_name, source) => {
      const t = make()
      const ticket = fresh()
      t.put(ticket, { expiresAt: Date.now() + 5 * 60_000 })
      const first = await t.run({ selfTest: true, ticket }, source)
      expect(first).toMatchObject({ ok: true, selfTest: { seen: { source: source || '(none)', markers: [], admittedAs: 'ticket' } } })
      expect(t.calls()).toBe(1)
      const again = await t.run({ selfTest: true, ticket }, source)
      expect(again).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED', message: expect.stringMatching(/no such ticket/) } })
      expect(t.calls()).toBe(1)
    })

    test.each([
      ['expired', { expiresAt: Date.now() - 1 }, /expired/],
      ['written by a client (_openid)', { expiresAt: Date.now() + 5 * 60_000, _openid: 'oCLIENT-000000000001' }, /client/],
      ['unknown', undefined, /no such ticket/],
      ['without expiresAt', {}, /expired/],
    ] as const)('a ticket %s is refused, with nothing called and nothing stored', async (_name, doc, why) => {
      const t = make()
      const ticket = fresh()
      if (doc !== undefined) t.put(ticket, { ...doc })
      const docs = t.docs()
      const result = await t.run({ selfTest: true, ticket }, 'wx_unknown')
      expect(result).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED', message: expect.stringMatching(why) } })
      expect(t.calls()).toBe(0)
      expect(t.files()).toBe(0)
      // An expired ticket is deleted; nothing is ever added.
      expect(t.docs()).toBeLessThanOrEqual(docs)
    })

    test('a malformed ticket is INVALID_ARGUMENT naming it', async () => {
      const t = make()
      expect(await t.run({ selfTest: true, ticket: 'not-hex' }, undefined)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', field: 'ticket' } })
      expect(t.calls()).toBe(0)
    })
  })
})
