/**
 * `wx-getorder/testing`: the getOrder cloud function for your own test suites. `createTestCloud`
 * runs the real getOrder core in-process (validation, access rules, decode, normalisation, errors)
 * against a scripted WeChat, with no socket and no cloud account, and answers as
 * `wx.cloud.callFunction` and `cloud.callFunction` do: `{ result }`.
 *
 * @example
 * import { createTestCloud } from 'wx-getorder/testing'
 *
 * const cloud = createTestCloud({
 *   orders: [{ orderId: 'A1', deliveryId: 'SF', waybillId: 'SF123', printHtml: '<html><body>label</body></html>' }],
 *   caller: { openid: 'oADMIN' },
 *   admins: ['oADMIN'],
 * })
 * const { result } = await cloud.callFunction({ name: 'getOrder', data: { orderId: 'A1', deliveryId: 'SF' } })
 * // result.ok, result.order.printHtml === '<html><body>label</body></html>'; cloud.calls.length === 1
 */
import { createCloudMain } from '../cloud/entry'
import { createBackend, type DemoOrder, demoOrders, type ScenarioName, SCENARIOS } from '../harness/backend'
import { createFakeCloud, type FakeCloud } from '../harness/fakeSdk'
import { identityEnv } from '../harness/identity'
import { seedOwners } from '../harness/owners'
import type { LogRecord } from '../log/logger'
import type { WxServerSdk } from '../registry/types'
import type { Result } from '../types'

/** One order the scripted WeChat knows. */
export interface TestOrder {
  orderId: string
  deliveryId: string
  waybillId?: string
  /** the label as HTML (base64-encoded for you, as WeChat sends it); absent: the answer has no print_html */
  printHtml?: string
  /** `normal` (order_status 0, the default), `cancelled` (1), or the raw order_status */
  status?: 'normal' | 'cancelled' | number
  /** waybill_data, as key → value */
  waybillData?: Record<string, string>
}

/** Who calls, as the platform would say: an OPENID for a mini program user, a source chain, or another account's user. */
export interface TestCaller {
  openid?: string
  /** the source chain (`SOURCE`), e.g. `wx_client` or `wx_trigger,scf`; default `wx_client` with an openid, else `scf` */
  source?: string
  fromAppid?: string
  fromOpenid?: string
}

/** A fault the scripted WeChat plays for every call: the harness's named scenarios. */
export type TestScenario = ScenarioName
/** Every scenario, with what it does. */
export const TEST_SCENARIOS: Readonly<Record<TestScenario, string>> = SCENARIOS

export interface TestCloudOptions {
  /** the orders WeChat knows; default: the harness's demo orders (`DEMO-ZTO-0001`, `DEMO-GBK-0001`, …) */
  orders?: TestOrder[]
  /** who calls (default: nobody the platform names, as another function would: source `scf`) */
  caller?: TestCaller
  /** OPENIDs that may read any order (ADMIN_OPENIDS) */
  admins?: string[]
  /** ownership records: with any, ACCESS_POLICY=own, and plain users read the orders recorded for them */
  owners?: { orderId: string; deliveryId: string; openid: string; appid?: string }[]
  /** a fault for every call, e.g. `errcode-40001`, `platform--604101`, `silence` */
  scenario?: TestScenario
  /** any other setting of the function (README, Configuration), e.g. `{ TRUST_SERVER_CALLERS: '1' }` */
  settings?: Record<string, string>
  /** the function's time limit, ms (default 3000, the platform's) */
  timeLimitMs?: number
}

/** What `callFunction` answers, as the platform's does. */
export interface CallFunctionAnswer {
  result: Result
  requestID: string
  errMsg: 'cloud.callFunction:ok'
}

export interface TestCloud {
  /** `cloud.callFunction` / `wx.cloud.callFunction`: `getOrder` only; any other name is refused as the platform refuses it */
  callFunction(request: { name: string; data?: unknown }): Promise<CallFunctionAnswer>
  /** what reached WeChat, in order: the API and the data as sent (snake_case). A refused call adds nothing. */
  readonly calls: readonly { api: string; data: Record<string, unknown> }[]
  /** the function's log lines */
  readonly logs: readonly LogRecord[]
  /** another caller for the calls from now on */
  setCaller(caller: TestCaller): void
  /**
   * A wx-server-sdk stand-in over the same scripted WeChat, for code that calls the API directly
   * (`init`, `getWXContext`, `openapi.logistics.getOrder`/`batchGetOrder`, `database()`, storage)
   * or calls getOrder (`callFunction`): `jest.mock('wx-server-sdk', () => cloud.sdk, { virtual: true })`.
   */
  readonly sdk: FakeCloud & { callFunction: TestCloud['callFunction'] }
  /** a `wx.cloud` stand-in for mini program tests (miniprogram-simulate): `init` and `callFunction`, with `success`/`fail` too */
  readonly wxCloud: WxCloudStandIn
}

export interface WxCloudStandIn {
  init(options?: object): void
  callFunction(options: { name: string; data?: unknown; success?: (r: CallFunctionAnswer) => void; fail?: (e: Error) => void; complete?: () => void }): Promise<CallFunctionAnswer>
}

const OWNERS_COLLECTION = 'getorder_test_owners'
const IDENTITY_KEYS = ['WX_CONTEXT_KEYS', 'WX_OPENID', 'WX_APPID', 'WX_FROM_OPENID', 'WX_FROM_APPID', 'TCB_SOURCE']

/** A test cloud with getOrder deployed in it; see the module's example. */
export function createTestCloud(options: TestCloudOptions = {}): TestCloud {
  const backend = createBackend({ scenario: options.scenario ?? 'normal', ...(options.orders ? { orders: options.orders.map(asDemoOrder) } : {}) })
  const env: NodeJS.ProcessEnv = {
    // The in-process SDK stands in for CloudBase: the function runs as deployed there.
    TENCENTCLOUD_SECRETID: 'test-cloud',
    TENCENTCLOUD_SECRETKEY: 'test-cloud',
    ...(options.admins?.length ? { ADMIN_OPENIDS: options.admins.join(',') } : {}),
    ...(options.owners ? { ACCESS_POLICY: 'own', ORDER_OWNERS_COLLECTION: OWNERS_COLLECTION } : {}),
    ...options.settings,
  }
  const sdk = createFakeCloud({ backend, env })
  if (options.owners) seedOwners(sdk.db, options.owners, OWNERS_COLLECTION)
  const logs: LogRecord[] = []
  const main = createCloudMain(sdk as unknown as WxServerSdk, env, { logger: { info: (r) => void logs.push(r), error: (r) => void logs.push(r) } })
  const setCaller = (caller: TestCaller) => {
    for (const k of IDENTITY_KEYS) delete env[k]
    Object.assign(env, identityEnv(caller))
  }
  setCaller(options.caller ?? {})
  let n = 0

  async function callFunction(request: { name: string; data?: unknown }): Promise<CallFunctionAnswer> {
    if (request?.name !== 'getOrder') throw new Error(`cloud.callFunction:fail -501000 | errMsg: [ResourceNotFound.Function] FunctionName ${String(request?.name)} not found`)
    // What the platform hands the function: the data as JSON, a request id, the time limit.
    const event = request.data === undefined ? {} : (JSON.parse(JSON.stringify(request.data)) as unknown)
    const requestID = `test-${++n}`
    const result = (await main(event, { request_id: requestID, time_limit_in_ms: options.timeLimitMs ?? 3000 })) as Result
    return { result: JSON.parse(JSON.stringify(result)) as Result, requestID, errMsg: 'cloud.callFunction:ok' }
  }

  const sdkWithCalls = Object.assign(sdk, { callFunction })
  return {
    callFunction,
    get calls() {
      return sdk.calls.map((c) => ({ api: c.api, data: c.data }))
    },
    logs,
    setCaller,
    sdk: sdkWithCalls,
    wxCloud: {
      init() {},
      async callFunction(o) {
        try {
          const answer = await callFunction(o)
          o.success?.(answer)
          return answer
        } catch (err) {
          o.fail?.(err as Error)
          throw err
        } finally {
          o.complete?.()
        }
      },
    },
  }
}

/** A test order as the harness's backend keeps it: WeChat's snake_case, the label as a literal print_html. */
function asDemoOrder(o: TestOrder): DemoOrder {
  const status = o.status === undefined || o.status === 'normal' ? 0 : o.status === 'cancelled' ? 1 : o.status
  return {
    order_id: o.orderId,
    delivery_id: o.deliveryId,
    waybill_id: o.waybillId ?? '',
    order_status: status,
    ...(o.printHtml !== undefined ? { printHtml: Buffer.from(o.printHtml, 'utf8').toString('base64') } : {}),
    waybill_data: Object.entries(o.waybillData ?? {}).map(([key, value]) => ({ key, value })),
  }
}

export { demoOrders }
