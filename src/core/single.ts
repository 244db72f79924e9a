import { toOrderError } from '../errors/toOrderError'
import { assertFits, deliverLabels, fitsByBound, ResultTooLargeError } from '../label/deliver'
import type { OrderError, Result, SingleEvent } from '../types'
import { normalizeOrder } from '../upstream/normalize'
import { toWireRequest } from '../upstream/request'
import { type Flow, labelCapChars, singleResultBytes, storageFailure, upstreamError } from './flow'
import { upstreamCall } from './upstreamCall'

/** One order: read it, decode its label, deliver the label as asked, and make sure the answer fits. */
export async function readSingle(flow: Flow, event: SingleEvent, openid: string | undefined): Promise<Result> {
  const fail = (error: OrderError): Result => ({ ok: false, error, requestId: flow.requestId })
  const mode = event.printHtmlAs ?? 'text'
  let raw: unknown
  try {
    raw = await upstreamCall(flow.calls, (o) => flow.transport.getOrder(toWireRequest(event, openid), o))
  } catch (err) {
    return fail(upstreamError(flow, err))
  }
  const normalized = normalizeOrder(raw, event, { decodeLabel: mode !== 'none', maxLabelChars: labelCapChars(flow.memoryMb) })
  if (!normalized.ok) return fail(toOrderError(normalized.error))
  const result = { ok: true as const, order: normalized.order, warnings: normalized.warnings, requestId: flow.requestId }
  const size = normalized.labelSize
  // The common case: a label inline whose answer provably fits. Nothing to store or measure.
  if (mode !== 'file' && fitsByBound(result, flow.limitBytes, size)) return result
  const measure = () => singleResultBytes(result, size)
  // Past the bound above, so deliverLabels has no bound to try: it measures.
  const failed = await deliverLabels([result], mode, { save: flow.save, measure, limitBytes: flow.limitBytes, concurrency: flow.storageConcurrency, exactJson: () => size?.jsonBytes })
  const [firstFailure] = failed.values()
  if (failed.size > 0) return fail(storageFailure(firstFailure))
  try {
    assertFits(result, measure, flow.limitBytes, size)
  } catch (err) {
    if (err instanceof ResultTooLargeError) return fail(storageFailure(err))
    throw err
  }
  return result
}
