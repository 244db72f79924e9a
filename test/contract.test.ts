/**
 * The contract test: one table of scenarios through the in-process fake SDK, through the real
 * wx-server-sdk against the loopback gateway, over HTTPS against the fake WeChat API server, and
 * through `wx-getorder/testing`, the test cloud users run their own suites on.
 * The two SDK tiers must give identical results but for request ids (when they differ, the fake
 * is wrong: fix the fake); the HTTPS tier must give the same outcome.
 */
import { createCloudMain, type WxServerSdk } from '../src/cloud/entry'
import { createBackend } from '../src/harness/backend'
import type { Result } from '../src/types'
import { captureOutput, ownedFakeCloud } from './support/fakeMain'
import { useLoopback } from './support/loopback'
import { demoOwnerRecords, OWNERSHIP_ENV } from '../src/harness/owners'
import { createTestCloud } from '../src/testing'
import { ADMIN, checkExpectation, comparable, outcome, type Scenario, SCENARIO_TABLE, USER } from './support/scenarios'

const loopback = useLoopback({ wechat: true })

/** Identity the way the platform sets it: in the environment, one event at a time. */
function setCaller(s: Scenario) {
  for (const k of ['WX_CONTEXT_KEYS', 'WX_OPENID', 'TRUST_SERVER_CALLERS', 'ACCESS_POLICY', 'ORDER_OWNERS_COLLECTION']) delete process.env[k]
  // USER owns the demo orders: startLoopback records them, and ownedFakeCloud below.
  Object.assign(process.env, { ADMIN_OPENIDS: ADMIN, ...OWNERSHIP_ENV })
  if (s.caller !== null) Object.assign(process.env, { WX_CONTEXT_KEYS: 'WX_OPENID', WX_OPENID: s.caller })
  Object.assign(process.env, s.env)
}

async function viaFake(s: Scenario): Promise<{ result: Result; calls: number }> {
  setCaller(s)
  const backend = createBackend({ scenario: s.backend })
  const fake = ownedFakeCloud(backend, process.env)
  const main = createCloudMain(fake as unknown as WxServerSdk, process.env)
  const { value } = await captureOutput(() => main(s.event, { request_id: 'fake', time_limit_in_ms: s.timeLimitMs ?? 3000 }))
  return { result: value, calls: backend.calls.length }
}

async function viaRealSdk(s: Scenario): Promise<{ result: Result; calls: number }> {
  setCaller(s)
  const backend = createBackend({ scenario: s.backend })
  loopback.gateway.backend = backend
  const before = loopback.gateway.requests.length
  const main = createCloudMain(require('wx-server-sdk') as WxServerSdk, process.env)
  const { value } = await captureOutput(() => main(s.event, { request_id: 'real', time_limit_in_ms: s.timeLimitMs ?? 3000 }))
  return { result: value, calls: loopback.gateway.requests.length - before }
}

async function viaHttps(s: Scenario): Promise<{ result: Result; calls: number }> {
  setCaller(s)
  loopback.wechat.backend = createBackend({ scenario: s.backend })
  const before = loopback.wechat.apiRequests.length
  const env = { ...process.env, ...loopback.wechat.httpsEnv() }
  const fake = ownedFakeCloud(createBackend(), env)
  const main = createCloudMain(fake as unknown as WxServerSdk, env)
  const { value } = await captureOutput(() => main(s.event, { request_id: 'https', time_limit_in_ms: s.timeLimitMs ?? 3000 }))
  expect(fake.calls).toHaveLength(0)
  return { result: value, calls: loopback.wechat.apiRequests.length - before }
}

/** The published test cloud: it must answer every scenario as the function does. */
async function viaTestCloud(s: Scenario): Promise<{ result: Result; calls: number }> {
  const cloud = createTestCloud({
    // Identity exactly as setCaller gives it to the other tiers: an OPENID, or nothing, and no source chain.
    caller: s.caller === null ? { source: '' } : { openid: s.caller, source: '' },
    admins: [ADMIN],
    owners: demoOwnerRecords(USER),
    scenario: s.backend,
    ...(s.env ? { settings: s.env } : {}),
    timeLimitMs: s.timeLimitMs ?? 3000,
  })
  const { result } = await cloud.callFunction({ name: 'getOrder', data: s.event })
  return { result, calls: cloud.calls.length }
}

describe.each(SCENARIO_TABLE.map((s) => [s.name, s] as const))('%s', (_name, s) => {
  test('wx-getorder/testing gives the same result as the function', async () => {
    const fake = await viaFake(s)
    const test = await viaTestCloud(s)
    expect(checkExpectation(s, test.result)).toEqual([])
    expect(comparable(test.result)).toEqual(comparable(fake.result))
    if (s.calls !== undefined) expect(test.calls).toBe(s.calls)
  })
})

describe.each(SCENARIO_TABLE.map((s) => [s.name, s] as const))('%s', (_name, s) => {
  test('the fake SDK and the real SDK give the same result, and it is the expected one', async () => {
    const fake = await viaFake(s)
    const real = await viaRealSdk(s)
    expect(checkExpectation(s, fake.result)).toEqual([])
    expect(comparable(fake.result)).toEqual(comparable(real.result))
    if (s.calls !== undefined) {
      expect(fake.calls).toBe(s.calls)
      expect(real.calls).toBe(s.calls)
    }
  })
})

// Platform faults (cloudOnly) cannot happen over HTTPS, so they are not in this tier at all.
describe.each(SCENARIO_TABLE.filter((s) => !s.cloudOnly).map((s) => [s.name, s] as const))('%s', (_name, s) => {
  test('over HTTPS the outcome is the same', async () => {
    const fake = await viaFake(s)
    const https = await viaHttps(s)
    expect(checkExpectation(s, https.result, 'https')).toEqual([])
    expect(outcome(https.result)).toEqual(outcome(fake.result))
    if (s.calls !== undefined) expect(https.calls).toBe(s.httpsCalls ?? s.calls)
  })
})
