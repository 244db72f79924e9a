import type { ScenarioName } from '../../src/harness/backend'
import type { ErrorCode, Result, WarningCode } from '../../src/types'

export const USER = 'oUSER-abcdefghijklmnop'
export const ADMIN = 'oADMIN-abcdefghijklmno'

export interface Scenario {
  name: string
  backend: ScenarioName
  event: unknown
  /** the caller's OPENID; null: no caller */
  caller: string | null
  env?: Record<string, string>
  timeLimitMs?: number
  /** what the result must be, besides agreeing across tiers */
  expect: { ok: true; warnings?: WarningCode[]; status?: string; batchFailed?: number } | { ok: false; code: ErrorCode; wxErrCode?: number }
  /** upstream calls the scenario makes (undefined: not checked) */
  calls?: number
  /** over HTTPS, where it differs: a 40001 costs one token refresh and one more call */
  httpsCalls?: number
  /** a platform fault that only a cloud call can meet */
  cloudOnly?: true
}

const SF = { orderId: '01234567890123456789', deliveryId: 'SF', waybillId: '123456789', printType: 1 }

export const SCENARIO_TABLE: Scenario[] = [
  { name: 'a normal order', backend: 'normal', event: SF, caller: USER, expect: { ok: true, warnings: [], status: 'normal' }, calls: 1 },
  {
    name: 'a cancelled order',
    backend: 'normal',
    event: { orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO' },
    caller: USER,
    expect: { ok: true, warnings: ['ORDER_CANCELLED'], status: 'cancelled' },
    calls: 1,
  },
  { name: 'a GBK label', backend: 'normal', event: { orderId: 'DEMO-GBK-0001', deliveryId: 'STO' }, caller: USER, expect: { ok: true, warnings: [] }, calls: 1 },
  { name: "the API doc's example answer", backend: 'doc-example', event: SF, caller: USER, expect: { ok: true, warnings: ['PRINT_HTML_NOT_HTML'] }, calls: 1 },
  { name: 'a missing print_html', backend: 'normal', event: { orderId: 'DEMO-NOLABEL-0001', deliveryId: 'JD' }, caller: USER, expect: { ok: true, warnings: ['PRINT_HTML_MISSING'] }, calls: 1 },
  {
    name: 'an odd order_status',
    backend: 'normal',
    event: { orderId: 'DEMO-ODDSTATUS-0001', deliveryId: 'EMS' },
    caller: USER,
    expect: { ok: true, warnings: ['UNKNOWN_ORDER_STATUS'], status: 'unknown' },
    calls: 1,
  },
  {
    name: "WeChat's sandbox carrier TEST, two-part label",
    backend: 'normal',
    event: { orderId: 'DEMO-TEST-0001', deliveryId: 'TEST' },
    caller: USER,
    expect: { ok: true, warnings: [], status: 'normal' },
    calls: 1,
  },
  {
    name: 'the sandbox carrier TEST asked for its one-part label: empty, so no label',
    backend: 'normal',
    event: { orderId: 'DEMO-TEST-0001', deliveryId: 'TEST', printType: 1 },
    caller: USER,
    expect: { ok: true, warnings: ['PRINT_HTML_MISSING'] },
    calls: 1,
  },
  // An admin: no user owns an order that does not exist, so a user is refused before WeChat.
  {
    name: 'an unknown order (9300528)',
    backend: 'normal',
    event: { orderId: 'NO-SUCH-ORDER', deliveryId: 'SF' },
    caller: ADMIN,
    expect: { ok: false, code: 'WECHAT_ERROR', wxErrCode: 9300528 },
    calls: 1,
  },
  {
    name: 'a user reading an order not recorded as theirs',
    backend: 'normal',
    event: { orderId: 'NO-SUCH-ORDER', deliveryId: 'SF' },
    caller: USER,
    expect: { ok: false, code: 'PERMISSION_DENIED' },
    calls: 0,
  },
  { name: "a user reading another user's order", backend: 'normal', event: SF, caller: 'oOTHER-abcdefghijklmno', expect: { ok: false, code: 'PERMISSION_DENIED' }, calls: 0 },
  { name: 'a user with ACCESS_POLICY unset (admin-only)', backend: 'normal', event: SF, caller: USER, env: { ACCESS_POLICY: '' }, expect: { ok: false, code: 'PERMISSION_DENIED' }, calls: 0 },
  { name: 'errcode 40001', backend: 'errcode-40001', event: SF, caller: USER, expect: { ok: false, code: 'AUTH_ERROR', wxErrCode: 40001 }, calls: 1, httpsCalls: 2 },
  { name: 'errcode 47001', backend: 'errcode-47001', event: SF, caller: USER, expect: { ok: false, code: 'WECHAT_ERROR', wxErrCode: 47001 }, calls: 1 },
  { name: 'platform -604101', backend: 'platform--604101', event: SF, caller: USER, expect: { ok: false, code: 'CONFIG_ERROR', wxErrCode: -604101 }, calls: 1, cloudOnly: true },
  { name: 'a body that is not JSON', backend: 'bad-json', event: SF, caller: USER, expect: { ok: false, code: 'BAD_RESPONSE' }, calls: 1 },
  { name: 'a -1 that succeeds on retry', backend: 'flaky', event: SF, caller: USER, expect: { ok: true, warnings: [] }, calls: 2 },
  { name: 'HTTP 502', backend: 'http-502', event: SF, caller: USER, expect: { ok: false, code: 'UPSTREAM_UNAVAILABLE', wxErrCode: -501001 } },
  { name: 'an upstream that never answers', backend: 'silence', event: SF, caller: USER, timeLimitMs: 800, expect: { ok: false, code: 'TIMEOUT' }, calls: 1 },
  { name: 'an invalid event', backend: 'normal', event: { order_id: '1', deliveryId: 'SF' }, caller: USER, expect: { ok: false, code: 'INVALID_ARGUMENT' }, calls: 0 },
  { name: "another user's openid", backend: 'normal', event: { ...SF, openid: 'oSOMEBODY-ELSE-00000' }, caller: USER, expect: { ok: false, code: 'PERMISSION_DENIED' }, calls: 0 },
  { name: 'no caller, untrusted', backend: 'normal', event: SF, caller: null, expect: { ok: false, code: 'PERMISSION_DENIED' }, calls: 0 },
  { name: 'an admin reading for a customer', backend: 'normal', event: { ...SF, openid: 'oCUSTOMER-0000000000' }, caller: ADMIN, expect: { ok: true }, calls: 1 },
  {
    name: 'a batch with an unknown order',
    backend: 'normal',
    event: {
      orders: [
        { orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO' },
        { orderId: 'NO-SUCH', deliveryId: 'SF' },
        { orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO' },
      ],
    },
    caller: ADMIN,
    expect: { ok: true, batchFailed: 1 },
    // Two distinct orders: the first read alone (memory by bytes), then the other.
    calls: 2,
  },
]

/** The result without what legitimately differs between runs. */
export function comparable(r: Result | undefined): unknown {
  if (r === undefined) return undefined
  const { requestId: _drop, ...rest } = r
  return rest
}

export function checkExpectation(s: Scenario, r: Result | undefined, transport: 'cloud' | 'https' = 'cloud'): string[] {
  const problems: string[] = []
  if (!r) return ['no result']
  if (r.ok !== s.expect.ok) return [`ok is ${r.ok}: ${JSON.stringify(r).slice(0, 300)}`]
  if (!r.ok && !s.expect.ok) {
    if (r.error.code !== s.expect.code) problems.push(`code ${r.error.code}, expected ${s.expect.code}`)
    // Codes below -1 are the CloudBase platform's and SDK's own: an HTTPS call never meets them.
    const platformCode = s.expect.wxErrCode !== undefined && s.expect.wxErrCode < -1
    if (s.expect.wxErrCode !== undefined && !(transport === 'https' && platformCode) && r.error.wxErrCode !== s.expect.wxErrCode) {
      problems.push(`wxErrCode ${r.error.wxErrCode}`)
    }
  }
  if (r.ok && s.expect.ok) {
    if ('order' in r) {
      if (s.expect.warnings && JSON.stringify(r.warnings.map((w) => w.code)) !== JSON.stringify(s.expect.warnings)) problems.push(`warnings ${JSON.stringify(r.warnings)}`)
      if (s.expect.status && r.order.status !== s.expect.status) problems.push(`status ${r.order.status}`)
    } else if (s.expect.batchFailed !== undefined) {
      const failed = r.orders.filter((o) => !o.ok).length
      if (failed !== s.expect.batchFailed) problems.push(`${failed} batch items failed`)
    }
  }
  return problems
}

/**
 * What every transport must agree on. Messages and upstream codes name the transport's own
 * fault (an SDK code, an HTTP status), so across transports only the outcome is compared.
 */
export function outcome(r: Result | undefined): unknown {
  if (r === undefined) return undefined
  if (!r.ok) return { ok: false, code: r.error.code, retryable: r.error.retryable, field: r.error.field }
  const { requestId: _drop, ...rest } = r
  return rest
}
