import { toOrderError } from '../errors/toOrderError'
import { UpstreamError } from '../errors/upstream'
import { assertFits, deliverLabels, type FailedDeliveries, type Labelled, ResultTooLargeError, saveAll, waybillBound } from '../label/deliver'
import type { BatchEvent, BatchItem, BatchOrderInput, OrderError, Result } from '../types'
import { normalizeOrder } from '../upstream/normalize'
import { toWireBatchRequest } from '../upstream/request'
import { answerBudgetChars, batchLabelCapChars, type Flow, resultBytes, storageFailure, upstreamError } from './flow'
import { limiter, yieldToLoop } from '../common/pool'
import { upstreamCall } from './upstreamCall'

/** WeChat's limit for one batchGetOrder call. */
export const BATCH_CHUNK = 100
/**
 * Memory is bounded by bytes, not by count, and by the worst answer, not the last one: the SDK
 * parses a whole answer before any label in it can be measured, so small labels first say nothing
 * of the next chunk. Every chunk, and every set of chunks in flight at once, is sized so that it
 * fits the answer budget if every label in it were as large as a batch item may be
 * (`batchMaxLabelChars`), or as the largest entry seen, if that is larger. The first chunk is one
 * order; chunks grow by this factor at most.
 */
export const FIRST_CHUNK = 1
export const CHUNK_GROWTH = 4
/** Orders normalised between two yields to the event loop, so the deadline timer can fire. */
const YIELD_EVERY = 20

/**
 * Orders are the same when orderId, deliveryId and waybillId all match, the carrier compared
 * without regard to case.
 */
export function orderKey(o: { orderId: string; deliveryId: string; waybillId?: string | undefined }): string {
  return `${o.orderId}\u0000${o.deliveryId.toUpperCase()}\u0000${o.waybillId ?? ''}`
}

/**
 * A batch inside the function's time and memory. Identical orders are read once. Chunks of at
 * most 100 go out `concurrency` at a time; once answers turn out large, later chunks shrink and
 * fewer run at once. Labels are stored as they are read (`'file'`, or `'text'` once inline labels
 * would pass the 1 MB limit), so memory holds a bounded share of them. When the deadline comes,
 * nothing already read is thrown away: only orders never read, or whose label storage did not
 * finish, fail, each with TIMEOUT naming its step.
 */
export async function readBatch(flow: Flow, event: BatchEvent): Promise<Result> {
  const mode = event.printHtmlAs ?? 'text'
  const unique = new Map<string, BatchOrderInput>()
  for (const o of event.orders) if (!unique.has(orderKey(o))) unique.set(orderKey(o), o)
  const pending = [...unique.values()]
  const items = new Map<string, BatchItem>()
  // The exact JSON size of large labels, counted by their decode, for choosing what to offload.
  const exactJson = new Map<Labelled, number>()
  const failedSaves: FailedDeliveries = new Map()
  const { queueSave, roomToRead, saved } = saveQueue(flow, failedSaves)
  const maxLabelChars = Math.min(batchLabelCapChars(flow.memoryMb), flow.batchMaxLabelChars)
  // What all the chunks in flight may hold in label text at once, at the worst each could be.
  const budgetChars = answerBudgetChars(flow.memoryMb)
  // Inline labels are kept while an estimate of the answer stays under the limit; past it they go to storage.
  let inlineBound = 64 * 1024
  let chunkSize = FIRST_CHUNK
  // The largest answer entry (its print_html, in characters) seen so far.
  let largest = 0
  let workers = 1
  let next = 0
  let calls = 0
  const chunkErrors: OrderError[] = []

  /** The next chunk's size, and how many run at once: grown at most CHUNK_GROWTH times, never past what the worst answer allows. */
  const resize = () => {
    const worst = Math.max(largest, maxLabelChars)
    chunkSize = Math.max(1, Math.min(BATCH_CHUNK, chunkSize * CHUNK_GROWTH, Math.floor(budgetChars / worst)))
    workers = Math.max(1, Math.min(flow.concurrency, Math.floor(budgetChars / (chunkSize * worst))))
  }

  const worker = async (index: number, growing = false) => {
    while (next < pending.length && index < workers && flow.budget.remaining() > 0) {
      await roomToRead()
      if (next >= pending.length || flow.budget.remaining() <= 0) return
      const chunk = pending.slice(next, next + chunkSize)
      next += chunk.length
      calls++
      let raw: unknown
      try {
        raw = await upstreamCall(flow.calls, (o) => flow.transport.batchGetOrder(toWireBatchRequest(chunk), o))
      } catch (err) {
        const error = upstreamError(flow, err)
        chunkErrors.push(error)
        for (const o of chunk) items.set(orderKey(o), itemFailure(o, error))
        continue
      }
      const answers = batchAnswers(raw)
      for (let i = 0; i < chunk.length; i++) {
        if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToLoop()
        const o = chunk[i]!
        const answer = answers?.take(o)
        if (answer === undefined) {
          const why = answers === undefined ? 'the batch answer has no order_list' : 'the batch answer has no entry for this order'
          items.set(orderKey(o), itemFailure(o, toOrderError(new UpstreamError('bad-json', `The upstream answer is unusable: ${why}.`))))
          continue
        }
        // The answer's own size counts, whatever the mode: it is in memory either way.
        const entry = encodedLength(answer)
        if (entry > largest) largest = entry
        const normalized = normalizeOrder(answer, o, { decodeLabel: mode !== 'none', maxLabelChars })
        if (!normalized.ok) {
          items.set(orderKey(o), itemFailure(o, toOrderError(normalized.error)))
          continue
        }
        const item: Labelled & BatchItem = { ok: true, order: normalized.order, warnings: normalized.warnings }
        items.set(orderKey(o), item)
        const html = item.order.printHtml
        if (html === null) continue
        // An estimate, not a bound: the exact measure at the end stores more if it falls short.
        const size = normalized.labelSize
        if (size?.jsonBytes !== undefined) exactJson.set(item, size.jsonBytes)
        const estimate = (size?.jsonBytes ?? Math.ceil((size?.utf8Bytes ?? Buffer.byteLength(html)) * 1.1)) + waybillBound(item) / 2
        const offload = mode === 'text' && inlineBound + estimate > flow.limitBytes
        if (mode === 'file' || offload) queueSave(item, offload)
        else inlineBound += estimate
      }
      // Chunks grow while the sizes seen allow, and shrink when a large answer turns up.
      const before = chunkSize
      resize()
      // The first worker reads alone while the chunk is still growing; then all of them go.
      if (growing && chunkSize <= before) return
    }
  }
  await worker(0, true)
  await Promise.all(Array.from({ length: Math.max(1, Math.min(flow.concurrency, pending.length)) }, (_, i) => worker(i)))
  flow.line.upstreamChunks = calls
  // Orders never asked for: the time ran out first.
  const unread = toOrderError(new UpstreamError('timeout', "The function's time ran out before this order was asked of WeChat."))
  for (const o of pending.slice(next)) items.set(orderKey(o), itemFailure(o, unread))
  if (chunkErrors.length > 0 && chunkErrors.length === calls && next === pending.length) {
    return { ok: false, error: chunkErrors[0]!, requestId: flow.requestId }
  }
  await saved()
  return assemble(flow, event, items, { mode, failedSaves, exactJson })
}

/** Each input position gets its own item, in input order; in text mode labels go to storage until the answer fits. */
async function assemble(flow: Flow, event: BatchEvent, items: Map<string, BatchItem>, labels: { mode: string; failedSaves: FailedDeliveries; exactJson: Map<Labelled, number> }): Promise<Result> {
  const { failedSaves, exactJson } = labels
  const positions = event.orders.map((o) => ({ o, item: items.get(orderKey(o))! }))
  const result = { ok: true as const, orders: [] as BatchItem[], warnings: [], requestId: flow.requestId }
  const labelled = [...new Set(positions.map((p) => p.item))].filter((i): i is Labelled & BatchItem => i.ok && !failedSaves.has(i as Labelled))
  const build = () => {
    result.orders = positions.map(({ o, item }) => {
      const failure = failedSaves.get(item as Labelled)
      if (failure !== undefined) return itemFailure(o, storageFailure(failure))
      return item.ok ? { ok: true, order: { ...item.order }, warnings: [...item.warnings] } : { ...item, orderId: o.orderId, deliveryId: o.deliveryId }
    })
    return resultBytes(result)
  }
  if (labels.mode === 'text') {
    const failed = await deliverLabels(labelled, 'text', { save: flow.save, measure: build, limitBytes: flow.limitBytes, concurrency: flow.storageConcurrency, exactJson: (i) => exactJson.get(i) })
    for (const [item, err] of failed) failedSaves.set(item, err)
  }
  build()
  try {
    assertFits(undefined, () => resultBytes(result), flow.limitBytes)
  } catch (err) {
    if (err instanceof ResultTooLargeError) return { ok: false, error: storageFailure(err), requestId: flow.requestId }
    throw err
  }
  return result
}

/**
 * Labels stored as they are read, `storageConcurrency` at a time. Backpressure: labels waiting for
 * storage hold memory, so reading pauses while a sixteenth of it waits. A waiting label holds its
 * text, two bytes a character at most.
 */
function saveQueue(flow: Flow, failedSaves: FailedDeliveries) {
  const saving: Promise<void>[] = []
  const store = limiter(flow.storageConcurrency)
  const waitingLimit = (flow.memoryMb * 1024 * 1024) / 16
  let waiting = 0
  const waiters: (() => void)[] = []
  return {
    queueSave(item: Labelled, offloaded: boolean) {
      const size = 2 * item.order.printHtml!.length
      waiting += size
      saving.push(
        store(() => saveAll([item], flow.save, 1, failedSaves, offloaded)).finally(() => {
          waiting -= size
          // Every waiting reader re-checks; one that still finds no room waits again.
          for (const wake of waiters.splice(0)) wake()
        }),
      )
    },
    async roomToRead() {
      while (waiting > waitingLimit && flow.budget.remaining() > 0) await new Promise<void>((r) => waiters.push(r))
    },
    saved: () => Promise.all(saving),
  }
}

function encodedLength(answer: unknown): number {
  const a = answer as { print_html?: unknown; printHtml?: unknown }
  const v = a.print_html ?? a.printHtml
  return typeof v === 'string' ? v.length : 0
}

function itemFailure(o: BatchOrderInput, error: OrderError): BatchItem {
  return { ok: false, orderId: o.orderId, deliveryId: o.deliveryId, error }
}

/**
 * order_list entries, matched back to inputs by orderId, deliveryId (without regard to case) and
 * waybillId: an input without a waybillId takes any entry of its order. Each entry serves one order.
 */
function batchAnswers(raw: unknown): { take(o: BatchOrderInput): unknown } | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined
  const r = raw as Record<string, unknown>
  const list = Object.prototype.hasOwnProperty.call(r, 'order_list') ? r.order_list : r.orderList
  if (!Array.isArray(list)) return undefined
  const byOrder = new Map<string, { waybillId: string | undefined; entry: unknown }[]>()
  for (const entry of list) {
    if (typeof entry !== 'object' || entry === null) continue
    const e = entry as Record<string, unknown>
    const id = e.order_id ?? e.orderId
    const delivery = e.delivery_id ?? e.deliveryId
    if (id === undefined || delivery === undefined) continue
    const waybill = e.waybill_id ?? e.waybillId
    const key = `${String(id)}\u0000${String(delivery).toUpperCase()}`
    const at = byOrder.get(key) ?? []
    at.push({ waybillId: waybill === undefined || waybill === null || waybill === '' ? undefined : String(waybill), entry })
    byOrder.set(key, at)
  }
  return {
    take(o) {
      const candidates = byOrder.get(`${o.orderId}\u0000${o.deliveryId.toUpperCase()}`)
      if (!candidates) return undefined
      const i = candidates.findIndex((c) => o.waybillId === undefined || c.waybillId === undefined || c.waybillId === o.waybillId)
      if (i < 0) return undefined
      return candidates.splice(i, 1)[0]!.entry
    },
  }
}
