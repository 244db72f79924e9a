/** The platform's default timeout for functions created from devtools (docs/contract.md §9). */
export const DEFAULT_TIME_LIMIT_MS = 3000

export interface Clock {
  now(): number
  /** resolves after `ms`, or at once when `signal` aborts */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve()
      const t = setTimeout(done, Math.max(0, ms))
      function done() {
        clearTimeout(t)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      signal?.addEventListener('abort', done, { once: true })
    }),
}

/**
 * Time left for our own work: what the platform allows (`time_limit_in_ms`) minus a margin to
 * answer and log before it kills the function.
 */
export interface Budget {
  readonly startedAt: number
  readonly deadline: number
  /**
   * The last moment for cleanup after a failure (deleting what was stored): inside the margin,
   * just before the platform's own limit.
   */
  readonly cleanupDeadline: number
  remaining(): number
}

export function budgetFor(context: { time_limit_in_ms?: unknown } | undefined, clock: Clock): Budget {
  const limit = timeLimitMs(context)
  const startedAt = clock.now()
  const margin = marginFor(limit)
  const deadline = startedAt + limit - margin
  return { startedAt, deadline, cleanupDeadline: startedAt + limit - Math.round(margin / 3), remaining: () => Math.max(0, deadline - clock.now()) }
}

/** The same clock with a later deadline: for cleanup that may use part of the margin. */
export function untilCleanup(budget: Budget, clock: Clock): Budget {
  const deadline = budget.cleanupDeadline
  return { ...budget, deadline, remaining: () => Math.max(0, deadline - clock.now()) }
}

/** 10% of the limit, at least 100 ms and at most 500 ms: 300 ms of the default 3 s. */
export function marginFor(limitMs: number): number {
  return Math.min(500, Math.max(100, Math.round(limitMs * 0.1)))
}

/**
 * The platform's time limit for this invocation. SCF passes `time_limit_in_ms` as a number of
 * milliseconds; the CloudBase CLI's local runtime passes its timeout in seconds, as a string
 * ("3"), so a numeric string under 1000 is read as seconds.
 */
export function timeLimitMs(context: { time_limit_in_ms?: unknown } | undefined): number {
  const raw = context?.time_limit_in_ms
  if (typeof raw === 'number' && Number.isFinite(raw) && raw > 0) return raw
  if (typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw)) {
    const n = Number(raw)
    if (n > 0) return n < 1000 ? n * 1000 : n
  }
  return DEFAULT_TIME_LIMIT_MS
}
