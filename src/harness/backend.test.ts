import { createBackend } from './backend'

describe('the fake backend', () => {
  test('FAULT-<scenario>-<n> plays that scenario for that order alone', () => {
    const b = createBackend()
    expect(b.answer('logistics.getOrder', { order_id: 'FAULT-errcode-40001-3', delivery_id: 'SF' })).toEqual({
      kind: 'json',
      body: JSON.stringify({ errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' }),
    })
    expect(b.answer('logistics.getOrder', { order_id: 'FAULT-silence-1', delivery_id: 'SF' })).toEqual({ kind: 'silence' })
    expect(b.answer('logistics.getOrder', { order_id: 'DEMO-ZTO-0001', delivery_id: 'ZTO' }).kind).toBe('json')
  })

  test('a flaky order fails once, then succeeds, independently of other orders', () => {
    const b = createBackend()
    const body = (id: string) => JSON.parse((b.answer('logistics.getOrder', { order_id: id, delivery_id: 'ZTO' }) as { body: string }).body)
    expect(body('FAULT-flaky-1').errcode).toBe(-1)
    expect(body('FAULT-flaky-2').errcode).toBe(-1)
    expect(body('FAULT-flaky-1')).toMatchObject({ errcode: 0, order_id: 'FAULT-flaky-1' })
  })

  test('an unknown order is 9300528, as getOrder really answers; a batch answers each order', () => {
    const b = createBackend()
    expect(JSON.parse((b.answer('logistics.getOrder', { order_id: 'NOPE', delivery_id: 'SF' }) as { body: string }).body).errcode).toBe(9300528)
    const batch = JSON.parse(
      (
        b.answer('logistics.batchGetOrder', {
          order_list: [
            { order_id: 'NOPE', delivery_id: 'SF' },
            { order_id: 'DEMO-ZTO-0001', delivery_id: 'ZTO' },
          ],
        }) as { body: string }
      ).body,
    )
    expect(batch.order_list.map((o: { errcode: number }) => o.errcode)).toEqual([9300528, 0])
  })
})

describe('the bulk demo orders', () => {
  const read = (backend: ReturnType<typeof createBackend>, orderId: string, deliveryId = 'SF') => {
    const outcome = backend.answer('logistics.getOrder', { order_id: orderId, delivery_id: deliveryId }) as { kind: string; body?: string }
    return JSON.parse(outcome.body!) as { errcode: number; waybill_id?: string; print_html?: string }
  }
  test('DEMO-BULK-0001 … 9999 (SF) are distinct orders, each label its own, all the size of the demo SF label', () => {
    const backend = createBackend()
    const a = read(backend, 'DEMO-BULK-0042')
    const b = read(backend, 'DEMO-BULK-0043')
    const sf = read(backend, '01234567890123456789')
    expect([a.errcode, b.errcode]).toEqual([0, 0])
    expect(a.waybill_id).not.toBe(b.waybill_id)
    expect(a.print_html).not.toBe(b.print_html)
    const html = (o: { print_html?: string }) => Buffer.from(o.print_html!, 'base64').toString('utf8')
    expect(html(a)).toContain('DEMO-BULK-0042')
    expect(html(a)).toContain(a.waybill_id!)
    // The same layout as the demo SF label; only the text (a longer waybill number, another
    // recipient) and the barcode's bars differ.
    const layout = (h: string) => h.replace(/>[^<]*</g, '><').replace(/ (d|viewBox)="[^"]*"/g, '')
    expect(layout(html(a))).toBe(layout(html(sf)))
    expect(html(a)).toMatch(/<svg [^>]*viewBox/)
    expect(read(backend, 'DEMO-BULK-9999').errcode).toBe(0)
  })
  test.each([
    ['DEMO-BULK-0000', 'SF'],
    ['DEMO-BULK-10000', 'SF'],
    ['DEMO-BULK-0001', 'ZTO'],
  ])('%s (%s) is not an order', (orderId, deliveryId) => {
    expect(read(createBackend(), orderId, deliveryId).errcode).toBe(9300528)
  })
})
