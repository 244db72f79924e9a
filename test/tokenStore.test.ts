/**
 * One contract for every token store: memory, Redis (a real redis-server on loopback), and the
 * CloudBase database through the in-process fake SDK and through the real wx-server-sdk on the
 * loopback gateway. A lease is held by one caller at a time, released only by its holder, and
 * taken over once it lapses.
 */
import Redis from 'ioredis'
import { cloudTokenStore, memoryTokenStore, redisTokenStore, type StoreDatabaseLike, type TokenStore } from '../src/component/store'
import { createBackend } from '../src/harness/backend'
import { createFakeCloud } from '../src/harness/fakeSdk'
import { haveRedis, startRedis } from './support/redis'
import { startLoopback } from './support/loopback'

type Made = { store: TokenStore; close(): Promise<void> }
const makers: [string, () => Promise<Made>][] = [
  ['memory', async () => ({ store: memoryTokenStore(), close: async () => {} })],
  [
    'the CloudBase database, fake SDK',
    async () => {
      const fake = createFakeCloud({ backend: createBackend(), env: {} })
      return { store: cloudTokenStore(fake.database() as unknown as StoreDatabaseLike, 'wx_component_store'), close: async () => {} }
    },
  ],
  [
    'the CloudBase database, real wx-server-sdk on the gateway',
    async () => {
      const loop = await startLoopback()
      const cloud = require('wx-server-sdk') as { init(o: object): void; DYNAMIC_CURRENT_ENV: unknown; database(): unknown }
      cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV })
      return { store: cloudTokenStore(cloud.database() as StoreDatabaseLike, `wx_component_store_${Date.now()}`), close: () => loop.close() }
    },
  ],
]
if (haveRedis) {
  makers.push([
    'Redis',
    async () => {
      const server = await startRedis()
      const client = new Redis(server.url)
      return {
        store: redisTokenStore(client, 'contract:'),
        close: async () => {
          client.disconnect()
          await server.stop()
        },
      }
    },
  ])
}

describe.each(makers)('%s', (_name, make) => {
  let made: Made
  beforeEach(async () => {
    made = await make()
  })
  afterEach(() => made.close())

  test('a value reads back until its lifetime ends', async () => {
    const { store } = made
    expect(await store.get('k')).toBeUndefined()
    await store.set('k', 'v1')
    expect(await store.get('k')).toBe('v1')
    await store.set('short', 'v2', 150)
    expect(await store.get('short')).toBe('v2')
    await new Promise((r) => setTimeout(r, 300))
    expect(await store.get('short')).toBeUndefined()
  })

  test('of ten callers racing for a lease, exactly one holds it', async () => {
    const { store } = made
    const got = await Promise.all(Array.from({ length: 10 }, (_, i) => store.setIfAbsent('lease', `holder-${i}`, 5000)))
    expect(got.filter(Boolean)).toHaveLength(1)
  })

  test('a lease is released only by its holder, and taken over once it lapses', async () => {
    const { store } = made
    expect(await store.setIfAbsent('lease', 'A', 200)).toBe(true)
    await store.deleteIf('lease', 'B')
    expect(await store.setIfAbsent('lease', 'B', 200)).toBe(false)
    await new Promise((r) => setTimeout(r, 350))
    expect(await store.setIfAbsent('lease', 'B', 5000)).toBe(true)
    await store.deleteIf('lease', 'A')
    expect(await store.setIfAbsent('lease', 'C', 5000)).toBe(false)
    await store.deleteIf('lease', 'B')
    expect(await store.setIfAbsent('lease', 'C', 5000)).toBe(true)
  })

  test('a lease is renewed only by its holder, and a renewed lease outlives its first lifetime', async () => {
    const { store } = made
    expect(await store.setIfAbsent('lease', 'A', 250)).toBe(true)
    expect(await store.extendIf('lease', 'B', 5000)).toBe(false)
    expect(await store.extendIf('lease', 'A', 5000)).toBe(true)
    await new Promise((r) => setTimeout(r, 400))
    expect(await store.setIfAbsent('lease', 'B', 5000)).toBe(false)
    expect(await store.get('lease')).toBe('A')
    await store.deleteIf('lease', 'A')
    expect(await store.extendIf('lease', 'A', 5000)).toBe(false)
  })
})

if (!haveRedis) test.todo('the Redis store (no redis-server here; CI installs it)')
