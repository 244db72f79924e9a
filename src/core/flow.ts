import type { Budget } from '../clock/budget'
import { build, toOrderError } from '../errors/toOrderError'
import { UpstreamError } from '../errors/upstream'
import type { LabelSize } from '../decode/decode'
import { NoStorageError, ResultTooLargeError, type SaveLabel } from '../label/deliver'
import type { LogRecord } from '../log/logger'
import type { Transport } from '../transport/types'
import type { Order, OrderError } from '../types'
import type { CallContext } from './upstreamCall'

/** What one invocation's flow (single or batch) works with. */
export interface Flow {
  transport: Transport
  requestId: string
  budget: Budget
  calls: CallContext
  line: LogRecord
  /** stores a label under the invocation's deadline; undefined when there is no storage */
  save: SaveLabel | undefined
  limitBytes: number
  /** batchGetOrder calls in flight at most */
  concurrency: number
  /** label uploads in flight at most (`STORAGE_CONCURRENCY`) */
  storageConcurrency: number
  /** the function's memory, from the platform (`memory_limit_in_mb`) */
  memoryMb: number
  /** the largest label (base64 characters) a batch item may carry; chunks are sized as if every label were this large */
  batchMaxLabelChars: number
}

/** BATCH_MAX_LABEL_KB's default: 5120 KB of base64, a label of 3.75 MB. */
export const DEFAULT_BATCH_MAX_LABEL_CHARS = 5120 * 1024

/**
 * What the answers in flight may hold, in label characters, whatever sizes they turn out to have:
 * a twenty-fourth of the memory. Measured with the committed bundle under a 256 MB heap: 21 small
 * labels then 64 of 3 MB, two in flight at a time, peak 213 MB; three at a time, 270 MB.
 */
export function answerBudgetChars(memoryMb: number): number {
  return Math.floor((memoryMb * 1024 * 1024) / 24)
}

/** The platform's memory default for this function (cloudbaserc.json `memorySize`). */
export const DEFAULT_MEMORY_MB = 256

/**
 * The largest `print_html` the function takes on: one label passes through the SDK's parse, the
 * base64 decode, the text and the upload at once, several times its size, so a sixteenth of the
 * memory leaves room for the rest (16 M characters at 256 MB).
 */
export function labelCapChars(memoryMb: number): number {
  return Math.floor((memoryMb * 1024 * 1024) / 16)
}

/**
 * The largest `print_html` one batch item takes on: two thirds of a single order's. Labels follow
 * one another in a batch, and the garbage of one is often still uncollected when the next is read:
 * measured, a 10 MB label costs about 120 MB at its peak in a 256 MB function (`npm run bench`,
 * the 20 × 10 MB row), and two of them do not fit. A larger label fails its item, not the process.
 */
export function batchLabelCapChars(memoryMb: number): number {
  return Math.floor((labelCapChars(memoryMb) * 2) / 3)
}

/** The SCF context carries `memory_limit_in_mb` (a number, or the CLI runtime's string). */
export function memoryMbOf(context: { memory_limit_in_mb?: unknown } | undefined): number {
  const raw = Number(context?.memory_limit_in_mb)
  return Number.isFinite(raw) && raw >= 64 ? raw : DEFAULT_MEMORY_MB
}

/** An upstream failure as the contract's error; anything else is a bug and goes on up. */
export function upstreamError(flow: Flow, err: unknown): OrderError {
  if (err instanceof UpstreamError) {
    flow.line.upstreamKind = err.kind
    return toOrderError(err)
  }
  throw err
}

/** A label that could not be stored, as the contract's error, with a hint for the step. */
export function storageFailure(err: unknown): OrderError {
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

export function resultBytes(result: object): number {
  return Buffer.byteLength(JSON.stringify(result), 'utf8')
}

/**
 * A single order's answer in bytes. When the decode counted the label's JSON size, the label is
 * not serialised again: the envelope is measured with the label as `""` and that size added.
 */
export function singleResultBytes(result: { order: Order }, size: LabelSize | undefined): number {
  const html = result.order.printHtml
  if (html === null || size?.jsonBytes === undefined) return resultBytes(result)
  const label = size.jsonBytes
  result.order.printHtml = ''
  try {
    return resultBytes(result) - 2 + label
  } finally {
    result.order.printHtml = html
  }
}
