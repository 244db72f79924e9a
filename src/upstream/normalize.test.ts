import JSONBigIntFactory = require('json-bigint')
import { convertCase } from '../harness/fakeSdk'
import { normalizeOrder } from './normalize'

const REQ = { orderId: 'req-order', deliveryId: 'SF', waybillId: 'req-waybill' }
const LABEL = '<p>顺丰</p>'
const answer = (extra: Record<string, unknown> = {}) => ({
  print_html: Buffer.from(LABEL).toString('base64'),
  waybill_data: [
    { key: 'SF_bagAddr', value: '广州' },
    { key: 'SF_mark', value: '101- 07-03 509' },
  ],
  delivery_id: 'SF',
  waybill_id: '123456',
  order_id: '123456',
  order_status: 0,
  ...extra,
})
const opts = { decodeLabel: true }

describe('normalizeOrder', () => {
  test('a snake_case answer', () => {
    expect(normalizeOrder(answer(), REQ, opts)).toEqual({
      ok: true,
      warnings: [],
      labelSize: { utf8Bytes: Buffer.byteLength(LABEL) },
      order: {
        orderId: '123456',
        deliveryId: 'SF',
        waybillId: '123456',
        status: 'normal',
        statusCode: 0,
        printHtml: LABEL,
        waybillData: { SF_bagAddr: '广州', SF_mark: '101- 07-03 509' },
        waybillDataList: [
          { key: 'SF_bagAddr', value: '广州' },
          { key: 'SF_mark', value: '101- 07-03 509' },
        ],
      },
    })
  })

  test("the SDK's camelCase answer normalizes identically", () => {
    const camel = { ...(convertCase(answer(), 'camel') as object), errMsg: 'openapi.logistics.getOrder:ok', errCode: 0 }
    expect(camel).toHaveProperty('printHtml')
    expect(normalizeOrder(camel, REQ, opts)).toEqual(normalizeOrder(answer(), REQ, opts))
  })

  test.each<[unknown, string, number | null, boolean]>([
    [0, 'normal', 0, false],
    [1, 'cancelled', 1, false],
    [2, 'unknown', 2, true],
    [-1, 'unknown', -1, true],
    ['1', 'cancelled', 1, false],
    [undefined, 'unknown', null, true],
    [null, 'unknown', null, true],
    [1.5, 'unknown', null, true],
    ['x', 'unknown', null, true],
  ])('order_status %p → %s (statusCode %p)', (order_status, status, statusCode, warned) => {
    const r = normalizeOrder(answer({ order_status }), REQ, opts)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.order.status).toBe(status)
    expect(r.order.statusCode).toBe(statusCode)
    expect(r.warnings.some((w) => w.code === 'UNKNOWN_ORDER_STATUS')).toBe(warned)
    // A cancelled waybill is said so in a warning, with the label still returned.
    expect(r.warnings.some((w) => w.code === 'ORDER_CANCELLED')).toBe(status === 'cancelled')
  })

  test('regression (property tests): order_status -0 is statusCode 0, which survives JSON', () => {
    const r = normalizeOrder(answer({ order_status: -0 }), REQ, opts)
    expect(r.ok && Object.is(r.order.statusCode, 0)).toBe(true)
    expect(r.ok && r.order.status).toBe('normal')
  })

  test('missing ids fall back to the request; waybill to null when neither has one', () => {
    const r = normalizeOrder({ order_status: 0 }, { orderId: 'o', deliveryId: 'd' }, opts)
    expect(r.ok && r.order).toMatchObject({ orderId: 'o', deliveryId: 'd', waybillId: null, waybillData: {}, waybillDataList: [] })
    expect(r.ok && r.warnings.map((w) => w.code)).toEqual(['PRINT_HTML_MISSING'])
  })

  test("'' and 0 are values, not absences", () => {
    const r = normalizeOrder(answer({ waybill_id: '', order_id: 0, waybill_data: [{ key: 'k', value: 0 }] }), REQ, opts)
    expect(r.ok && r.order).toMatchObject({ waybillId: '', orderId: '0', waybillData: { k: '0' } })
  })

  test('json-bigint numbers become their exact digits', () => {
    const raw = JSONBigIntFactory({ useNativeBigInt: false }).parse('{"order_id": 123456789012345678901234, "order_status": 0}')
    const r = normalizeOrder(raw, REQ, opts)
    expect(r.ok && r.order.orderId).toBe('123456789012345678901234')
  })

  test('a repeated waybill key keeps every entry in the list and the last in the map', () => {
    const r = normalizeOrder(
      answer({
        waybill_data: [
          { key: 'a', value: '1' },
          { key: 'a', value: '2' },
        ],
      }),
      REQ,
      opts,
    )
    expect(r.ok && r.order.waybillData).toEqual({ a: '2' })
    expect(r.ok && r.order.waybillDataList).toHaveLength(2)
  })

  test('__proto__ as a waybill key is data, not a prototype', () => {
    const r = normalizeOrder(answer({ waybill_data: [{ key: '__proto__', value: 'x' }] }), REQ, opts)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(Object.getPrototypeOf(r.order.waybillData)).toBe(Object.prototype)
    expect(Object.keys(r.order.waybillData)).toEqual(['__proto__'])
  })

  test('decodeLabel false leaves printHtml null and warns nothing', () => {
    const r = normalizeOrder(answer({ print_html: '***' }), REQ, { decodeLabel: false })
    expect(r.ok && r.order.printHtml).toBeNull()
    expect(r.ok && r.warnings).toEqual([])
  })

  test('the body errcode is read first', () => {
    const r = normalizeOrder({ ...answer(), errcode: 9300507, errmsg: 'order not exists' }, REQ, opts)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toMatchObject({ kind: 'errcode', wxErrCode: 9300507, wxErrMsg: 'order not exists' })
  })

  test('errcode 0 is success', () => {
    expect(normalizeOrder({ ...answer(), errcode: 0, errmsg: 'ok' }, REQ, opts).ok).toBe(true)
  })

  test.each<[string, unknown]>([
    ['null', null],
    ['an array', [answer()]],
    ['a string', 'ok'],
    ['waybill_data an object', answer({ waybill_data: { a: 1 } })],
    ['a waybill item without key', answer({ waybill_data: [{ value: 'x' }] })],
    ['a waybill value an object', answer({ waybill_data: [{ key: 'k', value: {} }] })],
    ['order_id an object', answer({ order_id: { id: 1 } })],
    ['errcode not a number', answer({ errcode: 'bad' })],
  ])('%s is unusable (BAD_RESPONSE)', (_n, raw) => {
    const r = normalizeOrder(raw, REQ, opts)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.kind).toBe('bad-json')
  })
})
