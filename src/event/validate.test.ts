import { validateEvent } from './validate'

const OK = { orderId: '01234567890123456789', deliveryId: 'SF' }

describe('validateEvent: accepted', () => {
  test('the contract example, with userInfo ignored', () => {
    const r = validateEvent({ ...OK, waybillId: '123456789', printType: 1, userInfo: { appId: 'x', openId: 'y' } })
    expect(r).toEqual({ ok: true, kind: 'single', event: { ...OK, waybillId: '123456789', printType: 1 } })
  })

  test('every optional field', () => {
    const event = { ...OK, waybillId: 'w', openid: 'o', printType: 0, customRemark: '', printHtmlAs: 'none' }
    expect(validateEvent(event)).toEqual({ ok: true, kind: 'single', event })
  })

  test('a batch', () => {
    const event = { orders: [OK, { ...OK, waybillId: 'w' }], printHtmlAs: 'file' }
    expect(validateEvent(event)).toEqual({ ok: true, kind: 'batch', event })
  })

  test('keys whose value is undefined count as absent', () => {
    expect(validateEvent({ ...OK, waybillId: undefined })).toEqual({ ok: true, kind: 'single', event: OK })
  })

  test('limits are inclusive', () => {
    const event = { orderId: 'x'.repeat(128), deliveryId: 'A'.repeat(32), customRemark: 'r'.repeat(512) }
    expect(validateEvent(event).ok).toBe(true)
    expect(validateEvent({ orders: Array.from({ length: 1000 }, () => OK) }).ok).toBe(true)
  })
})

describe('validateEvent: rejected with INVALID_ARGUMENT naming the field', () => {
  test.each<[string, unknown, string | undefined]>([
    ['not an object', 'orderId=1', undefined],
    ['null', null, undefined],
    ['an array', [OK], undefined],
    ['missing orderId', { deliveryId: 'SF' }, 'orderId'],
    ['missing deliveryId', { orderId: '1' }, 'deliveryId'],
    ['empty orderId', { ...OK, orderId: '' }, 'orderId'],
    ['orderId too long', { ...OK, orderId: 'x'.repeat(129) }, 'orderId'],
    ['orderId with a newline', { ...OK, orderId: '123\n' }, 'orderId'],
    ['orderId with NUL', { ...OK, orderId: 'a\u0000b' }, 'orderId'],
    ['orderId a number', { ...OK, orderId: 123 }, 'orderId'],
    ['orderId with spaces is not trimmed', { ...OK, orderId: ' 123 ', deliveryId: ' SF' }, 'deliveryId'],
    ['deliveryId with a space', { ...OK, deliveryId: 'S F' }, 'deliveryId'],
    ['deliveryId too long', { ...OK, deliveryId: 'A'.repeat(33) }, 'deliveryId'],
    ['deliveryId non-ASCII', { ...OK, deliveryId: '顺丰' }, 'deliveryId'],
    ['waybillId empty', { ...OK, waybillId: '' }, 'waybillId'],
    ['waybillId null', { ...OK, waybillId: null }, 'waybillId'],
    ['waybillId too long', { ...OK, waybillId: 'w'.repeat(129) }, 'waybillId'],
    ['openid empty', { ...OK, openid: '' }, 'openid'],
    ['openid a number', { ...OK, openid: 1 }, 'openid'],
    ['printType 2', { ...OK, printType: 2 }, 'printType'],
    ['printType "1"', { ...OK, printType: '1' }, 'printType'],
    ['printType true', { ...OK, printType: true }, 'printType'],
    ['customRemark too long', { ...OK, customRemark: 'r'.repeat(513) }, 'customRemark'],
    ['printHtmlAs unknown', { ...OK, printHtmlAs: 'pdf' }, 'printHtmlAs'],
    ['snake_case key', { order_id: '1', deliveryId: 'SF' }, 'order_id'],
    ['unknown key', { ...OK, foo: 1 }, 'foo'],
    ['orders and orderId', { ...OK, orders: [OK] }, 'orderId'],
    ['orders and openid', { orders: [OK], openid: 'o' }, 'openid'],
    ['orders and printType', { orders: [OK], printType: 1 }, 'printType'],
    ['orders and customRemark', { orders: [OK], customRemark: 'r' }, 'customRemark'],
    ['orders empty', { orders: [] }, 'orders'],
    ['orders too many', { orders: Array.from({ length: 1001 }, () => OK) }, 'orders'],
    ['orders not an array', { orders: OK }, 'orders'],
    ['an order not an object', { orders: [OK, 'x'] }, 'orders[1]'],
    ['an order without deliveryId', { orders: [OK, { orderId: '1' }] }, 'orders[1].deliveryId'],
    ['an order with a bad waybillId', { orders: [{ ...OK, waybillId: 7 }] }, 'orders[0].waybillId'],
    ['an order with an unknown key', { orders: [{ ...OK, printType: 1 }] }, 'orders[0].printType'],
    ['batch printHtmlAs unknown', { orders: [OK], printHtmlAs: 'x' }, 'printHtmlAs'],
  ])('%s', (_name, event, field) => {
    const r = validateEvent(event)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe('INVALID_ARGUMENT')
    expect(r.error.retryable).toBe(false)
    expect(r.error.field).toBe(field)
    expect(r.error.message).toMatch(/\.$|\?$/)
  })
})

describe('did you mean', () => {
  test.each([
    ['order_id', 'orderId'],
    ['orderID', 'orderId'],
    ['OrderId', 'orderId'],
    ['delivery_id', 'deliveryId'],
    ['waybill_id', 'waybillId'],
    ['print_type', 'printType'],
    ['openId', 'openid'],
    ['oderId', 'orderId'],
    ['printHtmlas', 'printHtmlAs'],
  ])('%s → %s', (key, meant) => {
    const r = validateEvent({ ...OK, [key]: 'x' })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.field).toBe(key)
    expect(r.error.message).toContain(`did you mean "${meant}"?`)
    expect(r.error.hint).toContain(meant)
  })

  test('no suggestion for a key like nothing we know', () => {
    const r = validateEvent({ ...OK, zzzzzzzz: 1 })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.message).not.toContain('did you mean')
    expect(r.error.hint).toContain('orderId')
  })

  test('inside a batch item', () => {
    const r = validateEvent({ orders: [{ order_id: '1', deliveryId: 'SF' }] })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.field).toBe('orders[0].order_id')
    expect(r.error.message).toContain('did you mean "orderId"?')
  })
})

test('error messages do not echo the value', () => {
  const r = validateEvent({ ...OK, orderId: `secret-label-${'x'.repeat(200)}` })
  expect(r.ok).toBe(false)
  if (r.ok) return
  expect(r.error.message).not.toContain('secret-label')
})

describe('text the way it reaches WeChat', () => {
  const ok = (event: object) => validateEvent({ deliveryId: 'SF', ...event })
  test.each([
    ['a lone high surrogate in orderId', { orderId: 'A\uD800B' }, 'orderId'],
    ['a lone low surrogate in orderId', { orderId: '\uDC00' }, 'orderId'],
    ['a lone surrogate in waybillId', { orderId: 'A', waybillId: 'W\uDBFF' }, 'waybillId'],
    ['a lone surrogate in customRemark', { orderId: 'A', customRemark: '备注\uD83D' }, 'customRemark'],
    ['a lone surrogate in openid', { orderId: 'A', openid: 'o\uDE00' }, 'openid'],
  ])('%s is refused, naming the field', (_name, event, field) => {
    expect(ok(event)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', field, message: expect.stringContaining('unpaired surrogates') } })
  })

  test('lengths count code points: 128 characters outside the BMP pass, 129 do not', () => {
    expect(ok({ orderId: '𠮷'.repeat(128) })).toMatchObject({ ok: true })
    expect(ok({ orderId: '𠮷'.repeat(129) })).toMatchObject({ ok: false, error: { field: 'orderId' } })
    expect(ok({ orderId: 'A', customRemark: '😀'.repeat(512) })).toMatchObject({ ok: true })
    expect(ok({ orderId: 'A', customRemark: '😀'.repeat(513) })).toMatchObject({ ok: false, error: { field: 'customRemark' } })
  })

  test('a paired surrogate is a character like any other', () => {
    expect(ok({ orderId: '订单-😀-𠮷' })).toMatchObject({ ok: true, event: { orderId: '订单-😀-𠮷' } })
  })

  test('an unknown key is quoted at most 64 characters long, however long it is', () => {
    const key = 'k'.repeat(5 * 1024 * 1024)
    const r = validateEvent({ orderId: 'A', deliveryId: 'SF', [key]: 1 })
    expect(r.ok).toBe(false)
    const text = JSON.stringify(r)
    expect(text.length).toBeLessThan(600)
    expect(text).toContain(`"${'k'.repeat(64)}…"`)
  })

  test('a batch item key is quoted short too', () => {
    const r = validateEvent({ orders: [{ orderId: 'A', deliveryId: 'SF', ['x'.repeat(1000)]: 1 }] })
    expect(JSON.stringify(r).length).toBeLessThan(600)
  })
})
