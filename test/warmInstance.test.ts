/**
 * One invocation, one identity. A warm instance serves invocation after invocation, and the CLI's
 * runtime (runtime/nodejs/bootstrap.js) copies each invocation's `context.environ` into
 * process.env without clearing what the last one set. Here one function instance, on the real
 * wx-server-sdk against the loopback gateway, is invoked exactly so, with callers that change:
 * each must see only its own identity and source.
 */
import { createCloudMain, type WxServerSdk } from '../src/cloud/entry'
import { createBackend } from '../src/harness/backend'
import { OWNERSHIP_ENV } from '../src/harness/owners'
import type { Result } from '../src/types'
import { captureOutput } from './support/fakeMain'
import { useLoopback } from './support/loopback'
import { USER } from './support/scenarios'

const loopback = useLoopback()
const SF = { orderId: '01234567890123456789', deliveryId: 'SF', waybillId: '123456789' }
const TIMER = { Type: 'timer', TriggerName: 'purgeLabels', Time: '2026-12-02T10:00:00Z' }

type Step = { name: string; environ: string; event: unknown; expect: { outcome: string; role: string; source: string } }
const STEPS: Step[] = [
  {
    name: 'a mini program user',
    environ: `WX_CONTEXT_KEYS=WX_OPENID,WX_APPID;WX_OPENID=${USER};WX_APPID=wx0000000000000001;TCB_SOURCE=wx_client`,
    event: SF,
    expect: { outcome: 'ok', role: 'user', source: 'wx_client' },
  },
  {
    name: 'a cross-account caller',
    environ: 'WX_CONTEXT_KEYS=WX_FROM_OPENID,WX_FROM_APPID;WX_FROM_OPENID=oFOREIGN-0000000001;WX_FROM_APPID=wxFOREIGN000000001;TCB_SOURCE=wx_client',
    event: SF,
    expect: { outcome: 'error', role: 'cross-account', source: 'wx_client' },
  },
  { name: 'the timer', environ: 'TCB_SOURCE=wx_trigger', event: TIMER, expect: { outcome: 'ok', role: 'timer', source: 'wx_trigger' } },
  { name: 'another function', environ: 'TCB_SOURCE=scf', event: SF, expect: { outcome: 'ok', role: 'server', source: 'scf' } },
  { name: 'a caller the platform says nothing of', environ: 'SOME_OTHER=1', event: SF, expect: { outcome: 'error', role: 'anonymous', source: '(none)' } },
  {
    name: 'the mini program user again',
    environ: `WX_CONTEXT_KEYS=WX_OPENID,WX_APPID;WX_OPENID=${USER};WX_APPID=wx0000000000000001;TCB_SOURCE=wx_client`,
    event: SF,
    expect: { outcome: 'ok', role: 'user', source: 'wx_client' },
  },
]

test('one instance, callers that change: each invocation sees only its own identity', async () => {
  for (const k of ['WX_CONTEXT_KEYS', 'WX_OPENID', 'WX_APPID', 'WX_FROM_OPENID', 'WX_FROM_APPID', 'TCB_SOURCE', 'ADMIN_OPENIDS']) delete process.env[k]
  Object.assign(process.env, OWNERSHIP_ENV, { TRUST_SERVER_CALLERS: '1' })
  loopback.gateway.backend = createBackend()
  const main = createCloudMain(require('wx-server-sdk') as WxServerSdk, process.env)
  const seen: { name: string; line: Record<string, unknown>; result: Result | unknown }[] = []
  for (const step of STEPS) {
    // What the runtime does with each invocation: set its variables, clear nothing.
    for (const pair of step.environ.split(';')) {
      const [k, v] = pair.split('=', 2)
      if (k) process.env[k] = v
    }
    const { value, output } = await captureOutput(() => main(step.event as never, { request_id: step.name, time_limit_in_ms: 3000, environ: step.environ }))
    const line = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'getOrder' || l.msg === 'purgeLabels')!
    seen.push({ name: step.name, line, result: value })
  }
  expect(seen.map((s) => ({ name: s.name, outcome: s.line.outcome, role: s.line.role, source: s.line.source }))).toEqual(STEPS.map((s) => ({ name: s.name, ...s.expect })))
})

/** `k=v;k=v` as a JSON object: the platform's newer `context.environment`. */
const asEnvironment = (environ: string) => JSON.stringify(Object.fromEntries(environ.split(';').map((p) => p.split('=', 2) as [string, string])))

test('the same instance with context.environment (JSON), the newer architecture: each invocation sees only its own identity', async () => {
  for (const k of ['WX_CONTEXT_KEYS', 'WX_OPENID', 'WX_APPID', 'WX_FROM_OPENID', 'WX_FROM_APPID', 'TCB_SOURCE', 'ADMIN_OPENIDS']) delete process.env[k]
  Object.assign(process.env, OWNERSHIP_ENV, { TRUST_SERVER_CALLERS: '1' })
  loopback.gateway.backend = createBackend()
  const main = createCloudMain(require('wx-server-sdk') as WxServerSdk, process.env)
  const seen: { name: string; outcome: unknown; role: unknown; source: unknown }[] = []
  for (const step of STEPS) {
    for (const pair of step.environ.split(';')) {
      const [k, v] = pair.split('=', 2)
      if (k) process.env[k] = v
    }
    const { output } = await captureOutput(() => main(step.event as never, { request_id: step.name, time_limit_in_ms: 3000, environment: asEnvironment(step.environ) }))
    const line = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'getOrder' || l.msg === 'purgeLabels')!
    seen.push({ name: step.name, outcome: line.outcome, role: line.role, source: line.source })
  }
  expect(seen).toEqual(STEPS.map((s) => ({ name: s.name, ...s.expect })))
})

describe('context.environment decides, never process.env, once the platform gives it', () => {
  const ADMIN = 'oADMIN-warm-0000000000001'
  const BATCH = { orders: [SF] }
  const user = `WX_CONTEXT_KEYS=WX_OPENID;WX_OPENID=${USER};TCB_SOURCE=wx_client`
  const admin = `WX_CONTEXT_KEYS=WX_OPENID;WX_OPENID=${ADMIN};TCB_SOURCE=wx_client`
  const setProcessEnv = (environ: string) => {
    for (const k of ['WX_CONTEXT_KEYS', 'WX_OPENID', 'TCB_SOURCE']) delete process.env[k]
    for (const pair of environ.split(';')) {
      const [k, v] = pair.split('=', 2)
      if (k) process.env[k] = v
    }
  }
  test.each([
    ['environment names a user, process.env an admin: the batch is refused', user, admin, { ok: false, error: { code: 'PERMISSION_DENIED' } }],
    ['environment names the admin, process.env a user: the batch is served', admin, user, { ok: true }],
  ] as const)('%s', async (_name, environment, processEnv, expected) => {
    Object.assign(process.env, OWNERSHIP_ENV, { ADMIN_OPENIDS: ADMIN })
    setProcessEnv(processEnv)
    loopback.gateway.backend = createBackend()
    const main = createCloudMain(require('wx-server-sdk') as WxServerSdk, process.env)
    const { value } = await captureOutput(() => main(BATCH, { request_id: 'env', time_limit_in_ms: 3000, environment: asEnvironment(environment) }))
    expect(value).toMatchObject(expected)
  })
})
