import { randomBytes } from 'crypto'
import { type Clock, systemClock } from '../clock/budget'
import { UpstreamError } from '../errors/upstream'
import { TOKEN_FETCH_TIMEOUT_MS, type TokenRequest } from '../transport/tokens'
import type { TokenStore } from './store'

export interface SharedTokenOptions {
  store: TokenStore
  /** where the token lives in the store; its lease is `<key>:lease` */
  key: string
  /** fetches a fresh token; only ever run by the instance holding the lease */
  fetch(signal: AbortSignal): Promise<{ value: string; ttlMs: number }>
  /**
   * how long a lease lasts unless its holder renews it (default 10 s): a live holder renews it every
   * third of that while its fetch runs, so a slow refresh is never doubled, and a dead holder delays
   * the others this long at most
   */
  leaseMs?: number
  /** how often a waiting instance looks again (default 100 ms) */
  pollMs?: number
  /** refresh this long before expiry (default 5 min, at most a tenth of the lifetime) */
  marginMs?: number
  clock?: Clock
}

interface Stored {
  value: string
  /** ms since the epoch: refresh from here on */
  refreshAt: number
  expiresAt: number
}

/**
 * A token shared by every instance through a store, refreshed by one instance at a time: the one
 * that takes the lease fetches and writes it; the others use the token still in force, or wait for
 * the new one, or take the lease when it lapses (its holder died). A token WeChat refused is never
 * handed out again.
 */
export function sharedToken(o: SharedTokenOptions) {
  const clock = o.clock ?? systemClock
  const leaseMs = o.leaseMs ?? 10_000
  const pollMs = o.pollMs ?? 100
  const leaseKey = `${o.key}:lease`
  let local: Stored | undefined
  let inflight: Promise<string> | undefined
  let fetches = 0

  const parse = (raw: string | undefined): Stored | undefined => {
    if (raw === undefined) return undefined
    try {
      const s = JSON.parse(raw) as Stored
      return typeof s.value === 'string' && typeof s.refreshAt === 'number' && typeof s.expiresAt === 'number' ? s : undefined
    } catch {
      return undefined
    }
  }

  async function resolve(rejected: string | undefined, signal: AbortSignal): Promise<string> {
    for (;;) {
      if (signal.aborted) throw new UpstreamError('timeout', 'Waiting for a shared token ran out of time.')
      const now = clock.now()
      const stored = parse(await o.store.get(o.key))
      const usable = stored !== undefined && stored.value !== rejected
      if (usable && now < stored.refreshAt) return (local = stored).value
      const holder = randomBytes(8).toString('hex')
      if (await o.store.setIfAbsent(leaseKey, holder, leaseMs)) {
        const renew = setInterval(() => void o.store.extendIf(leaseKey, holder, leaseMs).catch(() => undefined), leaseMs / 3)
        renew.unref?.()
        try {
          // Another instance may have written a new token between the read and the lease.
          const again = parse(await o.store.get(o.key))
          if (again !== undefined && again.value !== rejected && clock.now() < again.refreshAt) return (local = again).value
          fetches++
          const got = await o.fetch(signal)
          const at = clock.now()
          const margin = Math.min(o.marginMs ?? 5 * 60_000, got.ttlMs / 10)
          const fresh: Stored = { value: got.value, refreshAt: at + got.ttlMs - margin, expiresAt: at + got.ttlMs }
          await o.store.set(o.key, JSON.stringify(fresh), got.ttlMs)
          return (local = fresh).value
        } finally {
          clearInterval(renew)
          await o.store.deleteIf(leaseKey, holder).catch(() => undefined)
        }
      }
      // Someone else is refreshing: the token still in force serves meanwhile.
      if (usable && now < stored.expiresAt) return (local = stored).value
      await sleep(pollMs, signal)
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
      const shared = (inflight ??= resolve(rejected, AbortSignal.timeout(leaseMs + TOKEN_FETCH_TIMEOUT_MS)).finally(() => {
        inflight = undefined
      }))
      return within(shared, signal)
    },
    /** forgets the token everywhere (a revoked authorization) */
    async forget(): Promise<void> {
      local = undefined
      await o.store.set(o.key, '', 1)
    },
  }
}

function within<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new UpstreamError('timeout', 'Waiting for a shared token ran out of time.'))
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(new UpstreamError('timeout', 'Waiting for a shared token ran out of time.'))
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
