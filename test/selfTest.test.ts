/**
 * `{ selfTest: true }`, the deployment self-test `npm run doctor` invokes: the same rows through the
 * in-process fake SDK and the real wx-server-sdk on the loopback gateway. It is served to admins and
 * trusted servers only, touches nothing for anyone else, and leaves no file behind.
 */
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
