import type { Budget, Clock } from '../clock/budget'
import { type RetryPolicy, withRetries } from '../clock/retry'
import { toOrderError } from '../errors/toOrderError'
import { UpstreamError } from '../errors/upstream'
import type { CallOptions } from '../transport/types'
import { errcodeOf } from '../upstream/normalize'
import { callBefore } from './deadline'

export interface CallContext {
  budget: Budget
  clock: Clock
  random: () => number
  retry?: RetryPolicy
  /** counts upstream attempts, for the log line */
  attempts: { count: number }
}

/**
 * One logical upstream call: each attempt under the deadline, the body's errcode checked before
 * anything else, retryable failures tried again while the budget allows.
 */
export function upstreamCall(ctx: CallContext, call: (options: CallOptions) => Promise<unknown>): Promise<unknown> {
  return withRetries(
    async () => {
      const raw = await callBefore(ctx.budget, call)
      const failed = errcodeOf(raw)
      if (failed) throw failed
      return raw
    },
    {
      budget: ctx.budget,
      clock: ctx.clock,
      random: ctx.random,
      ...(ctx.retry ? { policy: ctx.retry } : {}),
      onAttempt: () => ctx.attempts.count++,
      retryable: (err) => err instanceof UpstreamError && err.kind !== 'timeout' && toOrderError(err).retryable,
    },
  )
}
