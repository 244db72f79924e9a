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
