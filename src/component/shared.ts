import { randomBytes } from 'crypto'
import { type Clock, systemClock } from '../clock/budget'
import { UpstreamError } from '../errors/upstream'
import { TOKEN_FETCH_TIMEOUT_MS, type TokenRequest } from '../transport/tokens'
import type { Sealer } from './seal'
import type { TokenStore } from './store'

export interface SharedTokenOptions {
  store: TokenStore
  /** where the token lives in the store; its lease is `<key>:lease` */
  key: string
  /** fetches a fresh token; only ever run by the instance holding the lease */
  fetch(signal: AbortSignal): Promise<{ value: string; ttlMs: number }>
  /**
   * how long a lease lasts unless its holder renews it (default 4 s, well inside the function's
   * deadline): a live holder renews it every third of that while its fetch runs, so a slow refresh
   * is never doubled, and a dead holder delays the others this long at most
   */
  leaseMs?: number
  /** how soon a waiting instance first looks again (default 100 ms); it waits twice as long each time, up to a second */
  pollMs?: number
  /** the longest a failed fetch is held against every instance (default 5 min); the first hold is 5 s, doubling */
  maxBackoffMs?: number
  /** seals the token at rest (TOKEN_STORE_KEY), bound to its key; without it the token is stored in clear */
  sealer?: Sealer
  /** refresh this long before expiry (default 5 min, at most a tenth of the lifetime) */
  marginMs?: number
  clock?: Clock
}

interface Stored {
  value: string
  /** ms since the epoch: refresh from here on */
  refreshAt: number
  expiresAt: number
  /** when it was fetched */
  fetchedAt?: number
  /** fetched because WeChat refused the one before: if WeChat refuses this one soon too, it is a loop */
  replaced?: true
}

/** A failed fetch, kept in the store so that every instance answers it at once until `until`. */
interface Failure {
  until: number
  attempts: number
  message: string
  wxErrCode?: number
  wxErrMsg?: string
  kind: 'errcode' | 'network' | 'config' | 'bad-json'
}

/** A failure is held 5 s at first, twice as long at each failure after, up to `maxBackoffMs`. */
const FIRST_BACKOFF_MS = 5_000
/** A token refused within this long of its fetch was refused as such, not for expiring: a loop. */
const REFUSED_FRESH_MS = 60_000

/**
 * A token shared by every instance through a store, refreshed by one instance at a time: the one
 * that takes the lease fetches and writes it; the others use the token still in force, or wait for
 * the new one, or take the lease when it lapses (its holder died). A token WeChat refused is never
 * handed out again.
 */
export function sharedToken(o: SharedTokenOptions) {
  const clock = o.clock ?? systemClock
  const leaseMs = o.leaseMs ?? 4_000
  const pollMs = o.pollMs ?? 100
  const maxBackoffMs = o.maxBackoffMs ?? 5 * 60_000
  const leaseKey = `${o.key}:lease`
  const failureKey = `${o.key}:failure`
  let local: Stored | undefined
  let inflight: Promise<string> | undefined
  let fetches = 0

  const { pack, parse } = records(o.sealer, o.key)

  async function resolve(rejected: string | undefined, signal: AbortSignal): Promise<string> {
    // Every store call is bounded by this resolution's clock: a stalled store fails it, not the fleet.
    const store = boundedStore(o.store, signal)
    for (let round = 0; ; round++) {
      if (signal.aborted) throw new UpstreamError('timeout', 'Waiting for a shared token ran out of time.')
      const now = clock.now()
      const [raw, failedRaw] = await Promise.all([store.get(o.key), store.get(failureKey)])
      const stored = parse(raw)
      const failed = parseFailure(failedRaw)
      if (failed !== undefined && now < failed.until) throw asError(failed)
      if (rejected !== undefined && stored?.value === rejected && stored.replaced && stored.fetchedAt !== undefined && now - stored.fetchedAt < REFUSED_FRESH_MS) {
        // WeChat refuses the token it issued to replace a refused one: fetching again would loop; every instance is told.
        throw await recordFailure(store, failureKey, { clock, maxBackoffMs }, failed, new UpstreamError('errcode', 'WeChat refused a token it issued moments ago.', { wxErrCode: 40001 }))
      }
      const usable = stored !== undefined && stored.value !== rejected
      if (usable && now < stored.refreshAt) return (local = stored).value
      const holder = randomBytes(8).toString('hex')
      if (await store.setIfAbsent(leaseKey, holder, leaseMs)) {
        const renew = setInterval(() => void o.store.extendIf(leaseKey, holder, leaseMs).catch(() => undefined), leaseMs / 3)
        renew.unref?.()
        try {
          // Another instance may have written a new token between the read and the lease.
          const again = parse(await store.get(o.key))
          if (again !== undefined && again.value !== rejected && clock.now() < again.refreshAt) return (local = again).value
          fetches++
          let got: { value: string; ttlMs: number }
          try {
            got = await o.fetch(signal)
          } catch (err) {
            throw err instanceof UpstreamError && err.kind !== 'timeout' ? await recordFailure(store, failureKey, { clock, maxBackoffMs }, failed, err) : err
          }
          const at = clock.now()
          const margin = Math.min(o.marginMs ?? 5 * 60_000, got.ttlMs / 10)
          const fresh: Stored = { value: got.value, refreshAt: at + got.ttlMs - margin, expiresAt: at + got.ttlMs, fetchedAt: at, ...(rejected !== undefined ? { replaced: true as const } : {}) }
          local = fresh
          // A token fetched is used, whether or not the store takes it: the callers waiting get it,
          // and this process keeps it; the others fetch their own once the lease lapses.
          await Promise.all([store.set(o.key, pack(fresh), got.ttlMs), failed ? store.set(failureKey, '', 1) : undefined]).catch(() => undefined)
          return fresh.value
        } finally {
          clearInterval(renew)
          // Released without waiting: the token is the caller's now, and an unreleased lease lapses anyway.
          void o.store.deleteIf(leaseKey, holder).catch(() => undefined)
        }
      }
      // Someone else is refreshing: the token still in force serves meanwhile.
      if (usable && now < stored.expiresAt) return (local = stored).value
      await sleep(Math.min(1000, pollMs * 2 ** Math.min(round, 4)) * (0.75 + Math.random() / 2), signal)
    }
  }

  return {
    /** fetches made by this instance */
    get fetches() {
      return fetches
    },
    getToken({ rejected, signal }: TokenRequest): Promise<string> {
      if (local !== undefined && local.value !== rejected && clock.now() < local.refreshAt) return Promise.resolve(local.value)
      if (rejected !== undefined && local?.value === rejected) local = undefined
      // One resolution per process at a time, on its own clock (a lease and a fetch at most); each
      // caller waits for it within its own deadline.
      const mine = (inflight ??= resolve(rejected, AbortSignal.timeout(leaseMs + TOKEN_FETCH_TIMEOUT_MS)).finally(() => {
        if (inflight === mine) inflight = undefined
      }))
      // A caller whose time ran out drops the resolution it waited on: a stalled one (a store that
      // stopped answering) must not hold every later call; it ends at its own bound in the background.
      return within(mine, signal).catch((err: unknown) => {
        if (signal.aborted && inflight === mine) inflight = undefined
        throw err
      })
    },
    /** forgets the token everywhere (a revoked authorization) */
    async forget(): Promise<void> {
      local = undefined
      await o.store.set(o.key, '', 1)
    },
  }
}

/** The token's record as the store holds it: JSON, sealed under TOKEN_STORE_KEY when there is one. */
function records(sealer: Sealer | undefined, key: string) {
  return {
    pack: (s: Stored): string => (sealer ? sealer.seal(JSON.stringify(s), key) : JSON.stringify(s)),
    parse(raw: string | undefined): Stored | undefined {
      if (raw === undefined || raw === '') return undefined
      const text = sealer ? sealer.open(raw, key) : raw
      if (text === undefined) return undefined
      try {
        const s = JSON.parse(text) as Stored
        return typeof s.value === 'string' && typeof s.refreshAt === 'number' && typeof s.expiresAt === 'number' ? s : undefined
      } catch {
        return undefined
      }
    },
  }
}

/** Records a failed fetch for every instance, held longer at each failure in a row; gives back the error to throw. */
async function recordFailure(store: TokenStore, failureKey: string, o: { clock: Clock; maxBackoffMs: number }, previous: Failure | undefined, err: UpstreamError): Promise<UpstreamError> {
  const attempts = (previous?.attempts ?? 0) + 1
  const holdMs = Math.min(o.maxBackoffMs, FIRST_BACKOFF_MS * 2 ** (attempts - 1))
  const failure: Failure = {
    until: o.clock.now() + holdMs,
    attempts,
    message: err.message,
    kind: err.kind === 'too-large' || err.kind === 'timeout' ? 'network' : err.kind,
    ...(err.wxErrCode !== undefined ? { wxErrCode: err.wxErrCode } : {}),
    ...(err.wxErrMsg !== undefined ? { wxErrMsg: err.wxErrMsg.slice(0, 200) } : {}),
  }
  // Kept twice as long as it holds, so the next failure in a row is counted as one.
  await store.set(failureKey, JSON.stringify(failure), holdMs * 2).catch(() => undefined)
  return err
}

function parseFailure(raw: string | undefined): Failure | undefined {
  if (!raw) return undefined
  try {
    const f = JSON.parse(raw) as Failure
    return typeof f.until === 'number' && typeof f.attempts === 'number' && typeof f.message === 'string' ? f : undefined
  } catch {
    return undefined
  }
}

/** The recorded failure, as the error the fetch threw, saying it is held. */
function asError(f: Failure): UpstreamError {
  const seconds = Math.max(1, Math.ceil((f.until - Date.now()) / 1000))
  return new UpstreamError(f.kind, `${f.message} (a recent failure, shared by every instance: asked again in ${seconds} s)`, {
    ...(f.wxErrCode !== undefined ? { wxErrCode: f.wxErrCode } : {}),
    ...(f.wxErrMsg !== undefined ? { wxErrMsg: f.wxErrMsg } : {}),
  })
}

/** The store, each call failing with a timeout once `signal` aborts instead of waiting on a stalled connection. */
function boundedStore(store: TokenStore, signal: AbortSignal): TokenStore {
  const bound =
    <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
    (...a: A): Promise<R> =>
      bounded(f.apply(store, a), signal)
  return { ...store, get: bound(store.get), set: bound(store.set), setIfAbsent: bound(store.setIfAbsent), deleteIf: bound(store.deleteIf), extendIf: bound(store.extendIf) }
}

/** A store call that gives up (UpstreamError 'timeout') once `signal` aborts. */
export function bounded<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return within(p, signal, 'The token store did not answer in time.')
}

function within<T>(p: Promise<T>, signal: AbortSignal, message = 'Waiting for a shared token ran out of time.'): Promise<T> {
  if (signal.aborted) return Promise.reject(new UpstreamError('timeout', message))
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(new UpstreamError('timeout', message))
    signal.addEventListener('abort', stop, { once: true })
    p.then(
      (v) => (signal.removeEventListener('abort', stop), resolve(v)),
      (e) => (signal.removeEventListener('abort', stop), reject(e)),
    )
  })
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    function done() {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}
