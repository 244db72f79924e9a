import { randomUUID } from 'crypto'
import { type Budget, budgetFor, type Clock, systemClock, untilCleanup } from '../clock/budget'
import { build, internalError } from '../errors/toOrderError'
import { RESULT_LIMIT_BYTES, STORAGE_CONCURRENCY } from '../label/deliver'
import type { LabelSession } from '../label/store'
import { type LogRecord, silentLogger } from '../log/logger'
import type { Failure, InvocationContext, OrderError, Result } from '../types'
import { admit } from './admit'
import { readBatch } from './batch'
import { callBefore } from './deadline'
import { DEFAULT_BATCH_MAX_LABEL_CHARS, type Flow, memoryMbOf } from './flow'
import { readSingle } from './single'
import type { CallContext } from './upstreamCall'

export { BATCH_CHUNK } from './batch'
export const DEFAULT_BATCH_CONCURRENCY = 3

import type { GetOrderDeps, GetOrderHandler } from './deps'

export type { GetOrderDeps, GetOrderHandler }

/**
 * Builds the getOrder handler around a transport. It answers every event with a `Result` and
 * never throws; it logs exactly one line per invocation.
 *
 * @example
 * const handler = createGetOrderHandler({
 *   transport: httpsTransport({ tokens: stableTokenProvider({ appid, secret }) }),
 *   caller: () => undefined,
 *   access: trustServerCallers,
 * })
 * const result = await handler({ orderId: '01234567890123456789', deliveryId: 'SF' })
 */
export function createGetOrderHandler(deps: GetOrderDeps): GetOrderHandler {
  const clock = deps.clock ?? systemClock
  const random = deps.random ?? Math.random
  const logger = deps.logger ?? silentLogger
  const concurrency = Math.max(1, deps.batchConcurrency ?? DEFAULT_BATCH_CONCURRENCY)

  return async function getOrder(event, context) {
    const requestId = contextRequestId(context) ?? randomUUID()
    const budget = budgetFor(context, clock)
    const attempts = { count: 0 }
    const line: LogRecord = { msg: 'getOrder', requestId, transport: deps.transport.name }
    let session: LabelSession | undefined
    let result: Result
    try {
      result = await run()
    } catch (err) {
      logger.error({ msg: 'getOrder internal error', requestId, stack: err instanceof Error ? err.stack : String(err) })
      result = { ok: false, error: internalError(), requestId }
    }
    if (session !== undefined && session.stored > 0) {
      line.labelsStored = session.stored
      // Nothing is stored that the answer does not point to: a failed answer points to nothing,
      // and a batch item whose storage did not finish points to nothing either.
      await settle(session, pointedTo(result), budget, clock, line)
    }
    line.outcome = result.ok ? 'ok' : 'error'
    if (!result.ok) {
      line.code = result.error.code
      line.wxErrCode = result.error.wxErrCode
      line.field = result.error.field
    } else {
      const warnings = 'order' in result ? result.warnings : result.orders.flatMap((o) => (o.ok ? o.warnings : []))
      if (warnings.length) line.warnings = [...new Set(warnings.map((w) => w.code))].join(',')
      if ('orders' in result) line.failedItems = result.orders.filter((o) => !o.ok).length
    }
    line.attempts = attempts.count
    line.ms = clock.now() - budget.startedAt
    logger.info(line)
    return result

    async function run(): Promise<Result> {
      const fail = (error: OrderError): Failure => ({ ok: false, error, requestId })
      const admitted = await admit(deps, event, context, { budget, line })
      if (!admitted.ok) return fail(admitted.error)
      const { valid, decision, authorizer, identity } = admitted
      const storage = deps.storage
      const role = decision.role
      // Opened at the first label stored: most answers store nothing, and the owner is a keyed hash.
      const labels = () => (session ??= storage!.session(identity.openid !== undefined ? { openid: identity.openid, role } : { role }))

      const calls: CallContext = { budget, clock, random, attempts }
      if (deps.retry) calls.retry = deps.retry
      let transport = deps.transport
      if (authorizer !== undefined) transport = deps.component!.transportFor(authorizer)
      if (decision.role === 'cross-account') {
        line.actAs = decision.actAs
        if (!deps.crossAccount) {
          return fail(
            build(
              'PERMISSION_DENIED',
              'A cross-account caller reads as its own account, which only the cloud call can do.',
              'Serve cross-account callers with WX_TRANSPORT=cloud (the default), or remove the AppID from TRUSTED_FROM_APPIDS.',
            ),
          )
        }
        transport = deps.crossAccount(decision.actAs)
      }
      const flow: Flow = {
        transport,
        requestId,
        budget,
        calls,
        line,
        // Storage is upstream too: each save runs under the invocation's deadline.
        save: storage && ((html) => callBefore(budget, () => labels().save(html), 'storage')),
        limitBytes: deps.resultLimitBytes ?? RESULT_LIMIT_BYTES,
        concurrency,
        storageConcurrency: Math.max(1, deps.storageConcurrency ?? STORAGE_CONCURRENCY),
        batchMaxLabelChars: Math.max(1024, deps.batchMaxLabelChars ?? DEFAULT_BATCH_MAX_LABEL_CHARS),
        memoryMb: memoryMbOf(context),
      }
      if (valid.kind === 'single') {
        line.mode = 'single'
        line.orderId = valid.event.orderId
        line.deliveryId = valid.event.deliveryId
        return readSingle(flow, valid.event, decision.openid)
      }
      line.mode = 'batch'
      line.orders = valid.event.orders.length
      return readBatch(flow, valid.event)
    }
  }
}

/** Closes the invocation's label session: what the answer points to is kept, the rest deleted, before the cleanup deadline. */
async function settle(labels: LabelSession, keep: ReadonlySet<string>, budget: Budget, clock: Clock, line: LogRecord): Promise<void> {
  try {
    const done = await callBefore(untilCleanup(budget, clock), () => labels.settle(keep), 'storage')
    if (done.deleted + done.left > 0) {
      line.labelsDeleted = done.deleted
      line.labelsLeft = done.left
    }
  } catch {
    // Recorded before they were written: the purge deletes them when they expire.
    line.labelsLeft = labels.stored
  }
}

/** The stored files an answer points to: none for a failure. */
function pointedTo(result: Result): Set<string> {
  const keep = new Set<string>()
  if (!result.ok) return keep
  const orders = 'order' in result ? [result.order] : result.orders.flatMap((i) => (i.ok ? [i.order] : []))
  for (const o of orders) if (o.printHtmlFile) keep.add(o.printHtmlFile.fileID)
  return keep
}

/** The platform's request id for this invocation (`context.request_id`), if it gave one. */
export function contextRequestId(context: InvocationContext | undefined): string | undefined {
  return typeof context?.request_id === 'string' && context.request_id !== '' ? context.request_id : undefined
}
