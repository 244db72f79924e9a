import fc from 'fast-check'
import type { Clock } from '../clock/budget'
import { createBackend } from '../harness/backend'
import { createFakeCloud, type FakeCloud } from '../harness/fakeSdk'
import { cloudRecords } from './records'
import { cloudFiles } from './storage'
import { labelStore, ownerKey, PURGE_PAGE } from './store'

const HOUR = 3_600_000
const TTL = 24 * HOUR
const T0 = Date.UTC(2026, 10, 28, 9, 17, 23)

function setup(ttlMs = TTL) {
  const clock = { t: T0, now() { return this.t }, sleep: async () => {} } satisfies Clock & { t: number }
  const cloud: FakeCloud = createFakeCloud({ backend: createBackend(), env: {} })
  const store = labelStore({ files: cloudFiles(cloud), records: cloudRecords(cloud.database(), 'getorder_labels'), ttlMs, clock })
  const records = () => [...(cloud.db.collections.get('getorder_labels')?.values() ?? [])]
  return { clock, cloud, store, records }
}
const html = (n: number) => `<html><body>收件人 张三 ${n}</body></html>`
const ALICE = ownerKey({ openid: 'oALICE-0000000000001', role: 'user' })
const BOB = ownerKey({ openid: 'oBOB-00000000000000001', role: 'user' })

describe('saving', () => {
  test('a label is recorded, stored, and given a URL that ends no later than the file', async () => {
    const { cloud, store, records } = setup()
    const file = await store.session(ALICE).save(html(1))
    expect(cloud.files.get(file.fileID)?.toString('utf8')).toBe(html(1))
    const life = Date.parse(file.expiresAt) - T0
    expect(life).toBeGreaterThan(TTL / 2)
    expect(life).toBeLessThanOrEqual(TTL)
    expect(cloud.tempUrlRequests).toEqual([{ fileID: file.fileID, maxAge: Math.floor(life / 1000) }])
    expect(records()).toEqual([expect.objectContaining({ fileID: file.fileID, expiresAt: Date.parse(file.expiresAt), owner: ALICE, bytes: Buffer.byteLength(html(1)) })])
  })

  test('the record is written before the file, so no file exists that the purge cannot find', async () => {
    const { cloud, store } = setup()
    const order: string[] = []
    const upload = cloud.uploadFile.bind(cloud)
    cloud.uploadFile = async (o) => (order.push(`upload, ${cloud.db.ops.filter((x) => x.op === 'set').length} record(s) written`), upload(o))
    await store.session(ALICE).save(html(1))
    expect(order).toEqual(['upload, 1 record(s) written'])
  })

  test('the first upload of an instance teaches the fileID prefix, so later records name their file up front', async () => {
    const { cloud, store } = setup()
    const session = store.session(ALICE)
    await session.save(html(1))
    const setsBefore = cloud.db.ops.filter((o) => o.op === 'set').length
    await session.save(html(2))
    expect(cloud.db.ops.filter((o) => o.op === 'set').length - setsBefore).toBe(1)
  })

  test('no openid or label text appears in a path or a record', async () => {
    const { cloud, store, records } = setup()
    const file = await store.session(ALICE).save(html(1))
    const stored = JSON.stringify(records()) + file.fileID + [...cloud.files.keys()].join()
    expect(stored).not.toContain('oALICE')
    expect(stored).not.toContain('张三')
  })

  test('the same label in one invocation is stored once', async () => {
    const { cloud, store } = setup()
    const session = store.session(ALICE)
    const [a, b] = await Promise.all([session.save(html(1)), session.save(html(1))])
    expect(a).toEqual(b)
    expect(cloud.files.size).toBe(1)
    expect(session.stored).toBe(1)
  })

  test('the same label asked for again within its life reuses the stored file, with the same expiry', async () => {
    const { clock, cloud, store } = setup()
    const first = await store.session(ALICE).save(html(1))
    clock.t += 2 * HOUR
    const again = store.session(ALICE)
    const second = await again.save(html(1))
    expect(second.fileID).toBe(first.fileID)
    expect(second.expiresAt).toBe(first.expiresAt)
    expect(again.stored).toBe(0)
    expect(cloud.files.size).toBe(1)
    // The URL of the reused file ends with the file's remaining life, not a fresh TTL.
    expect(cloud.tempUrlRequests.at(-1)!.maxAge).toBe(Math.floor((Date.parse(first.expiresAt) - clock.t) / 1000))
  })

  test.each([
    ['across the bucket boundary, with more than a quarter of the TTL left, the file is reused', 3 * HOUR, true],
    ['with less than a quarter of the TTL left, a fresh copy is stored instead', 14 * HOUR, false],
  ])('%s', async (_name, later, reused) => {
    const { clock, cloud, store } = setup()
    const first = await store.session(ALICE).save(html(1))
    // T0 is 09:17 UTC and a bucket is 12 h: 3 h later is past the 12:00 boundary.
    clock.t = T0 + later
    expect(Math.floor(clock.t / (TTL / 2))).toBe(Math.floor(T0 / (TTL / 2)) + 1)
    const second = await store.session(ALICE).save(html(1))
    expect(second.fileID === first.fileID).toBe(reused)
    expect(cloud.files.size).toBe(reused ? 1 : 2)
    expect(Date.parse(second.expiresAt) - clock.t).toBeGreaterThanOrEqual(reused ? TTL / 4 : TTL / 2)
  })

  test('another caller gets a copy of its own', async () => {
    const { cloud, store } = setup()
    const a = await store.session(ALICE).save(html(1))
    const b = await store.session(BOB).save(html(1))
    expect(a.fileID).not.toBe(b.fileID)
    expect(cloud.files.size).toBe(2)
  })

  test('property: at any moment and TTL a stored file lives more than half the TTL and at most the TTL', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 4_000_000_000_000 }), fc.integer({ min: 1, max: 720 }), async (now, hours) => {
        const { clock, store } = setup(hours * HOUR)
        clock.t = now
        const file = await store.session(ALICE).save(html(now))
        const life = Date.parse(file.expiresAt) - now
        return life > (hours * HOUR) / 2 && life <= hours * HOUR
      }),
      { numRuns: 200 },
    )
  })
})

describe('rolling back a failed invocation', () => {
  test('deletes the files the session stored and their records, not the ones it reused', async () => {
    const { cloud, store, records } = setup()
    const kept = await store.session(ALICE).save(html(1))
    const session = store.session(ALICE)
    await session.save(html(1))
    await session.save(html(2))
    await session.save(html(3))
    expect(await session.rollback()).toEqual({ deleted: 2, left: 0 })
    expect([...cloud.files.keys()]).toEqual([kept.fileID])
    expect(records().map((r) => r.fileID)).toEqual([kept.fileID])
  })

  test('a file that cannot be deleted is marked expired, and the next purge deletes it', async () => {
    const { cloud, store, records } = setup()
    const session = store.session(ALICE)
    const file = await session.save(html(1))
    cloud.storageFault = 'delete'
    expect(await session.rollback()).toEqual({ deleted: 0, left: 1 })
    expect(records()).toEqual([expect.objectContaining({ fileID: file.fileID, expiresAt: T0 })])
    cloud.storageFault = 'none'
    expect(await store.purge(Number.POSITIVE_INFINITY)).toEqual({ deleted: 1, failed: 0, more: false })
    expect(cloud.files.size).toBe(0)
    expect(records()).toEqual([])
  })

  test('a save abandoned at the deadline writes nothing once the rollback has begun', async () => {
    const { cloud, store, records } = setup()
    cloud.storageLatencyMs = 15
    const session = store.session(ALICE)
    await session.save(html(1))
    // The deadline has passed: the handler stopped waiting, but the save is still reading records.
    const abandoned = session.save(html(2)).catch((e: unknown) => e)
    await session.rollback()
    expect(await abandoned).toMatchObject({ name: 'UpstreamError', kind: 'timeout' })
    await new Promise((r) => setTimeout(r, 100))
    expect(cloud.files.size).toBe(0)
    expect(records()).toEqual([])
  })

  test('a write under way when the rollback begins is waited for and deleted before the rollback ends', async () => {
    expect.assertions(3)
    const { cloud, store, records } = setup()
    cloud.storageLatencyMs = 15
    const session = store.session(ALICE)
    await session.save(html(1))
    // Past its record lookup, so already writing: the platform may freeze the instance as soon as
    // the answer is out, so nothing may be left to delete in the background.
    const underway = session.save(html(2)).catch((e: unknown) => e)
    await new Promise((r) => setTimeout(r, 20))
    expect(await session.rollback()).toEqual({ deleted: 2, left: 0 })
    expect(cloud.files.size).toBe(0)
    await underway
    expect(records()).toEqual([])
  })

  test('a failed upload leaves no file and no live record', async () => {
    const { cloud, store, records } = setup()
    const session = store.session(ALICE)
    await session.save(html(1))
    cloud.storageFault = 'upload'
    await expect(session.save(html(2))).rejects.toMatchObject({ name: 'UpstreamError' })
    cloud.storageFault = 'none'
    await session.rollback()
    expect(cloud.files.size).toBe(0)
    expect(records().every((r) => Number(r.expiresAt) <= T0)).toBe(true)
  })
})

describe('the purge', () => {
  test('deletes exactly the expired files and their records', async () => {
    const { clock, cloud, store, records } = setup()
    const old = await Promise.all([1, 2, 3].map((n) => store.session(ALICE).save(html(n))))
    clock.t += TTL
    const fresh = await store.session(ALICE).save(html(4))
    clock.t = Math.max(...old.map((f) => Date.parse(f.expiresAt)))
    expect(await store.purge(Number.POSITIVE_INFINITY)).toEqual({ deleted: 3, failed: 0, more: false })
    expect([...cloud.files.keys()]).toEqual([fresh.fileID])
    expect(records().map((r) => r.fileID)).toEqual([fresh.fileID])
  })

  test('is idempotent, and two at once delete each file once between them', async () => {
    const { clock, cloud, store, records } = setup()
    await Promise.all([1, 2, 3, 4].map((n) => store.session(ALICE).save(html(n))))
    clock.t += TTL + 1
    const [a, b] = await Promise.all([store.purge(Number.POSITIVE_INFINITY), store.purge(Number.POSITIVE_INFINITY)])
    expect(a.failed + b.failed).toBe(0)
    expect(cloud.files.size).toBe(0)
    expect(records()).toEqual([])
    expect(await store.purge(Number.POSITIVE_INFINITY)).toEqual({ deleted: 0, failed: 0, more: false })
  })

  test('works page by page, deleting 50 files a call, until none is left', async () => {
    const { clock, cloud, store } = setup()
    const session = store.session(ALICE)
    const n = PURGE_PAGE * 2 + 7
    for (let i = 0; i < n; i++) await session.save(html(i))
    clock.t += TTL + 1
    const deleteCalls = jest.spyOn(cloud, 'deleteFile')
    expect(await store.purge(Number.POSITIVE_INFINITY)).toEqual({ deleted: n, failed: 0, more: false })
    expect(deleteCalls.mock.calls.every(([o]) => o.fileList.length <= 50)).toBe(true)
    expect(cloud.files.size).toBe(0)
  })

  test('stops at its deadline and says there is more', async () => {
    const { clock, store } = setup()
    const session = store.session(ALICE)
    for (let i = 0; i < PURGE_PAGE + 1; i++) await session.save(html(i))
    clock.t += TTL + 1
    expect(await store.purge(clock.t)).toEqual({ deleted: 0, failed: 0, more: true })
  })

  test('a failing deletion keeps the record for the next run', async () => {
    const { clock, cloud, store, records } = setup()
    await store.session(ALICE).save(html(1))
    clock.t += TTL + 1
    cloud.storageFault = 'delete'
    expect(await store.purge(Number.POSITIVE_INFINITY)).toEqual({ deleted: 0, failed: 1, more: true })
    expect(records()).toHaveLength(1)
  })

  test('creates the record collection on first use', async () => {
    const { cloud, store } = setup()
    expect(cloud.db.collections.has('getorder_labels')).toBe(false)
    expect(await store.purge(Number.POSITIVE_INFINITY)).toEqual({ deleted: 0, failed: 0, more: false })
    expect(cloud.db.collections.has('getorder_labels')).toBe(true)
  })
})
