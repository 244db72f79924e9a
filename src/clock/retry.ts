import type { Budget, Clock } from './budget'

export interface RetryPolicy {
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 800 }

/** Full-jitter exponential backoff: a random delay in [0, min(max, base·2^attempt)). */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt)
  return Math.floor(random() * cap)
}

/**
 * Runs `attempt` until it succeeds, fails for good, or the budget cannot fit another try.
 * `retryable` says which failures are worth another call. Each attempt is given the budget.
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  opts: {
    retryable: (err: unknown) => boolean
    budget: Budget
    clock: Clock
    random: () => number
    policy?: RetryPolicy
    onAttempt?: (n: number) => void
  },
): Promise<T> {
  const policy = opts.policy ?? DEFAULT_RETRY
  for (let n = 0; ; n++) {
    opts.onAttempt?.(n + 1)
    try {
      return await attempt(n)
    } catch (err) {
      if (!opts.retryable(err) || n + 1 >= policy.maxAttempts) throw err
      const delay = backoffDelay(n, policy, opts.random)
      // Another try needs time to wait and then time to be answered; without both, stop now.
      if (opts.budget.remaining() <= delay + policy.baseDelayMs) throw err
      await opts.clock.sleep(delay)
    }
  }
}
