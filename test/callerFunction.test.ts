/**
 * Calling getOrder from another cloud function (examples/callerFunction): the example runs under
 * the CLI's runtime on the real wx-server-sdk, its `cloud.callFunction` reaches the fake gateway,
 * and the gateway runs the committed getOrder bundle with the identity the platform gives a call
 * from another function: the caller's source chain plus `scf`, and the user's OPENID if a mini
 * program started it.
 */
import * as fs from 'fs'
import * as path from 'path'
import { identityEnv, type PlatformCaller, runUnderBootstrap } from '../src/harness/bootstrap'
import { type FakeGateway, startGateway } from '../src/harness/gateway'
import { demoOwnerRecords, OWNERSHIP_ENV, seedOwners } from '../src/harness/owners'
import { USER } from './support/scenarios'

const ROOT = path.resolve(__dirname, '..')
const CALLER_DIR = path.join(ROOT, 'examples', 'callerFunction')
const GETORDER_DIR = path.join(ROOT, 'cloudfunctions', 'getOrder')
const ORDERS = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'orders.json'), 'utf8')) as unknown[]
jest.setTimeout(60_000)

let gateway: FakeGateway
beforeAll(async () => {
  gateway = await startGateway()
  seedOwners(gateway.db, demoOwnerRecords(USER))
})
afterAll(() => gateway.close())

/** Runs the caller as `started` (a timer, a mini program user); getOrder gets `settings`. */
async function callThrough(started: PlatformCaller & { source: string }, settings: Record<string, string>) {
  const seen: Record<string, unknown>[] = []
  gateway.functions.getOrder = async (data) => {
    const asPlatformGivesIt = identityEnv({ ...(started.openid !== undefined ? { openid: started.openid } : {}), source: `${started.source},scf` })
    const run = await runUnderBootstrap({ functionDir: GETORDER_DIR, event: data, env: { ...gateway.sdkEnv(), ...asPlatformGivesIt, ...settings }, timeoutSec: 10 })
    seen.push(...run.logs.filter((l) => l.msg === 'getOrder'))
    return run.result
  }
  const caller = await runUnderBootstrap({ functionDir: CALLER_DIR, event: { orders: ORDERS }, env: { ...gateway.sdkEnv(), ...identityEnv(started) }, timeoutSec: 10 })
  return { result: caller.result as unknown, getOrderLog: seen[0] ?? {} }
}

test('a timer-started function reads a batch with TRUST_SERVER_CALLERS=1: getOrder logs role server via wx_trigger,scf', async () => {
  const { result, getOrderLog } = await callThrough({ source: 'wx_trigger' }, { TRUST_SERVER_CALLERS: '1' })
  expect(result).toEqual({ ok: true, read: 4, failed: 1, cancelled: ['DEMO-ZTO-0001'] })
  expect(getOrderLog).toMatchObject({ role: 'server', source: 'wx_trigger,scf', outcome: 'ok', mode: 'batch', orders: 5 })
})

test('without TRUST_SERVER_CALLERS the same call is refused, naming the source', async () => {
  const before = gateway.requests.length
  const { result, getOrderLog } = await callThrough({ source: 'wx_trigger' }, {})
  expect(result).toEqual({ ok: false, code: 'PERMISSION_DENIED' })
  expect(getOrderLog).toMatchObject({ role: 'anonymous', source: 'wx_trigger,scf', code: 'PERMISSION_DENIED' })
  expect(gateway.requests.length).toBe(before)
})

test('started by a mini program user, the call stays that user: a batch is refused even when servers are trusted', async () => {
  const { result, getOrderLog } = await callThrough({ openid: USER, source: 'wx_client' }, { TRUST_SERVER_CALLERS: '1', ...OWNERSHIP_ENV })
  expect(result).toEqual({ ok: false, code: 'PERMISSION_DENIED' })
  expect(getOrderLog).toMatchObject({ role: 'user', source: 'wx_client,scf' })
  expect(JSON.stringify(getOrderLog)).not.toContain(USER)
})
