import { onCollection } from '../common/collection'
import { sdkErrorParts, UpstreamError } from '../errors/upstream'
import { type Clock, systemClock } from '../clock/budget'

/**
 * Where the component flow keeps what every instance shares: the verify ticket, tokens, sealed
 * refresh tokens, merchants, refresh leases and seen pushes. Values are strings; every write may
 * carry a lifetime.
 */
export interface TokenStore {
  readonly name: string
  /** the value, or undefined when it is missing or has expired */
  get(key: string): Promise<string | undefined>
  set(key: string, value: string, ttlMs?: number): Promise<void>
  /** writes only when the key is missing or expired; true when this call wrote it (leases, replay guards) */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>
  /** deletes the key only while it still holds `value` (a lease released by its holder) */
  deleteIf(key: string, value: string): Promise<void>
  /** gives the key a new lifetime only while it still holds `value` (a live holder renewing its lease); true when it did */
  extendIf(key: string, value: string, ttlMs: number): Promise<boolean>
}

/** One process: a Map with lifetimes. */
export function memoryTokenStore(clock: Clock = systemClock): TokenStore & { readonly size: number } {
  const map = new Map<string, { value: string; expiresAt: number }>()
  const live = (key: string) => {
    const e = map.get(key)
    if (e && e.expiresAt <= clock.now()) map.delete(key)
    return map.get(key)
  }
  return {
    name: 'memory',
    get size() {
      return map.size
    },
    async get(key) {
      return live(key)?.value
    },
    async set(key, value, ttlMs) {
      map.set(key, { value, expiresAt: ttlMs === undefined ? Infinity : clock.now() + ttlMs })
    },
    async setIfAbsent(key, value, ttlMs) {
      if (live(key) !== undefined) return false
      map.set(key, { value, expiresAt: clock.now() + ttlMs })
      return true
    },
    async deleteIf(key, value) {
      if (live(key)?.value === value) map.delete(key)
    },
    async extendIf(key, value, ttlMs) {
      const e = live(key)
      if (e?.value !== value) return false
      e.expiresAt = clock.now() + ttlMs
      return true
    },
  }
}

/** The commands of an ioredis (or compatible) client the store uses. */
export interface RedisLike {
  get(key: string): Promise<string | null>
  set(key: string, value: string): Promise<unknown>
  set(key: string, value: string, px: 'PX', ms: number): Promise<unknown>
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<unknown>
  eval(script: string, keys: number, ...args: (string | number)[]): Promise<unknown>
}

const DELETE_IF = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
const EXTEND_IF = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"

/**
 * Redis, for a fleet of Node servers: `SET … PX … NX` makes a lease, and a compare-and-delete
 * script releases it only for its holder.
 *
 * @example
 * const redis = new Redis(process.env.REDIS_URL!, { commandTimeout: 1000, maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 200, 2000), keepAlive: 10_000 })
 * const store = redisTokenStore(redis, 'wxcomponent:')
 */
export function redisTokenStore(client: RedisLike, prefix = 'wxcomponent:'): TokenStore {
  const k = (key: string) => `${prefix}${key}`
  const wrap = async <T>(what: string, op: () => Promise<T>): Promise<T> => {
    try {
      return await op()
    } catch {
      // The client's message can quote a command and its arguments: none of it goes on.
      throw new UpstreamError('network', `The token store (Redis) failed to ${what}.`)
    }
  }
  return {
    name: 'redis',
    get: (key) => wrap('read', async () => (await client.get(k(key))) ?? undefined),
    set: (key, value, ttlMs) => wrap('write', async () => void (ttlMs === undefined ? await client.set(k(key), value) : await client.set(k(key), value, 'PX', Math.max(1, Math.ceil(ttlMs))))),
    setIfAbsent: (key, value, ttlMs) => wrap('write', async () => (await client.set(k(key), value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK'),
    deleteIf: (key, value) => wrap('release a lease', async () => void (await client.eval(DELETE_IF, 1, k(key), value))),
    extendIf: (key, value, ttlMs) => wrap('renew a lease', async () => Number(await client.eval(EXTEND_IF, 1, k(key), value, Math.max(1, Math.ceil(ttlMs)))) === 1),
  }
}

/** The slice of wx-server-sdk's `cloud.database()` the store uses. */
export interface StoreDatabaseLike {
  command: { lte(v: unknown): unknown; gt(v: unknown): unknown }
  createCollection(name: string): Promise<unknown>
  collection(name: string): {
    doc(id: string): { set(options: { data: Record<string, unknown> }): Promise<unknown> }
    where(query: Record<string, unknown>): {
      limit(n: number): { get(): Promise<{ data: unknown[] }> }
      update(options: { data: Record<string, unknown> }): Promise<unknown>
    }
  }
}

const FOREVER = 8.64e15

/**
 * The CloudBase database, the cloud function's default: one document per key, `{ value,
 * expiresAt }`. `setIfAbsent` takes over an expired document with a conditional update (atomic
 * per document), and creates a missing one with `doc().set()`, which says whether it created the
 * document (`stats.created`, from node-sdk's `upsertedId`): only the creator holds it. Two creators racing can leave the loser's
 * value in place of the winner's, so the winner's release does nothing and the lease simply
 * expires; never two holders.
 *
 * @example
 * const store = cloudTokenStore(cloud.database(), 'wx_component_store')
 */
export function cloudTokenStore(db: StoreDatabaseLike, collection: string, clock: Clock = systemClock): TokenStore {
  const coll = () => db.collection(collection)
  const run = onCollection(db, collection, storeError)

  const read = async (key: string) => {
    const got = await run('read', () => coll().where({ _id: key }).limit(1).get())
    return got.data[0] as { value?: unknown; expiresAt?: unknown } | undefined
  }
  return {
    name: 'cloud database',
    async get(key) {
      const doc = await read(key)
      if (doc === undefined || typeof doc.value !== 'string' || !(Number(doc.expiresAt) > clock.now())) return undefined
      return doc.value
    },
    async set(key, value, ttlMs) {
      await run('write', () =>
        coll()
          .doc(key)
          .set({ data: { value, expiresAt: ttlMs === undefined ? FOREVER : clock.now() + ttlMs } }),
      )
    },
    async setIfAbsent(key, value, ttlMs) {
      const now = clock.now()
      const data = { value, expiresAt: now + ttlMs }
      // wx-server-sdk answers `{ stats: { updated } }` to an update and `{ stats: { updated, created } }` to a set.
      const took = (await run('write', () =>
        coll()
          .where({ _id: key, expiresAt: db.command.lte(now) })
          .update({ data }),
      )) as { stats?: { updated?: number } }
      if (took.stats?.updated === 1) return true
      if ((await read(key)) !== undefined) return false
      const set = (await run('write', () => coll().doc(key).set({ data }))) as { stats?: { created?: number } }
      return set.stats?.created === 1
    },
    async deleteIf(key, value) {
      // Expired, not removed: the slice of the SDK the store uses has no conditional remove.
      await run('release a lease', () =>
        coll()
          .where({ _id: key, value })
          .update({ data: { expiresAt: 0 } }),
      )
    },
    async extendIf(key, value, ttlMs) {
      // Only a live lease: a renewal landing after its release must not bring the lease back.
      const now = clock.now()
      const got = (await run('renew a lease', () =>
        coll()
          .where({ _id: key, value, expiresAt: db.command.gt(now) })
          .update({ data: { expiresAt: now + ttlMs } }),
      )) as { stats?: { updated?: number } }
      return got.stats?.updated === 1
    },
  }
}

function storeError(what: string, err: unknown): UpstreamError {
  const { errCode } = sdkErrorParts(err)
  return new UpstreamError('network', `The token store (database) failed to ${what}.`, errCode === undefined ? {} : { wxErrCode: errCode })
}
