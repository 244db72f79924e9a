import { randomUUID } from 'crypto'
import { type CallerIdentity, describeSource, isCrossAccount, toIdentity } from '../access/identity'
import { budgetFor, type Clock, systemClock } from '../clock/budget'
import { build, internalError, toOrderError } from '../errors/toOrderError'
import { UpstreamError } from '../errors/upstream'
import type { TimerEvent } from '../event/timer'
import type { LabelStorage } from '../label/store'
import { type Logger, type LogRecord, silentLogger } from '../log/logger'
import { maskOpenid } from '../log/mask'
import type { InvocationContext, PurgeResult } from '../types'
import { contextRequestId } from './handler'

export interface PurgeDeps {
  storage?: LabelStorage
  caller: (context?: InvocationContext) => CallerIdentity | string | undefined
  logger?: Logger
  clock?: Clock
}

/**
 * The hourly purge of expired labels, run by the function's own timer trigger. A timer-shaped
 * event is served only when the platform says a timer sent it: the source chain is exactly
 * `wx_trigger`, or TRIGGER_SRC is `timer` with no source named; with no OPENID and no
 * cross-account caller. The purge is idempotent and safe to
 * run twice at once: deleting a deleted file or record changes nothing.
 */
export function createPurgeHandler(deps: PurgeDeps) {
  const clock = deps.clock ?? systemClock
  const logger = deps.logger ?? silentLogger
  return async function purge(event: TimerEvent, context?: InvocationContext): Promise<PurgeResult> {
    const requestId = contextRequestId(context) ?? randomUUID()
    const budget = budgetFor(context, clock)
    const identity = toIdentity(deps.caller(context))
    const line: LogRecord = { msg: 'purgeLabels', requestId, trigger: event.TriggerName.slice(0, 60), source: describeSource(identity), caller: maskOpenid(identity.openid) }
    if (identity.triggerSrc !== undefined) line.triggerSrc = identity.triggerSrc.slice(0, 20)
    let result: PurgeResult
    try {
      result = await run()
    } catch (err) {
      logger.error({ msg: 'purgeLabels internal error', requestId, stack: err instanceof Error ? err.stack : String(err) })
      result = { ok: false, error: internalError(), requestId }
    }
    line.outcome = result.ok ? 'ok' : 'error'
    if (result.ok) Object.assign(line, result.purge)
    else {
      line.code = result.error.code
      // A timer-shaped event refused says why, so a purge that never runs is visible in the logs.
      line.why = result.error.message
    }
    line.ms = clock.now() - budget.startedAt
    logger.info(line)
    return result

    async function run(): Promise<PurgeResult> {
      // The platform's two timer marks: the source chain exactly wx_trigger, or TRIGGER_SRC=timer
      // with no other source named. Neither comes from the event; the event's shape proves nothing.
      const onlyTrigger = identity.source.length === 1 && identity.source[0] === 'wx_trigger'
      const fromTimer = identity.openid === undefined && !identity.sourceMalformed && !isCrossAccount(identity) && (onlyTrigger || (identity.triggerSrc === 'timer' && identity.source.length === 0))
      line.role = fromTimer ? 'timer' : identity.openid !== undefined ? 'user' : 'anonymous'
      if (!fromTimer) {
        return {
          ok: false,
          requestId,
          error: build(
            'PERMISSION_DENIED',
            `A timer event is served only when the platform's timer sends it (source wx_trigger, or TRIGGER_SRC=timer); this one came through ${describeSource(identity)}${identity.triggerSrc !== undefined ? ` with TRIGGER_SRC ${identity.triggerSrc.slice(0, 20)}` : ''}.`,
            'The function purges expired labels on its own trigger; there is nothing to call.',
          ),
        }
      }
      if (deps.storage === undefined) return { ok: true, purge: { deleted: 0, failed: 0, stuck: 0, more: false }, requestId }
      try {
        return { ok: true, purge: await deps.storage.purge(budget.deadline), requestId }
      } catch (err) {
        if (err instanceof UpstreamError) return { ok: false, error: toOrderError(err), requestId }
        throw err
      }
    }
  }
}
