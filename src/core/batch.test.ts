import fc from 'fast-check'
import { trustServerCallers } from '../access/policy'
import { labelHtml } from '../harness/labels'
import type { Transport } from '../transport/types'
import type { BatchItem, Result } from '../types'
import type { WireBatchRequest } from '../upstream/wire'
import { createGetOrderHandler } from './handler'

/** A batchGetOrder that answers what `answer` makes of each request, and counts the chunks. */
function stubTransport(answer: (order: { order_id: string; delivery_id: string; waybill_id?: string }) => Record<string, unknown>) {
  const chunks: number[] = []
  const transport: Transport = {
    name: 'stub',
    getOrder: async () => ({}),
    batchGetOrder: async (request) => {
      const list = (request as WireBatchRequest).order_list
      chunks.push(list.length)
      await new Promise((r) => setImmediate(r))
      return { errcode: 0, order_list: list.map((o) => ({ errcode: 0, order_status: 0, waybill_data: [], ...answer(o) })) }
    },
  }
  return { transport, chunks }
}
const run = (transport: Transport, event: unknown, context: Record<string, unknown> = {}) =>
  createGetOrderHandler({ transport, caller: () => undefined, access: trustServerCallers })(event, { time_limit_in_ms: 10_000, ...context })
const items = (r: Result): BatchItem[] => {
  if (!r.ok || !('orders' in r)) throw new Error(JSON.stringify(r).slice(0, 300))
  return r.orders
}
const b64 = (html: string) => Buffer.from(html).toString('base64')

describe('answers are matched back by orderId, deliveryId and waybillId', () => {
  test('the same order with two waybills gets each its own answer', async () => {
    const { transport } = stubTransport((o) => ({ order_id: o.order_id, delivery_id: o.delivery_id, waybill_id: o.waybill_id, print_html: b64(`<p>${o.waybill_id}</p>`) }))
    const r = items(
      await run(transport, {
        orders: [
          { orderId: 'A', deliveryId: 'SF', waybillId: 'W1' },
          { orderId: 'A', deliveryId: 'SF', waybillId: 'W2' },
        ],
      }),
    )
    expect(r.map((i) => (i.ok ? i.order.printHtml : i.error.code))).toEqual(['<p>W1</p>', '<p>W2</p>'])
  })

  test.each([
    ['sf', 'SF'],
    ['SF', 'sf'],
  ])("a carrier asked as '%s' matches one answered as '%s'", async (asked, answered) => {
    const { transport } = stubTransport((o) => ({ order_id: o.order_id, delivery_id: answered }))
    const r = items(await run(transport, { orders: [{ orderId: 'A', deliveryId: asked }] }))
    expect(r).toEqual([{ ok: true, order: expect.objectContaining({ orderId: 'A', deliveryId: answered }), warnings: expect.any(Array) }])
  })

  test('identical orders are read once, carriers compared without case; each input keeps its own item', async () => {
    const { transport, chunks } = stubTransport((o) => ({ order_id: o.order_id, delivery_id: o.delivery_id }))
    const r = items(
      await run(transport, {
        orders: [
          { orderId: 'A', deliveryId: 'SF' },
          { orderId: 'A', deliveryId: 'sf' },
          { orderId: 'B', deliveryId: 'SF' },
        ],
      }),
    )
    // Two distinct orders: the first alone, then the other.
    expect(chunks).toEqual([1, 1])
    expect(r.map((i) => i.ok)).toEqual([true, true, true])
  })
})

describe('inside the memory', () => {
  test('a label too large for the memory fails its item alone, without decoding it', async () => {
    const huge = 'PHA+'.repeat(1_200_000) // 4.8 MB of base64: over a 64 MB function's 4 MB cap
    const { transport } = stubTransport((o) => ({ order_id: o.order_id, delivery_id: o.delivery_id, print_html: o.order_id === 'BIG' ? huge : b64('<p>ok</p>') }))
    const r = items(
      await run(
        transport,
        {
          orders: [
            { orderId: 'BIG', deliveryId: 'SF' },
            { orderId: 'OK', deliveryId: 'SF' },
          ],
        },
        { memory_limit_in_mb: 64 },
      ),
    )
    expect(r[0]).toMatchObject({ ok: false, error: { code: 'RESULT_TOO_LARGE', message: expect.stringContaining("this function's memory allows") } })
    expect(r[1]).toMatchObject({ ok: true, order: { printHtml: '<p>ok</p>' } })
  })

  test('a batch item gets two thirds of the single-order cap: labels follow one another, and garbage lingers', async () => {
    const label = 'PHA+'.repeat(800_000) // 3.2 M characters: under 64 MB's single cap (4 M), over its batch cap (2.7 M)
    const { transport } = stubTransport((o) => ({ order_id: o.order_id, delivery_id: o.delivery_id, print_html: label }))
    const single: Transport = { ...transport, getOrder: async () => ({ errcode: 0, order_id: 'A', delivery_id: 'SF', order_status: 0, waybill_data: [], print_html: label }) }
    expect(await run(single, { orderId: 'A', deliveryId: 'SF', printHtmlAs: 'none' }, { memory_limit_in_mb: 64 })).toMatchObject({ ok: true })
    const r = items(await run(transport, { orders: [{ orderId: 'A', deliveryId: 'SF' }] }, { memory_limit_in_mb: 64 }))
    expect(r[0]).toMatchObject({ ok: false, error: { code: 'RESULT_TOO_LARGE', message: expect.stringContaining("this function's memory allows") } })
  })

  test('once answers turn out large, later chunks shrink', async () => {
    const label = b64(
      labelHtml({
        orderId: 'x',
        deliveryId: 'SF',
        waybillId: 'w',
        carrier: '顺丰',
        sender: { name: 'a', phone: '1', address: 'b' },
        receiver: { name: 'c', phone: '2', address: 'd' },
        goods: 'g',
        printType: 1,
        padRows: 2500,
      }),
    )
    const { transport, chunks } = stubTransport((o) => ({ order_id: o.order_id, delivery_id: o.delivery_id, print_html: label }))
    const orders = Array.from({ length: 600 }, (_, i) => ({ orderId: `O${i}`, deliveryId: 'SF' }))
    const r = await run(transport, { orders, printHtmlAs: 'none' }, { memory_limit_in_mb: 64 })
    expect(items(r).every((i) => i.ok)).toBe(true)
    // The first order goes alone; its answer says the labels are large, so no chunk grows past what fits.
    expect(chunks[0]).toBe(1)
    expect(chunks.length).toBeGreaterThan(4)
    expect(Math.max(...chunks.slice(1))).toBeLessThan(50)
    expect(chunks.reduce((a, b) => a + b, 0)).toBe(600)
  })

  test('small labels first do not grow the chunk past what the largest allowed label would need', async () => {
    // At 64 MB the answer budget is 2.8 M characters; with labels of at most 16 K a chunk of 100 fits it.
    const small = b64('<p>small</p>')
    const big = 'PHA+'.repeat(250_000) // 1 M characters, over the 16 K allowed (printHtmlAs 'none' does not decode it)
    const { transport, chunks } = stubTransport((o) => ({ order_id: o.order_id, delivery_id: o.delivery_id, print_html: o.order_id === 'O21' ? big : small }))
    const orders = Array.from({ length: 200 }, (_, i) => ({ orderId: `O${i}`, deliveryId: 'SF' }))
    const handler = createGetOrderHandler({ transport, caller: () => undefined, access: trustServerCallers, batchMaxLabelChars: 16 * 1024 })
    const r = items(await handler({ orders, printHtmlAs: 'none' }, { time_limit_in_ms: 10_000, memory_limit_in_mb: 64 }))
    expect(r.every((i) => i.ok)).toBe(true)
    // 1, 4, 16 (small), then 64 holds the 1 M one: from then on chunks fit two such answers.
    expect(chunks.slice(0, 4)).toEqual([1, 4, 16, 64])
    expect(Math.max(...chunks.slice(4))).toBeLessThanOrEqual(2)
    // With the default (5 M characters, a 3.75 MB label) the same memory reads one order at a time.
    const worst = stubTransport((o) => ({ order_id: o.order_id, delivery_id: o.delivery_id, print_html: small }))
    await run(worst.transport, { orders: orders.slice(0, 20), printHtmlAs: 'none' }, { memory_limit_in_mb: 64 })
    expect(new Set(worst.chunks)).toEqual(new Set([1]))
  })

  test('property: whatever the sizes and their order (small then big included), the answers in flight fit the budget at the worst label allowed', async () => {
    const budget = Math.floor((64 * 1024 * 1024) / 24)
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2_000, max: 400_000 }),
        // Runs of small answers, then large ones: the order that grew chunks past what the large needed.
        fc
          .tuple(fc.array(fc.integer({ min: 0, max: 2_000 }), { maxLength: 100 }), fc.array(fc.integer({ min: 0, max: 400_000 }), { minLength: 1, maxLength: 60 }))
          .map(([small, big]) => [...small, ...big]),
        fc.integer({ min: 1, max: 4 }),
        async (cap, sizes, concurrency) => {
          let inFlight = 0
          let worstInFlight = 0
          let largest = 0
          const breaches: string[] = []
          const transport: Transport = {
            name: 'sized',
            getOrder: async () => ({}),
            batchGetOrder: async (request) => {
              const list = (request as WireBatchRequest).order_list
              inFlight += list.length
              // What could arrive at once, if every label asked for were as large as allowed (or as the largest seen).
              const worst = Math.max(cap, largest)
              if (inFlight > 1 && inFlight * worst > budget) breaches.push(`${inFlight} × ${worst}`)
              worstInFlight = Math.max(worstInFlight, inFlight)
              await new Promise((r) => setImmediate(r))
              const answer = list.map((o) => {
                const n = sizes[Number(o.order_id.slice(1))]!
                largest = Math.max(largest, n)
                return { errcode: 0, order_id: o.order_id, delivery_id: o.delivery_id, order_status: 0, print_html: 'PHA+'.repeat(Math.ceil(n / 4)) }
              })
              inFlight -= list.length
              return { errcode: 0, order_list: answer }
            },
          }
          const orders = sizes.map((_, i) => ({ orderId: `O${i}`, deliveryId: 'SF' }))
          const handler = createGetOrderHandler({ transport, caller: () => undefined, access: trustServerCallers, batchMaxLabelChars: cap, batchConcurrency: concurrency })
          const r = items(await handler({ orders, printHtmlAs: 'none' }, { time_limit_in_ms: 10_000, memory_limit_in_mb: 64 }))
          return r.length === sizes.length && breaches.length === 0 && worstInFlight >= 1
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('the deadline', () => {
  test('orders never asked for fail with TIMEOUT naming the step; what was read is kept', async () => {
    let calls = 0
    const transport: Transport = {
      name: 'slow',
      getOrder: async () => ({}),
      batchGetOrder: async (request) => {
        calls++
        if (calls > 1) await new Promise((r) => setTimeout(r, 5000))
        const list = (request as WireBatchRequest).order_list
        return { errcode: 0, order_list: list.map((o) => ({ errcode: 0, order_id: o.order_id, delivery_id: o.delivery_id, order_status: 0 })) }
      },
    }
    const handler = createGetOrderHandler({ transport, caller: () => undefined, access: trustServerCallers, batchConcurrency: 1 })
    const orders = Array.from({ length: 250 }, (_, i) => ({ orderId: `O${i}`, deliveryId: 'SF' }))
    const started = Date.now()
    const r = items(await handler({ orders, printHtmlAs: 'none' }, { time_limit_in_ms: 1500 }))
    expect(Date.now() - started).toBeLessThan(1500)
    expect(r.slice(0, 1).every((i) => i.ok)).toBe(true)
    expect(r.slice(1).every((i) => !i.ok && i.error.code === 'TIMEOUT')).toBe(true)
    // The chunk that was asked and not answered names WeChat; the one never asked says so.
    expect(r[1]).toMatchObject({ error: { message: expect.stringContaining('WeChat did not answer') } })
    expect(r[249]).toMatchObject({ error: { message: expect.stringContaining('before this order was asked of WeChat') } })
  })
})
