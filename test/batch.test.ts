import { createBackend, type DemoOrder } from '../src/harness/backend'
import { labelHtml } from '../src/harness/labels'
import type { BatchItem, Result } from '../src/types'
import { captureOutput, fakeMain } from './support/fakeMain'
import { type RealSdkHarness, realSdkHarness } from './support/realMain'
import { ADMIN, USER } from './support/scenarios'

let h: RealSdkHarness
beforeAll(async () => {
  h = await realSdkHarness()
})
afterAll(() => h.close())

const quiet = <T>(p: () => Promise<T>) => captureOutput(p).then((r) => r.value)

function generated(n: number, deliveryId = 'ZTO', labelRows = 0): DemoOrder[] {
  return Array.from({ length: n }, (_, i) => {
    const order_id = `GEN-${String(i).padStart(5, '0')}`
    return {
      order_id,
      delivery_id: deliveryId,
      waybill_id: `7310${String(i).padStart(8, '0')}`,
      order_status: i % 7 === 0 ? 1 : 0,
      label: {
        orderId: order_id,
        deliveryId,
        waybillId: `7310${i}`,
        carrier: '中通快递',
        sender: { name: '王', phone: '1', address: '广州' },
        receiver: { name: '李', phone: '2', address: '北京' },
        goods: '书',
        printType: 1,
        padRows: labelRows,
      },
      waybill_data: [{ key: 'ZTO_mark', value: `杭州 ${i}` }],
    }
  })
}

function backendWith(orders: DemoOrder[]) {
  const backend = createBackend()
  for (const o of orders) backend.put(o)
  return backend
}

const orders = (r: Result): BatchItem[] => {
  if (!r.ok || !('orders' in r)) throw new Error(`not a batch success: ${JSON.stringify(r).slice(0, 300)}`)
  return r.orders
}

describe('batch mode through the real SDK and the gateway', () => {
  test('250 orders with one duplicate and one unknown: 251 items in input order from 6 upstream calls (1, then growing 4× while the worst answer allows, up to 100)', async () => {
    const known = generated(249)
    h.gateway.backend = backendWith(known)
    const input = [...known.map((o) => ({ orderId: o.order_id, deliveryId: o.delivery_id })), { orderId: 'NO-SUCH-ORDER', deliveryId: 'ZTO' }]
    input.splice(120, 0, { ...input[17]! }) // the duplicate, mid-batch
    expect(input).toHaveLength(251)
    const before = h.gateway.requests.length
    // Labels of at most 64 KB: a chunk of 100 fits the answer budget at that size.
    const main = h.use({ ADMIN_OPENIDS: ADMIN, BATCH_MAX_LABEL_KB: '64' }, ADMIN)
    const items = orders(await quiet(() => main({ orders: input, printHtmlAs: 'none' }, { time_limit_in_ms: 3000 })))

    const calls = h.gateway.requests.slice(before)
    expect(calls.map((c) => c.apiName)).toEqual(Array(6).fill('logistics.batchGetOrder'))
    expect(calls.map((c) => (c.data.order_list as unknown[]).length)).toEqual([1, 4, 16, 64, 100, 65])
    expect(items).toHaveLength(251)
    items.forEach((item, i) => {
      expect(item.ok ? item.order.orderId : item.orderId).toBe(input[i]!.orderId)
    })
    const failed = items.filter((i) => !i.ok)
    expect(failed).toEqual([{ ok: false, orderId: 'NO-SUCH-ORDER', deliveryId: 'ZTO', error: expect.objectContaining({ code: 'WECHAT_ERROR', wxErrCode: 9300528 }) }])
    expect(items[120]).toEqual(items[17])
    expect(items[7]).toMatchObject({ ok: true, order: { status: 'cancelled' } })
  })

  test('chunks that run out of time fail with TIMEOUT; the rest still return', async () => {
    h.gateway.backend = backendWith(generated(300))
    const slow = h.gateway.backend
    const answer = slow.answer.bind(slow)
    let n = 0
    // The sixth call (1, 4, 16, 64, 100, then this 100, concurrency 1) never answers.
    slow.answer = (api, req) => (++n === 6 ? { kind: 'silence' } : answer(api, req))
    const main = h.use({ ADMIN_OPENIDS: ADMIN, BATCH_CONCURRENCY: '1', BATCH_MAX_LABEL_KB: '64' }, ADMIN)
    const input = generated(300).map((o) => ({ orderId: o.order_id, deliveryId: o.delivery_id }))
    const started = Date.now()
    const items = orders(await quiet(() => main({ orders: input, printHtmlAs: 'none' }, { time_limit_in_ms: 3000 })))
    expect(Date.now() - started).toBeLessThan(3000)
    expect(items.slice(0, 185).every((i) => i.ok)).toBe(true)
    expect(items.slice(185).every((i) => !i.ok && i.error.code === 'TIMEOUT')).toBe(true)
  })

  test('a user may not batch; WeChat is not called', async () => {
    const before = h.gateway.requests.length
    const main = h.use({ ADMIN_OPENIDS: ADMIN }, USER)
    const r = await quiet(() => main({ orders: [{ orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO' }] }, {}))
    expect(r.ok === false && r.error.code).toBe('PERMISSION_DENIED')
    expect(h.gateway.requests.length).toBe(before)
  })

  test('a trusted server caller may batch', async () => {
    h.gateway.backend = createBackend()
    const main = h.use({ TRUST_SERVER_CALLERS: '1' })
    const items = orders(await quiet(() => main({ orders: [{ orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO' }] }, {})))
    expect(items).toHaveLength(1)
  })

  test('when every chunk fails the same way the batch fails as a whole', async () => {
    h.gateway.backend = createBackend({ scenario: 'platform--604101' })
    const main = h.use({ ADMIN_OPENIDS: ADMIN }, ADMIN)
    const r = await quiet(() => main({ orders: [{ orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO' }] }, {}))
    expect(r.ok === false && r.error).toMatchObject({ code: 'CONFIG_ERROR', wxErrCode: -604101 })
  })
})

describe('large labels and label files through the real SDK and the gateway', () => {
  test("a 1.5 MB label asked for as 'text' comes back as a file with PRINT_HTML_OFFLOADED", async () => {
    h.gateway.backend = createBackend()
    const main = h.use({}, USER)
    const r = await quiet(() => main({ orderId: 'DEMO-LARGE-0001', deliveryId: 'SF' }, {}))
    if (!r.ok || !('order' in r)) throw new Error(JSON.stringify(r).slice(0, 300))
    expect(r.warnings.map((w) => w.code)).toEqual(['PRINT_HTML_OFFLOADED'])
    expect(r.order.printHtml).toBeNull()
    const file = r.order.printHtmlFile!
    // Named by content under the caller's hashed prefix: no order id or openid in the path.
    expect(file.fileID).toMatch(/^cloud:\/\/.*\/waybills\/u[0-9a-f]{20}\/\d+m-\d+\/[0-9a-f]{40}-[0-9a-f]{12}\.html$/)
    expect(file.expiresAt).toEqual(expect.any(String))
    expect(file.bytes).toBeGreaterThan(1.5 * 1000 * 1000)
    const stored = h.gateway.files.get(file.fileID)!.toString('utf8')
    expect(stored).toBe(labelHtml(h.gateway.backend.find('DEMO-LARGE-0001', 'SF')!.label!))
    const fetched = await (await fetch(file.tempFileURL)).text()
    expect(fetched).toBe(stored)
    expect(Buffer.byteLength(JSON.stringify(r))).toBeLessThan(1024 * 1024)
  })

  test('a batch whose labels add up past 1 MB still returns under the limit', async () => {
    const big = generated(12, 'ZTO', 1200) // about 130 KB of label each
    h.gateway.backend = backendWith(big)
    const main = h.use({ ADMIN_OPENIDS: ADMIN }, ADMIN)
    const r = await quiet(() => main({ orders: big.map((o) => ({ orderId: o.order_id, deliveryId: o.delivery_id })) }, {}))
    const items = orders(r)
    const labels = items.map((i) => (i.ok ? (i.order.printHtml === null ? (i.order.printHtmlFile?.bytes ?? 0) : Buffer.byteLength(i.order.printHtml)) : 0))
    expect(labels.reduce((a, b) => a + b, 0)).toBeGreaterThan(1024 * 1024)
    expect(Buffer.byteLength(JSON.stringify(r))).toBeLessThan(1024 * 1024)
    const offloaded = items.filter((i) => i.ok && i.warnings.some((w) => w.code === 'PRINT_HTML_OFFLOADED'))
    expect(offloaded.length).toBeGreaterThan(0)
    expect(offloaded.length).toBeLessThan(items.length)
    for (const i of offloaded) expect(i.ok && i.order.printHtmlFile && i.order.printHtml === null).toBe(true)
  })

  test("printHtmlAs 'file' stores each label and returns printHtmlFile", async () => {
    h.gateway.backend = createBackend()
    const main = h.use({}, USER)
    const r = await quiet(() => main({ orderId: 'DEMO-GBK-0001', deliveryId: 'STO', printHtmlAs: 'file' }, {}))
    if (!r.ok || !('order' in r)) throw new Error(JSON.stringify(r).slice(0, 300))
    expect(r.order.printHtml).toBeNull()
    expect(r.warnings).toEqual([])
    expect(h.gateway.files.get(r.order.printHtmlFile!.fileID)!.toString('utf8')).toContain('申通快递')
  })

  test("printHtmlAs 'none' returns neither label nor file", async () => {
    h.gateway.backend = createBackend()
    const main = h.use({}, USER)
    const r = await quiet(() => main({ orderId: 'DEMO-GBK-0001', deliveryId: 'STO', printHtmlAs: 'none' }, {}))
    if (!r.ok || !('order' in r)) throw new Error(JSON.stringify(r).slice(0, 300))
    expect(r.order.printHtml).toBeNull()
    expect(r.order).not.toHaveProperty('printHtmlFile')
  })

  test('an answer over 1 MB even with every label a file is RESULT_TOO_LARGE, and leaves no file behind', async () => {
    h.gateway.resetStorage()
    // Waybill data of about 400 KB an order: three of them cannot fit whatever happens to labels.
    const heavy = generated(3).map((o) => ({ ...o, waybill_data: Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, value: '收件人地址'.repeat(25) })) }))
    h.gateway.backend = backendWith(heavy)
    const main = h.use({ ADMIN_OPENIDS: ADMIN }, ADMIN)
    const r = await quiet(() => main({ orders: heavy.map((o) => ({ orderId: o.order_id, deliveryId: o.delivery_id })), printHtmlAs: 'file' }, { request_id: 'big' }))
    expect(r).toMatchObject({ ok: false, error: { code: 'RESULT_TOO_LARGE', retryable: false, hint: expect.stringContaining('fewer orders') } })
    expect(Buffer.byteLength(JSON.stringify(r))).toBeLessThan(4096)
    expect(h.gateway.files.size).toBe(0)
  })

  test.each(['upload', 'temp-url'] as const)('a storage failure (%s) is a structured error on both SDKs alike', async (fault) => {
    // A label stored by an earlier test would be reused without an upload.
    h.gateway.resetStorage()
    h.gateway.backend = createBackend()
    h.gateway.storageFault = fault
    const real = await quiet(() => h.use({}, USER)({ orderId: 'DEMO-GBK-0001', deliveryId: 'STO', printHtmlAs: 'file' }, { request_id: 'x' }))
    h.gateway.storageFault = 'none'
    const f = fakeMain()
    f.fake.storageFault = fault
    const viaFake = await quiet(() => f.main({ orderId: 'DEMO-GBK-0001', deliveryId: 'STO', printHtmlAs: 'file' }, { request_id: 'x' }))
    expect(real).toMatchObject({ ok: false, error: { code: 'UPSTREAM_UNAVAILABLE', retryable: true, hint: expect.stringContaining('storage') } })
    expect(viaFake).toEqual(real)
  })
})
