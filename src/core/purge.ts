import { randomUUID } from 'crypto'
import { type CallerIdentity, describeSource, isCrossAccount, toIdentity } from '../access/identity'
import { budgetFor, type Clock, systemClock, untilCleanup } from '../clock/budget'
import { build, internalError, toOrderError } from '../errors/toOrderError'
import { UpstreamError } from '../errors/upstream'
import type { TimerEvent } from '../event/timer'
import type { LabelStorage } from '../label/store'
import { type Logger, type LogRecord, silentLogger } from '../log/logger'
import { maskOpenid } from '../log/mask'
import type { InvocationContext, PurgeNote, PurgeResult } from '../types'
import { callBefore } from './deadline'
import { contextRequestId } from './handler'

export interface PurgeDeps {
  storage?: LabelStorage
  caller: (context?: InvocationContext) => CallerIdentity | string | undefined
  logger?: Logger
  clock?: Clock
}

/**
 * The hourly purge of expired labels, run by the function's own timer trigger. Which marker a
 * CLI-created timer sets is documented nowhere, and a purge that never runs keeps personal data,
 * so a timer-shaped event runs for any call without an OPENID, whatever the source chain says: it
 * only deletes what has expired. A client's (an OPENID, or another account's FROM_OPENID) is
 * refused. The purge is idempotent and safe to run twice at once. Every run, and every refusal, is
 * recorded where the doctor reads it (its "last purge" row).
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
    await note(result)
    line.ms = clock.now() - budget.startedAt
    logger.info(line)
    return result

    /** The outcome kept for the doctor; bounded by the invocation's time, and never what fails it. */
    async function note(r: PurgeResult): Promise<void> {
      if (deps.storage === undefined) return
      const at = clock.now()
      const outcome: PurgeNote = r.ok ? { at, outcome: 'ran', ...r.purge } : { at, outcome: r.error.code === 'PERMISSION_DENIED' ? 'refused' : 'failed', why: r.error.message }
      try {
        await callBefore(untilCleanup(budget, clock), () => deps.storage!.notePurge(outcome), 'storage')
        line.noted = true
      } catch {
        line.noted = false
      }
    }

    async function run(): Promise<PurgeResult> {
      // A client is the one caller refused: the event's shape proves nothing, and the purge deletes
      // only what has expired, so any call without a user's identity may run it.
      const client = identity.openid !== undefined || isCrossAccount(identity)
      line.role = client ? (identity.openid !== undefined ? 'user' : 'cross-account') : 'timer'
      if (client) {
        return {
          ok: false,
          requestId,
          error: build(
            'PERMISSION_DENIED',
            `A timer event from a client is refused: it came with ${identity.openid !== undefined ? 'an OPENID' : "another account's FROM_OPENID or FROM_APPID"} through ${describeSource(identity)}.`,
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
