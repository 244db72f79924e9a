import fc from 'fast-check'
import type { Clock } from '../clock/budget'
import { createBackend } from '../harness/backend'
import { createFakeCloud, type FakeCloud } from '../harness/fakeSdk'
import { cloudRecords, type LabelRecords, SECRET_DOC } from './records'
import { cloudFiles } from './storage'
import { labelStore, type LabelSession, MAX_TEMP_URL_SECONDS, PURGE_PAGE, PURGE_STUCK_AFTER } from './store'

const HOUR = 3_600_000
const TTL = 24 * HOUR
const T0 = Date.UTC(2026, 10, 28, 9, 17, 23)

const SECRET = 'a-test-secret-that-is-long-enough-0000'

function setup(ttlMs = TTL, options: { ownerSecret?: string | null; records?: (r: LabelRecords) => LabelRecords } = {}) {
  const clock = {
    t: T0,
    now() {
      return this.t
    },
    sleep: async () => {},
  } satisfies Clock & { t: number }
  const cloud: FakeCloud = createFakeCloud({ backend: createBackend(), env: {} })
  const base = cloudRecords(cloud.database(), 'getorder_labels')
  const secret = options.ownerSecret === undefined ? SECRET : options.ownerSecret
  const store = labelStore({ files: cloudFiles(cloud), records: options.records ? options.records(base) : base, ttlMs, clock, ...(secret !== null ? { ownerSecret: secret } : {}) })
  const records = () => [...(cloud.db.collections.get('getorder_labels')?.values() ?? [])].filter((d) => d._id !== SECRET_DOC)
  return { clock, cloud, store, records }
}
/**
 * A fault that comes `percent`% of the time, from a seed fast-check draws (mulberry32). A linear
 * congruential step in doubles loses its low bits past 2^53, and its runs of faults were then
 * anything but random: one seed failed a page's deletion eight times in a row.
 */
function faults(seed: number, percent: number): () => boolean {
  let a = seed | 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) % 100 < percent
  }
}

const html = (n: number) => `<html><body>收件人 张三 ${n}</body></html>`
const ALICE = { openid: 'oALICE-0000000000001', role: 'user' }
const BOB = { openid: 'oBOB-00000000000000001', role: 'user' }
/** What the handler does once an answer that points to the file has gone out. */
async function answered(session: LabelSession, ...files: { fileID: string }[]) {
  await session.settle(new Set(files.map((f) => f.fileID)))
}
/** Stores a label and keeps it, as an invocation that answered ok does. */
async function storedOk(store: ReturnType<typeof setup>['store'], n: number, owner = ALICE) {
  const session = store.session(owner)
  const file = await session.save(html(n))
  await answered(session, file)
  return file
}

describe('saving', () => {
  test('a label is recorded, stored, and given a URL that ends no later than the file', async () => {
    const { cloud, store, records } = setup()
    const file = await store.session(ALICE).save(html(1))
    expect(cloud.files.get(file.fileID)?.toString('utf8')).toBe(html(1))
    const life = Date.parse(file.expiresAt) - T0
    expect(life).toBeGreaterThan(TTL / 2)
    expect(life).toBeLessThanOrEqual(TTL)
    expect(cloud.tempUrlRequests).toEqual([{ fileID: file.fileID, maxAge: Math.floor(life / 1000) }])
    expect(records()).toEqual([
      expect.objectContaining({ fileID: file.fileID, expiresAt: Date.parse(file.expiresAt), owner: expect.stringMatching(/^u[0-9a-f]{20}$/), bytes: Buffer.byteLength(html(1)), kept: false }),
    ])
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
    const first = await storedOk(store, 1)
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
    const first = await storedOk(store, 1)
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
    const a = await storedOk(store, 1)
    const b = await storedOk(store, 1, BOB)
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

describe('owners and URLs', () => {
  test('the owner hash is keyed: another secret gives another prefix, and a candidate openid cannot be confirmed without it', async () => {
    const paths = await Promise.all(
      ['secret-one-that-is-long-enough-00000000', 'secret-two-that-is-long-enough-00000000'].map(async (ownerSecret) => {
        const { store, records } = setup(TTL, { ownerSecret })
        await storedOk(store, 1)
        return records()[0]!.owner as string
      }),
    )
    expect(paths[0]).not.toBe(paths[1])
    const { createHash } = await import('crypto')
    const unkeyed = createHash('sha256').update(ALICE.openid).digest('hex').slice(0, 20)
    expect(paths.join()).not.toContain(unkeyed)
  })

  test('without LABEL_OWNER_SECRET the store creates a secret once and keeps it with the records', async () => {
    const { cloud, store, records } = setup(TTL, { ownerSecret: null })
    await storedOk(store, 1)
    const secretDoc = cloud.db.collections.get('getorder_labels')!.get(SECRET_DOC)
    expect(secretDoc).toMatchObject({ secret: expect.stringMatching(/^[0-9a-f]{64}$/) })
    // Another instance over the same collection reads the same secret: the same owner prefix.
    const other = labelStore({ files: cloudFiles(cloud), records: cloudRecords(cloud.database(), 'getorder_labels'), ttlMs: TTL, clock: { now: () => T0, sleep: async () => {} } })
    const session = other.session(ALICE)
    await answered(session, await session.save(html(2)))
    expect(new Set(records().map((r) => r.owner)).size).toBe(1)
    expect(cloud.db.collections.get('getorder_labels')!.get(SECRET_DOC)).toEqual(secretDoc)
  })

  test('a failed read of the secret is tried again by the next save, not remembered', async () => {
    let fail = true
    const { store } = setup(TTL, { ownerSecret: null, records: (r) => ({ ...r, secret: () => (fail ? ((fail = false), Promise.reject(new Error('database down'))) : r.secret()) }) })
    await expect(store.session(ALICE).save(html(1))).rejects.toThrow('database down')
    await expect(storedOk(store, 1)).resolves.toMatchObject({ fileID: expect.any(String) })
  })

  test('a URL is never issued for longer than the platform documents (one day), whatever the TTL', async () => {
    const { cloud, store } = setup(72 * HOUR)
    const file = await storedOk(store, 1)
    expect(Date.parse(file.expiresAt) - T0).toBeGreaterThan(36 * HOUR)
    expect(cloud.tempUrlRequests.at(-1)!.maxAge).toBe(MAX_TEMP_URL_SECONDS)
  })
})

describe('concurrent invocations of one owner', () => {
  /** Holds every record lookup until released, so two saves both miss before either writes. */
  function gatedFind() {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    let waiting = 0
    const wrap = (r: LabelRecords): LabelRecords => ({ ...r, find: async (keys) => (waiting++, await gate, r.find(keys)) })
    return { wrap, release: () => release(), waiting: () => waiting }
  }

  test("A answers ok, B fails: B deletes only its own file, and A's stays readable until it expires", async () => {
    const gate = gatedFind()
    const { cloud, store, records, clock } = setup(TTL, { records: gate.wrap })
    const a = store.session(ALICE)
    const b = store.session(ALICE)
    const savedA = a.save(html(1))
    const savedB = b.save(html(1))
    await new Promise((r) => setTimeout(r, 10))
    // Both looked and found nothing before either wrote a record: the race the gate makes certain.
    expect(gate.waiting()).toBeGreaterThan(0)
    expect(records()).toEqual([])
    gate.release()
    const [fileA, fileB] = await Promise.all([savedA, savedB])
    expect(fileA.fileID).not.toBe(fileB.fileID)
    await answered(a, fileA)
    expect(await b.rollback()).toEqual({ deleted: 1, left: 0 })
    expect([...cloud.files.keys()]).toEqual([fileA.fileID])
    expect(records()).toEqual([expect.objectContaining({ fileID: fileA.fileID, kept: true })])
    // Nothing deletes it before its time; the purge does after.
    clock.t = Date.parse(fileA.expiresAt) - 1
    await store.purge(Number.POSITIVE_INFINITY)
    expect(cloud.files.has(fileA.fileID)).toBe(true)
    clock.t = Date.parse(fileA.expiresAt)
    await store.purge(Number.POSITIVE_INFINITY)
    expect(cloud.files.size).toBe(0)
  })

  test('a file is not reused until the answer pointing to it has gone out', async () => {
    const { cloud, store } = setup()
    const first = store.session(ALICE)
    const fileA = await first.save(html(1))
    // Still in flight: another invocation stores its own copy, since A may yet fail and delete.
    const second = store.session(ALICE)
    const fileB = await second.save(html(1))
    expect(fileB.fileID).not.toBe(fileA.fileID)
    await first.rollback()
    await answered(second, fileB)
    expect([...cloud.files.keys()]).toEqual([fileB.fileID])
    // Once kept, it is what the next invocation reuses.
    const third = store.session(ALICE)
    expect((await third.save(html(1))).fileID).toBe(fileB.fileID)
    expect(third.stored).toBe(0)
  })
})

describe('property: concurrent invocations under random faults', () => {
  test('every file an ok answer points to stays until its expiresAt, and nothing unpointed outlives the purge', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ labels: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }), fails: fc.boolean(), owner: fc.constantFrom(ALICE, BOB) }), {
          minLength: 2,
          maxLength: 6,
        }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        async (invocations, seed) => {
          const { clock, cloud, store } = setup()
          const flaky = faults(seed, 25)
          const { deleteFile, uploadFile, getTempFileURL } = cloud
          const fault = (what: string) => Object.assign(new Error(`${what}:fail`), { errCode: -503001, errMsg: 'storage request failed' })
          cloud.deleteFile = async (o) => (flaky() ? Promise.reject(fault('deleteFile')) : deleteFile.call(cloud, o))
          cloud.uploadFile = async (o) => (flaky() ? Promise.reject(fault('uploadFile')) : uploadFile.call(cloud, o))
          cloud.getTempFileURL = async (o) => (flaky() ? Promise.reject(fault('getTempFileURL')) : getTempFileURL.call(cloud, o))
          const pointed: { fileID: string; expiresAt: string }[] = []
          await Promise.all(
            invocations.map(async (inv) => {
              const session = store.session(inv.owner)
              const saved = await Promise.all(inv.labels.map((n) => session.save(html(n)))).catch(() => undefined)
              if (saved === undefined || inv.fails) {
                await session.rollback().catch(() => undefined)
                return
              }
              await session.settle(new Set(saved.map((f) => f.fileID)))
              pointed.push(...saved)
            }),
          )
          Object.assign(cloud, { deleteFile, uploadFile, getTempFileURL })
          for (const f of pointed) if (!cloud.files.has(f.fileID)) return false
          // A purge now takes whatever a failed cleanup left, and nothing an answer points to.
          await store.purge(Number.POSITIVE_INFINITY)
          const live = new Set(pointed.map((f) => f.fileID))
          if ([...cloud.files.keys()].some((id) => !live.has(id))) return false
          // After every expiry, the purge leaves nothing.
          clock.t = Math.max(T0, ...pointed.map((f) => Date.parse(f.expiresAt)))
          await store.purge(Number.POSITIVE_INFINITY)
          return cloud.files.size === 0
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 100) > 100 ? 500 : 100 },
    )
  })
})

describe('rolling back a failed invocation', () => {
  test('deletes the files the session stored and their records, not the ones it reused', async () => {
    const { cloud, store, records } = setup()
    const kept = await storedOk(store, 1)
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
    expect(await store.purge(Number.POSITIVE_INFINITY)).toEqual({ deleted: 1, failed: 0, stuck: 0, more: false })
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
    const old = await Promise.all([1, 2, 3].map((n) => storedOk(store, n)))
    clock.t += TTL
    const fresh = await storedOk(store, 4)
    clock.t = Math.max(...old.map((f) => Date.parse(f.expiresAt)))
    expect(await store.purge(Number.POSITIVE_INFINITY)).toEqual({ deleted: 3, failed: 0, stuck: 0, more: false })
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
    expect(await store.purge(Number.POSITIVE_INFINITY)).toEqual({ deleted: 0, failed: 0, stuck: 0, more: false })
  })

  test('works page by page, deleting 50 files a call, until none is left', async () => {
    const { clock, cloud, store } = setup()
    const session = store.session(ALICE)
    const n = PURGE_PAGE * 2 + 7
    for (let i = 0; i < n; i++) await session.save(html(i))
    clock.t += TTL + 1
    const deleteCalls = jest.spyOn(cloud, 'deleteFile')
    expect(await store.purge(Number.POSITIVE_INFINITY)).toEqual({ deleted: n, failed: 0, stuck: 0, more: false })
    expect(deleteCalls.mock.calls.every(([o]) => o.fileList.length <= 50)).toBe(true)
    expect(cloud.files.size).toBe(0)
  })

  test('stops at its deadline and says there is more', async () => {
    const { clock, store } = setup()
    const session = store.session(ALICE)
    for (let i = 0; i < PURGE_PAGE + 1; i++) await session.save(html(i))
    clock.t += TTL + 1
    expect(await store.purge(clock.t)).toEqual({ deleted: 0, failed: 0, stuck: 0, more: true })
  })

  test('a failing deletion keeps the record, stepped aside for a later run', async () => {
    const { clock, cloud, store, records } = setup()
    await storedOk(store, 1)
    clock.t += TTL + 1
    cloud.storageFault = 'delete'
    expect(await store.purge(Number.POSITIVE_INFINITY)).toEqual({ deleted: 0, failed: 1, stuck: 0, more: true })
    expect(records()).toEqual([expect.objectContaining({ purgeFailures: 1, kept: false, expiresAt: clock.t + HOUR })])
    cloud.storageFault = 'none'
    // Not before its retry comes round; then it goes.
    expect(await store.purge(Number.POSITIVE_INFINITY)).toMatchObject({ deleted: 0, failed: 0 })
    clock.t += HOUR
    expect(await store.purge(Number.POSITIVE_INFINITY)).toMatchObject({ deleted: 1, failed: 0, more: false })
    expect(records()).toEqual([])
  })

  test('120 undeletable records at the head of the list do not stop the real expired labels from going in the same run', async () => {
    const { clock, cloud, store, records } = setup()
    const session = store.session(ALICE)
    const stuck: string[] = []
    for (let i = 0; i < 120; i++) stuck.push((await session.save(html(i))).fileID)
    await answered(session, ...stuck.map((fileID) => ({ fileID })))
    clock.t += HOUR
    const real = await Promise.all([1000, 1001, 1002].map((n) => storedOk(store, n)))
    clock.t += TTL + HOUR
    // Deleting the first 120 always fails (the same files, every time).
    const realDelete = cloud.deleteFile.bind(cloud)
    const refuse = new Set(stuck)
    cloud.deleteFile = async ({ fileList }) => {
      const r = await realDelete({ fileList: fileList.filter((f) => !refuse.has(f)) })
      return { ...r, fileList: [...r.fileList, ...fileList.filter((f) => refuse.has(f)).map((fileID) => ({ fileID, status: -503001, errMsg: 'storage request failed' }))] }
    }
    const report = await store.purge(Number.POSITIVE_INFINITY)
    expect(report).toEqual({ deleted: 3, failed: 120, stuck: 0, more: true })
    for (const f of real) expect(cloud.files.has(f.fileID)).toBe(false)
    expect(records()).toHaveLength(120)
    // They are retried later, less often each time, and reported as stuck once they keep failing.
    let last = report
    for (let run = 1; run < PURGE_STUCK_AFTER; run++) {
      clock.t += 24 * HOUR
      last = await store.purge(Number.POSITIVE_INFINITY)
    }
    expect(last).toEqual({ deleted: 0, failed: 120, stuck: 120, more: true })
    refuse.clear()
    clock.t += 24 * HOUR
    expect(await store.purge(Number.POSITIVE_INFINITY)).toEqual({ deleted: 120, failed: 0, stuck: 0, more: false })
  })

  test('a record whose upload never came back names no file; a fresh instance still resolves and removes it', async () => {
    const { clock, cloud, store, records } = setup()
    cloud.storageFault = 'upload'
    const session = store.session(ALICE)
    await expect(session.save(html(1))).rejects.toMatchObject({ name: 'UpstreamError' })
    cloud.storageFault = 'database'
    await session.rollback().catch(() => undefined)
    cloud.storageFault = 'none'
    expect(records()).toEqual([expect.objectContaining({ fileID: null })])
    clock.t += TTL + 1
    // A new instance: it has never seen an upload, so it does not know the fileID prefix.
    const fresh = labelStore({ files: cloudFiles(cloud), records: cloudRecords(cloud.database(), 'getorder_labels'), ttlMs: TTL, clock, ownerSecret: SECRET })
    expect(await fresh.purge(Number.POSITIVE_INFINITY)).toEqual({ deleted: 1, failed: 0, stuck: 0, more: false })
    expect(records()).toEqual([])
    expect(cloud.files.size).toBe(0)
  })

  test('with 30% of storage and database calls failing, runs keep progressing, never touch a live label, and finish', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
        const { clock, cloud, store } = setup()
        const expired = await Promise.all(Array.from({ length: 60 }, (_, i) => storedOk(store, i)))
        clock.t += TTL + 1
        const live = await Promise.all(Array.from({ length: 10 }, (_, i) => storedOk(store, 100 + i)))
        const flaky = faults(seed, 30)
        const { deleteFile, database } = cloud
        cloud.deleteFile = async (o) => {
          if (flaky()) throw Object.assign(new Error('deleteFile:fail'), { errCode: -503001, errMsg: 'storage request failed' })
          return deleteFile.call(cloud, o)
        }
        cloud.database = () => {
          const db = database.call(cloud)
          const collection = db.collection.bind(db)
          return { ...db, collection: (name: string) => (flaky() ? failing() : collection(name)) }
        }
        // Hourly runs for eight days, as the timer would make them. A page whose deletion keeps
        // failing is tried 12 times in that span, so a chance failure is 0.3^12 per page and seed.
        for (let run = 0; run < 192 && expired.some((f) => cloud.files.has(f.fileID)); run++) {
          await store.purge(clock.t + 5_000).catch(() => undefined)
          for (const f of live) if (clock.t < Date.parse(f.expiresAt) && !cloud.files.has(f.fileID)) return false
          clock.t += HOUR
        }
        cloud.deleteFile = deleteFile
        cloud.database = database
        return expired.every((f) => !cloud.files.has(f.fileID))
      }),
      { numRuns: 20 },
    )
    function failing(): never {
      throw Object.assign(new Error('database request fail'), { errCode: -502001, errMsg: 'database request fail' })
    }
  })

  test('a purge that read a record never deletes the file a retry of the same label wrote meanwhile', async () => {
    const { clock, cloud, store } = setup()
    // A's cleanup could not delete: its record is marked expired for the purge.
    const a = store.session(ALICE)
    await a.save(html(1))
    cloud.storageFault = 'delete'
    expect(await a.rollback()).toEqual({ deleted: 0, left: 1 })
    cloud.storageFault = 'none'
    // The purge reads the expired record; before it deletes, a retry stores the same label and answers ok.
    const records = cloudRecords(cloud.database(), 'getorder_labels')
    let retried: { fileID: string } | undefined
    const racing = labelStore({
      files: cloudFiles(cloud),
      records: {
        ...records,
        expired: async (now, limit) => {
          const page = await records.expired(now, limit)
          if (retried === undefined) retried = await storedOk(store, 1)
          return page
        },
      },
      ttlMs: TTL,
      clock,
      ownerSecret: SECRET,
    })
    expect(await racing.purge(Number.POSITIVE_INFINITY)).toMatchObject({ deleted: 1 })
    expect(cloud.files.has(retried!.fileID)).toBe(true)
    expect([...cloud.files.keys()]).toEqual([retried!.fileID])
  })

  test('creates the record collection on first use', async () => {
    const { cloud, store } = setup()
    expect(cloud.db.collections.has('getorder_labels')).toBe(false)
    expect(await store.purge(Number.POSITIVE_INFINITY)).toEqual({ deleted: 0, failed: 0, stuck: 0, more: false })
    expect(cloud.db.collections.has('getorder_labels')).toBe(true)
  })
})
