import { randomUUID } from 'crypto'
import { type CallerIdentity, describeSource, toIdentity } from '../access/identity'
import { type AccessConfigResult, decideAccess } from '../access/policy'
import { budgetFor, type Clock, systemClock, untilCleanup } from '../clock/budget'
import type { RetryPolicy } from '../clock/retry'
import { validateEvent } from '../event/validate'
import { build, internalError, toOrderError } from '../errors/toOrderError'
import { UpstreamError } from '../errors/upstream'
import { deliverLabels, type Labelled, NoStorageError, ResultTooLargeError, type SaveLabel } from '../label/deliver'
import { type LabelSession, type LabelStorage, ownerKey } from '../label/store'
import { type Logger, type LogRecord, silentLogger } from '../log/logger'
import { maskOpenid } from '../log/mask'
import type { Transport } from '../transport/types'
import type {
  BatchEvent,
  BatchItem,
  BatchOrderInput,
  Failure,
  InvocationContext,
  OrderError,
  Result,
  SingleEvent,
} from '../types'
import { normalizeOrder } from '../upstream/normalize'
import { toWireBatchRequest, toWireRequest } from '../upstream/request'
import { callBefore } from './deadline'
import { mapPool } from './pool'
import { type CallContext, upstreamCall } from './upstreamCall'

/** WeChat's limit for one batchGetOrder call. */
export const BATCH_CHUNK = 100
export const DEFAULT_BATCH_CONCURRENCY = 3

export interface GetOrderDeps {
  transport: Transport
  /**
   * Who is calling, as the platform vouches for it: a `CallerIdentity` (from `callerIdentity(
   * cloud.getWXContext())`), or just an OPENID, or undefined for no caller at all.
   */
  caller: () => CallerIdentity | string | undefined
  /** the access rules' settings, read per invocation */
  access: () => AccessConfigResult
  storage?: LabelStorage
  logger?: Logger
  clock?: Clock
  random?: () => number
  retry?: RetryPolicy
  batchConcurrency?: number
  /**
   * Largest result, in bytes, before labels are offloaded to storage. Default: just under the
   * 1 MB callFunction limit. A Node server that returns results over its own channel can pass
   * `Infinity`.
   */
  resultLimitBytes?: number
}

export type GetOrderHandler = (event: unknown, context?: InvocationContext) => Promise<Result>

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
      // Nothing is stored that the answer does not point to: a failed answer points to nothing.
      if (!result.ok) await rollback(session)
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
      const valid = validateEvent(event)
      if (!valid.ok) return fail(valid.error)

      const identity = toIdentity(deps.caller())
      line.caller = maskOpenid(identity.openid)
      line.source = describeSource(identity)
      if (identity.fromOpenid !== undefined) line.fromOpenid = maskOpenid(identity.fromOpenid)
      if (identity.fromAppid !== undefined) line.fromAppid = identity.fromAppid
      const settings = deps.access()
      if (!settings.ok) return fail(settings.error)
      const decision = decideAccess(
        identity,
        { ...(valid.kind === 'single' && valid.event.openid !== undefined ? { openid: valid.event.openid } : {}), batch: valid.kind === 'batch' },
        settings.config,
      )
      line.role = decision.role
      if (!decision.ok) return fail(decision.error)
      session = deps.storage?.session(ownerKey({ ...(identity.openid !== undefined ? { openid: identity.openid } : {}), role: decision.role }))

      const calls: CallContext = { budget, clock, random, attempts, ...(deps.retry ? { retry: deps.retry } : {}) }
      if (valid.kind === 'single') {
        line.mode = 'single'
        line.orderId = valid.event.orderId
        line.deliveryId = valid.event.deliveryId
        return single(valid.event, decision.openid, calls)
      }
      line.mode = 'batch'
      line.orders = valid.event.orders.length
      return batch(valid.event, calls)
    }

    async function single(event: SingleEvent, openid: string | undefined, calls: CallContext): Promise<Result> {
      const mode = event.printHtmlAs ?? 'text'
      let raw: unknown
      try {
        raw = await upstreamCall(calls, (o) => deps.transport.getOrder(toWireRequest(event, openid), o))
      } catch (err) {
        return { ok: false, error: upstreamError(err), requestId }
      }
      const normalized = normalizeOrder(raw, event, { decodeLabel: mode !== 'none' })
      if (!normalized.ok) return { ok: false, error: toOrderError(normalized.error), requestId }
      const result = { ok: true as const, order: normalized.order, warnings: normalized.warnings, requestId }
      try {
        await deliver([result], mode, () => resultBytes(result))
      } catch (err) {
        return { ok: false, error: storageFailure(err), requestId }
      }
      return result
    }

    async function batch(event: BatchEvent, calls: CallContext): Promise<Result> {
      const mode = event.printHtmlAs ?? 'text'
      // Identical orders are fetched once; every input position still gets its own item.
      const keyOf = (o: BatchOrderInput) => `${o.orderId}\u0000${o.deliveryId}\u0000${o.waybillId ?? ''}`
      const unique = new Map<string, BatchOrderInput>()
      for (const o of event.orders) if (!unique.has(keyOf(o))) unique.set(keyOf(o), o)
      const uniqueOrders = [...unique.values()]
      const chunks: BatchOrderInput[][] = []
      for (let i = 0; i < uniqueOrders.length; i += BATCH_CHUNK) chunks.push(uniqueOrders.slice(i, i + BATCH_CHUNK))
      line.upstreamChunks = chunks.length

      const byKey = new Map<string, BatchItem>()
      const chunkErrors: OrderError[] = []
      await mapPool(chunks, concurrency, async (chunk) => {
        let raw: unknown
        try {
          raw = await upstreamCall(calls, (o) => deps.transport.batchGetOrder(toWireBatchRequest(chunk), o))
        } catch (err) {
          const error = upstreamError(err)
          chunkErrors.push(error)
          for (const o of chunk) byKey.set(keyOf(o), itemFailure(o, error))
          return
        }
        const answers = batchAnswers(raw)
        for (const o of chunk) {
          const answer = answers?.get(`${o.orderId}\u0000${o.deliveryId}`)
          if (answer === undefined) {
            const why = answers === undefined ? 'the batch answer has no order_list' : 'the batch answer has no entry for this order'
            byKey.set(keyOf(o), itemFailure(o, toOrderError(new UpstreamError('bad-json', `The upstream answer is unusable: ${why}.`))))
            continue
          }
          const normalized = normalizeOrder(answer, o, { decodeLabel: mode !== 'none' })
          byKey.set(
            keyOf(o),
            normalized.ok
              ? { ok: true, order: normalized.order, warnings: normalized.warnings }
              : itemFailure(o, toOrderError(normalized.error)),
          )
        }
      })
      if (chunkErrors.length === chunks.length) return { ok: false, error: chunkErrors[0]!, requestId }

      // Each input position gets its own copy, so offloading one label never touches another.
      const items: BatchItem[] = event.orders.map((o) => {
        const item = byKey.get(keyOf(o))!
        return item.ok ? { ok: true, order: { ...item.order }, warnings: [...item.warnings] } : { ...item, orderId: o.orderId, deliveryId: o.deliveryId }
      })
      const result = { ok: true as const, orders: items, warnings: [], requestId }
      const labelled = items.filter((i): i is Extract<BatchItem, { ok: true }> => i.ok)
      try {
        await deliver(labelled, mode, () => resultBytes(result))
      } catch (err) {
        return { ok: false, error: storageFailure(err), requestId }
      }
      return result
    }

    function deliver(items: Labelled[], mode: 'text' | 'file' | 'none', measure: () => number) {
      const labels = session
      // Storage is upstream too: each save runs under the invocation's deadline.
      const save: SaveLabel | undefined = labels && ((html) => callBefore(budget, () => labels.save(html), 'storage'))
      return deliverLabels(items, mode, { save, measure, ...(deps.resultLimitBytes !== undefined ? { limitBytes: deps.resultLimitBytes } : {}) })
    }

    async function rollback(labels: LabelSession) {
      try {
        const done = await callBefore(untilCleanup(budget, clock), () => labels.rollback(), 'storage')
        line.labelsDeleted = done.deleted
        line.labelsLeft = done.left
      } catch {
        // Recorded before they were written: the purge deletes them when they expire.
        line.labelsLeft = labels.stored
      }
    }

    function upstreamError(err: unknown): OrderError {
      if (err instanceof UpstreamError) {
        line.upstreamKind = err.kind
        return toOrderError(err)
      }
      throw err
    }

    function storageFailure(err: unknown): OrderError {
      if (err instanceof ResultTooLargeError) {
        return build('RESULT_TOO_LARGE', err.message, 'Ask for fewer orders at a time (the waybill data alone is too large), or printHtmlAs "none".')
      }
      if (err instanceof NoStorageError) {
        return build('CONFIG_ERROR', err.message, 'Pass a LabelStorage to the handler, or ask for printHtmlAs "text" or "none".')
      }
      if (err instanceof UpstreamError) {
        const error = toOrderError(err)
        error.hint =
          err.kind === 'timeout'
            ? 'Storing the labels took longer than the function may run: ask for fewer orders, or printHtmlAs "none", or give the function a longer timeout.'
            : 'Check that cloud storage and the database are enabled for the environment, and that the function may write under waybills/.'
        return error
      }
      throw err
    }
  }

  function itemFailure(o: BatchOrderInput, error: OrderError): BatchItem {
    return { ok: false, orderId: o.orderId, deliveryId: o.deliveryId, error }
  }
}

/** The platform's request id for this invocation (`context.request_id`), if it gave one. */
export function contextRequestId(context: InvocationContext | undefined): string | undefined {
  return typeof context?.request_id === 'string' && context.request_id !== '' ? context.request_id : undefined
}

/** order_list entries keyed by order_id and delivery_id; undefined when there is no list. */
function batchAnswers(raw: unknown): Map<string, unknown> | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined
  const r = raw as Record<string, unknown>
  const list = Object.prototype.hasOwnProperty.call(r, 'order_list') ? r.order_list : r.orderList
  if (!Array.isArray(list)) return undefined
  const map = new Map<string, unknown>()
  for (const entry of list) {
    if (typeof entry !== 'object' || entry === null) continue
    const e = entry as Record<string, unknown>
    const id = e.order_id ?? e.orderId
    const delivery = e.delivery_id ?? e.deliveryId
    if (id === undefined || delivery === undefined) continue
    const key = `${String(id)}\u0000${String(delivery)}`
    if (!map.has(key)) map.set(key, entry)
  }
  return map
}

function resultBytes(result: object): number {
  return Buffer.byteLength(JSON.stringify(result), 'utf8')
}

