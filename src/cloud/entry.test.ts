import { ADMIN, captureOutput, fakeMain, USER } from '../../test/support/fakeMain'
import { recordOrderOwner } from '../access/owners'
import { demoOrders } from '../harness/backend'
import { labelHtml } from '../harness/labels'
import type { Result } from '../types'

const SF = { orderId: '01234567890123456789', deliveryId: 'SF', waybillId: '123456789', printType: 1 as const }
const ctx = (extra: object = {}) => ({ request_id: 'req-1', time_limit_in_ms: 3000, ...extra })
const quiet = <T>(p: () => Promise<T>) => captureOutput(p).then((r) => r.value)
const demo = (id: string) => demoOrders().find((o) => o.order_id === id)!

function expectOk(r: Result): asserts r is Extract<Result, { order: unknown }> {
  if (!r.ok || !('order' in r)) throw new Error(`expected a single success, got ${JSON.stringify(r).slice(0, 300)}`)
}

describe('the cloud function on the in-process fake SDK', () => {
  test('a normal order: the exact request upstream and the contract result', async () => {
    const { main, fake } = fakeMain()
    const r = await quiet(() => main(SF, ctx()))
    expect(fake.calls).toEqual([{ api: 'logistics.getOrder', data: { order_id: SF.orderId, delivery_id: 'SF', waybill_id: '123456789', openid: USER, print_type: 1 } }])
    expect(r).toEqual({
      ok: true,
      requestId: 'req-1',
      warnings: [],
      order: {
        orderId: SF.orderId,
        deliveryId: 'SF',
        waybillId: '123456789',
        status: 'normal',
        statusCode: 0,
        printHtml: labelHtml(demo(SF.orderId).label!),
        waybillData: { SF_bagAddr: '广州', SF_mark: '101- 07-03 509' },
        waybillDataList: [
          { key: 'SF_bagAddr', value: '广州' },
          { key: 'SF_mark', value: '101- 07-03 509' },
        ],
      },
    })
  })

  test('a cancelled order', async () => {
    const { main } = fakeMain()
    const r = await quiet(() => main({ orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO' }, ctx()))
    expectOk(r)
    expect(r.order).toMatchObject({ status: 'cancelled', statusCode: 1 })
  })

  test('an unknown status warns', async () => {
    const { main } = fakeMain()
    const r = await quiet(() => main({ orderId: 'DEMO-ODDSTATUS-0001', deliveryId: 'EMS' }, ctx()))
    expectOk(r)
    expect(r.order).toMatchObject({ status: 'unknown', statusCode: 2 })
    expect(r.warnings.map((w) => w.code)).toEqual(['UNKNOWN_ORDER_STATUS'])
  })

  test('a GBK label arrives as text with its Chinese intact', async () => {
    const { main } = fakeMain()
    const r = await quiet(() => main({ orderId: 'DEMO-GBK-0001', deliveryId: 'STO' }, ctx()))
    expectOk(r)
    expect(r.order.printHtml).toBe(labelHtml(demo('DEMO-GBK-0001').label!))
    expect(r.order.printHtml).toContain('申通快递')
  })

  test("the API doc's example answer: printHtml null with a warning, the rest intact", async () => {
    const { main } = fakeMain({ scenario: 'doc-example' })
    const r = await quiet(() => main(SF, ctx()))
    expectOk(r)
    expect(r.warnings.map((w) => w.code)).toEqual(['PRINT_HTML_NOT_HTML'])
    expect(r.order).toEqual({
      orderId: '123456',
      deliveryId: 'SF',
      waybillId: '123456',
      status: 'normal',
      statusCode: 0,
      printHtml: null,
      waybillData: { SF_bagAddr: '广州', SF_mark: '101- 07-03 509' },
      waybillDataList: [
        { key: 'SF_bagAddr', value: '广州' },
        { key: 'SF_mark', value: '101- 07-03 509' },
      ],
    })
  })

  test('a missing print_html', async () => {
    const { main } = fakeMain()
    const r = await quiet(() => main({ orderId: 'DEMO-NOLABEL-0001', deliveryId: 'JD' }, ctx()))
    expectOk(r)
    expect(r.order.printHtml).toBeNull()
    expect(r.warnings.map((w) => w.code)).toEqual(['PRINT_HTML_MISSING'])
  })

  test.each([
    ['errcode-40001', 'AUTH_ERROR', 40001, false, 1],
    ['errcode-47001', 'WECHAT_ERROR', 47001, false, 1],
    ['errcode-9300507', 'WECHAT_ERROR', 9300507, false, 1],
    ['errcode-45009', 'RATE_LIMITED', 45009, false, 1],
    ['platform--604101', 'CONFIG_ERROR', -604101, false, 1],
    ['bad-json', 'BAD_RESPONSE', -601001, false, 1],
  ] as const)('scenario %s → %s', async (scenario, code, wxErrCode, retryable, calls) => {
    const { main, fake } = fakeMain({ scenario })
    const r = await quiet(() => main(SF, ctx()))
    expect(r).toEqual({ ok: false, requestId: 'req-1', error: expect.objectContaining({ code, wxErrCode, retryable }) })
    expect(fake.calls).toHaveLength(calls)
  })

  test('a bad JSON body is never quoted back', async () => {
    const { main } = fakeMain({ scenario: 'bad-json' })
    const r = await quiet(() => main(SF, ctx()))
    expect(JSON.stringify(r)).not.toContain('upstream went away')
  })

  test('a -1 that succeeds on retry', async () => {
    const { main, fake } = fakeMain({ scenario: 'flaky' })
    const { value: r, output } = await captureOutput(() => main(SF, ctx()))
    expectOk(r)
    expect(fake.calls).toHaveLength(2)
    expect(JSON.parse(output.trim())).toMatchObject({ outcome: 'ok', attempts: 2 })
  })

  test('HTTP 502 is retried and ends UPSTREAM_UNAVAILABLE, retryable', async () => {
    const { main, fake } = fakeMain({ scenario: 'http-502' })
    const r = await quiet(() => main(SF, ctx()))
    expect(r.ok === false && r.error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true, wxErrCode: -501001 })
    expect(fake.calls.length).toBeGreaterThan(1)
    expect(fake.calls.length).toBeLessThanOrEqual(4)
  })

  test('an upstream that never answers is answered TIMEOUT inside the budget', async () => {
    const { main, fake } = fakeMain({ scenario: 'silence' })
    const started = Date.now()
    const r = await quiet(() => main(SF, ctx({ time_limit_in_ms: 2000 })))
    const took = Date.now() - started
    expect(r.ok === false && r.error).toMatchObject({ code: 'TIMEOUT', retryable: true })
    expect(took).toBeLessThan(2000)
    expect(fake.inits.at(-1)).toMatchObject({ timeout: 2000 })
  })

  test('with no time limit in the context the budget is the 3 s default', async () => {
    const { main, fake } = fakeMain()
    await quiet(() => main(SF, {}))
    expect(fake.inits).toEqual([{ env: fake.DYNAMIC_CURRENT_ENV, timeout: 3000 }])
  })

  test('the SDK is initialised once per instance', async () => {
    const { main, fake } = fakeMain()
    await quiet(() => main(SF, ctx()))
    await quiet(() => main(SF, ctx()))
    expect(fake.inits).toHaveLength(1)
  })
})

describe('rejected events never reach WeChat', () => {
  test.each<[string, unknown, string | undefined]>([
    ['null', null, undefined],
    ['a string', 'SF', undefined],
    ['snake_case', { order_id: '1', delivery_id: 'SF' }, 'order_id'],
    ['a bad deliveryId', { orderId: '1', deliveryId: 'S F' }, 'deliveryId'],
    ['both single and batch', { ...SF, orders: [SF] }, 'orderId'],
    ['printType 2', { ...SF, printType: 2 }, 'printType'],
  ])('%s', async (_n, event, field) => {
    const { main, fake } = fakeMain()
    const r = await quiet(() => main(event, ctx()))
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toMatchObject({ code: 'INVALID_ARGUMENT', ...(field ? { field } : {}) })
    expect(fake.calls).toHaveLength(0)
  })
})

describe('who may read what', () => {
  test("a user naming another user's openid is refused before WeChat", async () => {
    const { main, fake } = fakeMain()
    const r = await quiet(() => main({ ...SF, openid: 'oSOMEONE-ELSE-0000000' }, ctx()))
    expect(r.ok === false && r.error.code).toBe('PERMISSION_DENIED')
    expect(fake.calls).toHaveLength(0)
  })

  test('the openid comes from the platform, never from the event, for a user', async () => {
    const { main, fake } = fakeMain()
    await quiet(() => main({ ...SF, openid: USER }, ctx()))
    expect(fake.calls[0]!.data.openid).toBe(USER)
  })

  test('an admin may pass any openid', async () => {
    const { main, fake } = fakeMain({ openid: ADMIN })
    const r = await quiet(() => main({ ...SF, openid: 'oCUSTOMER-000000000' }, ctx()))
    expect(r.ok).toBe(true)
    expect(fake.calls[0]!.data.openid).toBe('oCUSTOMER-000000000')
  })

  test('a call with no OPENID is refused unless TRUST_SERVER_CALLERS=1 and its source is trusted', async () => {
    const refused = fakeMain({ openid: null, source: 'wx_http' })
    const r1 = await quiet(() => refused.main(SF, ctx()))
    expect(r1.ok === false && r1.error.code).toBe('PERMISSION_DENIED')
    expect(refused.fake.calls).toHaveLength(0)

    const trusted = fakeMain({ openid: null, source: 'wx_http', env: { TRUST_SERVER_CALLERS: '1' } })
    const r2 = await quiet(() => trusted.main(SF, ctx()))
    expect(r2.ok).toBe(true)
    expect(trusted.fake.calls[0]!.data).not.toHaveProperty('openid')

    const fromClient = fakeMain({ openid: null, source: 'wx_client', env: { TRUST_SERVER_CALLERS: '1' } })
    const r3 = await quiet(() => fromClient.main(SF, ctx()))
    expect(r3.ok === false && r3.error.code).toBe('PERMISSION_DENIED')
    expect(fromClient.fake.calls).toHaveLength(0)
  })

  describe('ownership: a plain user reads only orders recorded as theirs', () => {
    const STRANGER = 'oSTRANGER-0000000000'
    test.each([
      ['a label', {}],
      ['status only (printHtmlAs none)', { printHtmlAs: 'none' }],
      ['a label as a file', { printHtmlAs: 'file' }],
    ])('%s: the owner reads; another user is refused before WeChat', async (_name, extra) => {
      const owner = fakeMain()
      expect((await quiet(() => owner.main({ ...SF, ...extra }, ctx()))).ok).toBe(true)
      expect(owner.fake.calls).toHaveLength(1)
      const other = fakeMain({ openid: STRANGER })
      const r = await quiet(() => other.main({ ...SF, ...extra }, ctx()))
      expect(r).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED', message: expect.stringContaining('not recorded'), hint: expect.stringContaining('recordOrderOwner') } })
      expect(other.fake.calls).toHaveLength(0)
    })

    test('recordOrderOwner writes what the lookup reads; the carrier is compared without regard to case', async () => {
      const { main, fake } = fakeMain({ openid: STRANGER })
      await recordOrderOwner(fake.database(), 'getorder_demo_owners', { orderId: SF.orderId, deliveryId: 'sf', openid: STRANGER })
      expect((await quiet(() => main(SF, ctx()))).ok).toBe(true)
      // Recording again replaces the owner: the first one no longer reads it.
      await recordOrderOwner(fake.database(), 'getorder_demo_owners', { orderId: SF.orderId, deliveryId: 'SF', openid: 'oNEXT-00000000000000' })
      expect(await quiet(() => main(SF, ctx()))).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } })
    })

    test('a record for another carrier or another order proves nothing', async () => {
      const { main, fake } = fakeMain({ openid: STRANGER })
      await recordOrderOwner(fake.database(), 'getorder_demo_owners', { orderId: SF.orderId, deliveryId: 'YTO', openid: STRANGER })
      await recordOrderOwner(fake.database(), 'getorder_demo_owners', { orderId: `${SF.orderId}0`, deliveryId: 'SF', openid: STRANGER })
      expect(await quiet(() => main(SF, ctx()))).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } })
      expect(fake.calls).toHaveLength(0)
    })

    test('an admin reads without a record; the event openid does not stand in for one', async () => {
      const admin = fakeMain({ openid: ADMIN })
      expect((await quiet(() => admin.main({ orderId: 'NOT-RECORDED', deliveryId: 'SF' }, ctx()))).ok === false && admin.fake.calls.length).toBe(1)
      const claims = fakeMain({ openid: STRANGER })
      expect(await quiet(() => claims.main({ ...SF, openid: USER }, ctx()))).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } })
      expect(claims.fake.calls).toHaveLength(0)
    })

    test('the ownership lookup failing is an error naming the collection, and WeChat is not called', async () => {
      const { main, fake } = fakeMain()
      fake.storageFault = 'database'
      const r = await quiet(() => main(SF, ctx()))
      expect(r).toMatchObject({ ok: false, error: { code: 'UPSTREAM_UNAVAILABLE', hint: expect.stringContaining('getorder_demo_owners') } })
      expect(fake.calls).toHaveLength(0)
    })

    test('ACCESS_POLICY=own without ORDER_OWNERS_COLLECTION is a CONFIG_ERROR for everyone', async () => {
      const { main, fake } = fakeMain({ openid: ADMIN, env: { ORDER_OWNERS_COLLECTION: '' } })
      expect(await quiet(() => main(SF, ctx()))).toMatchObject({ ok: false, error: { code: 'CONFIG_ERROR', message: expect.stringContaining('ORDER_OWNERS_COLLECTION') } })
      expect(fake.calls).toHaveLength(0)
    })

    test('the log line says whether ownership was proven, never whose', async () => {
      const { main } = fakeMain()
      const { output } = await captureOutput(() => main(SF, ctx()))
      expect(JSON.parse(output.trim())).toMatchObject({ role: 'user', owner: 'proven' })
      expect(output).not.toContain(USER)
    })
  })

  test("9300502, the carrier's system failing, is retried inside the budget", async () => {
    const { main, fake, backend } = fakeMain()
    const answer = backend.answer.bind(backend)
    let n = 0
    backend.answer = (api, req) => (++n === 1 ? { kind: 'json', body: JSON.stringify({ errcode: 9300502, errmsg: 'delivery side sys error' }) } : answer(api, req))
    const r = await quiet(() => main(SF, ctx()))
    expect(r.ok).toBe(true)
    expect(fake.calls).toHaveLength(2)
    // Always failing, it is UPSTREAM_UNAVAILABLE, retryable, with its hint.
    backend.answer = () => ({ kind: 'json', body: JSON.stringify({ errcode: 9300502, errmsg: 'delivery side sys error' }) })
    expect(await quiet(() => main(SF, ctx()))).toMatchObject({
      ok: false,
      error: { code: 'UPSTREAM_UNAVAILABLE', retryable: true, wxErrCode: 9300502, hint: expect.stringContaining("carrier's system") },
    })
  })

  test('ACCESS_POLICY unset (admin-only) refuses users with the way to enable ownership', async () => {
    const { main, fake } = fakeMain({ env: { ACCESS_POLICY: '', ORDER_OWNERS_COLLECTION: '' } })
    const r = await quiet(() => main(SF, ctx()))
    expect(r).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED', hint: expect.stringContaining('ACCESS_POLICY=own') } })
    expect(fake.calls).toHaveLength(0)
  })

  test('ACCESS_POLICY=admin-only refuses users outright', async () => {
    const { main, fake } = fakeMain({ env: { ACCESS_POLICY: 'admin-only' } })
    const r = await quiet(() => main(SF, ctx()))
    expect(r.ok === false && r.error.code).toBe('PERMISSION_DENIED')
    expect(fake.calls).toHaveLength(0)
  })

  test('the event cannot make itself admin', async () => {
    const { main, fake } = fakeMain()
    const r = await quiet(() => main({ ...SF, userInfo: { openId: ADMIN }, openid: 'oCUSTOMER-000000000' }, ctx()))
    expect(r.ok === false && r.error.code).toBe('PERMISSION_DENIED')
    expect(fake.calls).toHaveLength(0)
  })
})

describe('deployment errors', () => {
  test('no CloudBase credentials: CONFIG_ERROR, and the SDK is never touched', async () => {
    const { main, fake } = fakeMain({ env: { TENCENTCLOUD_SECRETID: '', TENCENTCLOUD_SECRETKEY: '' } })
    const r = await quiet(() => main(SF, ctx()))
    expect(r.ok === false && r.error).toMatchObject({ code: 'CONFIG_ERROR', message: expect.stringContaining('TENCENTCLOUD_SECRETID') })
    expect(fake.inits).toHaveLength(0)
  })

  test('an unknown WX_TRANSPORT is a CONFIG_ERROR', async () => {
    const { main } = fakeMain({ env: { WX_TRANSPORT: 'carrier-pigeon' } })
    const r = await quiet(() => main(SF, ctx()))
    expect(r.ok === false && r.error.code).toBe('CONFIG_ERROR')
  })
})

describe('logging', () => {
  test('one JSON line per invocation with the essentials, masked openid, no label', async () => {
    const { main } = fakeMain()
    const { value: r, output } = await captureOutput(() => main(SF, ctx()))
    expectOk(r)
    const lines = output.trim().split('\n')
    expect(lines).toHaveLength(1)
    const rec = JSON.parse(lines[0]!)
    expect(rec).toMatchObject({ level: 'info', requestId: 'req-1', orderId: SF.orderId, deliveryId: 'SF', outcome: 'ok', attempts: 1, ms: expect.any(Number) })
    expect(output).not.toContain(USER)
    expect(output).toContain(USER.slice(0, 4))
    expect(output).not.toContain('顺丰')
    expect(output).not.toContain(r.order.printHtml!.slice(0, 40))
  })

  test('errors log the code, not the upstream body', async () => {
    const { main } = fakeMain({ scenario: 'bad-json' })
    const { output } = await captureOutput(() => main(SF, ctx()))
    expect(JSON.parse(output.trim())).toMatchObject({ outcome: 'error', code: 'BAD_RESPONSE' })
    expect(output).not.toContain('upstream went away')
  })

  test('in the cloud (_SCF_TCB_LOG=1) records go through cloud.logger() with string values', async () => {
    const { main, fake } = fakeMain({ env: { _SCF_TCB_LOG: '1' } })
    const { output } = await captureOutput(() => main(SF, ctx()))
    expect(output).toBe('')
    expect(fake.logs).toHaveLength(1)
    const rec = fake.logs[0]!.record as Record<string, unknown>
    expect(Object.values(rec).every((v) => typeof v === 'string')).toBe(true)
    expect(rec).toMatchObject({ requestId: 'req-1', outcome: 'ok', attempts: '1' })
  })
})

describe('settings kept for a second on a warm instance', () => {
  test('read once within the second (identity every time), and again after it', async () => {
    const { env } = fakeMain({ openid: ADMIN })
    const reads = new Map<string, number>()
    const counted = new Proxy(env, {
      get(target, key) {
        if (typeof key === 'string') reads.set(key, (reads.get(key) ?? 0) + 1)
        return (target as Record<string, unknown>)[key as string]
      },
    })
    // The same main over a counting view of its environment.
    const { createCloudMain } = await import('./entry')
    const { ownedFakeCloud } = await import('../../test/support/fakeMain')
    const { createBackend } = await import('../harness/backend')
    const fake = ownedFakeCloud(createBackend(), counted as NodeJS.ProcessEnv)
    const warm = createCloudMain(fake as never, counted as NodeJS.ProcessEnv)
    let now = 1_000_000
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now)
    try {
      expectOk(await quiet(() => warm(SF, ctx())))
      const first = reads.get('ADMIN_OPENIDS') ?? 0
      expect(first).toBeGreaterThan(0)
      now += 500
      expectOk(await quiet(() => warm(SF, ctx())))
      expect(reads.get('ADMIN_OPENIDS')).toBe(first)
      now += 600
      ;(env as Record<string, string>).ADMIN_OPENIDS = 'oSOMEONE-else-0000001'
      const r = await quiet(() => warm(SF, ctx()))
      expect(reads.get('ADMIN_OPENIDS')).toBeGreaterThan(first)
      // The changed setting is in force once re-read: the caller is no admin now, and owns no order.
      expect(r).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } })
      expect((reads.get('WX_CONTEXT_KEYS') ?? 0) + (reads.get('TCB_SOURCE') ?? 0)).toBeGreaterThanOrEqual(3)
    } finally {
      clock.mockRestore()
    }
  })
})
