import fc from 'fast-check'
import type { Order } from '../types'
import { assertFits, deliverLabels, type Labelled, RESULT_LIMIT_BYTES, waybillBound } from './deliver'

function item(n: number, bytes: number): Labelled {
  const order: Order = {
    orderId: `o${n}`,
    deliveryId: 'SF',
    waybillId: null,
    status: 'normal',
    statusCode: 0,
    printHtml: `<p>order o${n} ${'面'.repeat(Math.floor(bytes / 3))}"\n</p>`,
    waybillData: {},
    waybillDataList: [],
  }
  return { order, warnings: [] }
}

test('offloads the largest labels until the result fits, measuring the result only once', async () => {
  const items = Array.from({ length: 40 }, (_, i) => item(i, 20_000 + i * 1000))
  const result = { ok: true, orders: items, warnings: [], requestId: 'r' }
  let measured = 0
  const saved: string[] = []
  await deliverLabels(items, 'text', {
    measure: () => (measured++, Buffer.byteLength(JSON.stringify(result))),
    save: async (html) => {
      const id = /order (o\d+)/.exec(html)![1]!
      saved.push(id)
      return { fileID: `cloud://x/${id}.html`, tempFileURL: `https://t/${id}`, bytes: Buffer.byteLength(html), expiresAt: '2026-01-01T00:00:00.000Z' }
    },
  })
  expect(measured).toBe(1)
  expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThanOrEqual(RESULT_LIMIT_BYTES)
  // The largest went first, and no more than needed: putting back the smallest offloaded label would not fit.
  expect(saved[0]).toBe('o39')
  const offloaded = items.filter((i) => i.order.printHtmlFile)
  expect(offloaded.map((i) => i.order.orderId).sort()).toEqual([...saved].sort())
  expect(offloaded.every((i) => i.warnings[0]?.code === 'PRINT_HTML_OFFLOADED' && i.order.printHtml === null)).toBe(true)
  const smallest = Number(saved.at(-1)!.slice(1))
  const withoutLast = Buffer.byteLength(JSON.stringify(result)) + Buffer.byteLength(JSON.stringify(item(0, 20_000 + smallest * 1000).order.printHtml))
  expect(withoutLast).toBeGreaterThan(RESULT_LIMIT_BYTES - 4096)
})

test('a small label in a single answer is never measured nor stored', async () => {
  const items = [item(1, 2000)]
  const measure = jest.fn(() => 0)
  const save = jest.fn()
  await deliverLabels(items, 'text', { measure, save, single: true })
  assertFits(items[0], measure)
  expect(measure).not.toHaveBeenCalled()
  expect(save).not.toHaveBeenCalled()
})

test('a batch of small labels is measured once, since its waybill data alone can pass the limit', async () => {
  const items = [item(1, 2000), item(2, 3000)]
  const measure = jest.fn(() => 10_000)
  const save = jest.fn()
  await deliverLabels(items, 'text', { measure, save })
  expect(measure).toHaveBeenCalledTimes(1)
  expect(save).not.toHaveBeenCalled()
})

test.each(['text', 'file', 'none'] as const)('an answer over the limit even with every label a file is ResultTooLargeError (%s)', async (mode) => {
  const items = [item(1, 2000)]
  items[0]!.order.waybillDataList = Array.from({ length: 3000 }, (_, i) => ({ key: `k${i}`, value: '收件人地址'.repeat(40) }))
  const result = { ok: true, order: items[0]!.order, warnings: [], requestId: 'r' }
  const measure = () => Buffer.byteLength(JSON.stringify(result))
  const save = jest.fn(async (html: string) => ({ fileID: 'f', tempFileURL: 'u', bytes: html.length, expiresAt: '2026-01-01T00:00:00.000Z' }))
  expect((await deliverLabels(items, mode, { measure, save, single: true })).size).toBe(0)
  expect(() => assertFits(items[0], measure)).toThrow(expect.objectContaining({ name: 'ResultTooLargeError' }))
})

test('a label that cannot be stored fails its item only, and the others are stored, several at once', async () => {
  const items = [item(1, 2000), item(2, 3000), item(3, 4000)]
  let inFlight = 0
  let most = 0
  const save = jest.fn(async (html: string) => {
    inFlight++
    most = Math.max(most, inFlight)
    await new Promise((r) => setTimeout(r, 10))
    inFlight--
    if (html.includes('order o2 ')) throw new Error('storage refused')
    return { fileID: html.slice(0, 12), tempFileURL: 'u', bytes: html.length, expiresAt: '2026-01-01T00:00:00.000Z' }
  })
  const failed = await deliverLabels(items, 'file', { measure: () => 0, save, concurrency: 2 })
  expect([...failed.keys()].map((i) => i.order.orderId)).toEqual(['o2'])
  expect(items.filter((i) => i.order.printHtmlFile).map((i) => i.order.orderId)).toEqual(['o1', 'o3'])
  expect(most).toBe(2)
})

test("'file' stores every label; 'none' touches nothing; no storage is an error", async () => {
  const items = [item(1, 2000), item(2, 3000)]
  const save = jest.fn(async (html: string) => ({ fileID: html.slice(0, 12), tempFileURL: 'u', bytes: html.length, expiresAt: '2026-01-01T00:00:00.000Z' }))
  await deliverLabels(items, 'none', { measure: () => 0, save })
  expect(save).not.toHaveBeenCalled()
  await deliverLabels(items, 'file', { measure: () => 0, save })
  expect(save).toHaveBeenCalledTimes(2)
  expect(items.every((i) => i.order.printHtml === null && i.order.printHtmlFile)).toBe(true)
  const noStorage = await deliverLabels([item(3, 10)], 'file', { measure: () => 0, save: undefined })
  expect([...noStorage.values()]).toEqual([expect.objectContaining({ name: 'NoStorageError' })])
})

test('property: waybillBound is never below the JSON bytes of the waybill data, in both its forms', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ key: fc.string({ unit: 'binary' }), value: fc.string({ unit: 'binary' }) }), { maxLength: 30 }), (list) => {
      const it = item(0, 10)
      it.order.waybillDataList = list
      it.order.waybillData = Object.fromEntries(list.map((e) => [e.key, e.value]))
      const actual = Buffer.byteLength(JSON.stringify(it.order.waybillData)) + Buffer.byteLength(JSON.stringify(list))
      return actual <= waybillBound(it)
    }),
    { numRuns: Number(process.env.PROPERTY_RUNS ?? 2000) },
  )
})
