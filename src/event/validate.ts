import { isSelfTestEvent } from './selfTest'
import type { BatchEvent, BatchOrderInput, GetOrderEvent, OrderError, SingleEvent } from '../types'
import { ALL_EVENT_FIELDS, BATCH_FIELDS, BATCH_ITEM_FIELDS, FIELD_RULES, type FieldName, IGNORED_FIELDS, LIMITS, SINGLE_FIELDS } from './schema'
import { suggestField } from './suggest'

export type Validation = { ok: true; kind: 'single'; event: SingleEvent } | { ok: true; kind: 'batch'; event: BatchEvent } | { ok: false; error: OrderError }

/**
 * Checks an event against docs/contract.md §2. Nothing is trimmed or repaired: the first problem found
 * is returned as an `INVALID_ARGUMENT` naming the field. Keys whose value is `undefined` count
 * as absent, since JSON (and so `wx.cloud.callFunction`) cannot carry them.
 */
export function validateEvent(input: unknown): Validation {
  const fast = commonSingle(input)
  return fast !== undefined ? { ok: true, kind: 'single', event: fast } : validateEventBySchema(input)
}

// The usual event, checked by hand: a few string tests instead of a schema run per field. Any
// event it is not sure of (another key, a surrogate, a value out of range) goes to the schema,
// which alone writes errors; a property test holds the two to the same answers.
const ID_REFUSED = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff]/
const SURROGATE = /[\ud800-\udfff]/
const APPID = /^wx[0-9A-Za-z]{16}$/
const text = (v: unknown, min: number, max: number): boolean => typeof v === 'string' && v.length >= min && v.length <= max && !SURROGATE.test(v)

/** The single-order event when every field is plainly valid; undefined when the schema must judge. */
export function commonSingle(input: unknown): SingleEvent | undefined {
  if (typeof input !== 'object' || input === null || Object.getPrototypeOf(input) !== Object.prototype) return undefined
  const e = input as Record<string, unknown>
  let fields = 0
  for (const key in e) {
    const v = e[key]
    if (v === undefined || key === 'userInfo') continue
    switch (key) {
      case 'orderId':
        if (typeof v !== 'string' || v.length < 1 || v.length > LIMITS.idMaxLength || ID_REFUSED.test(v)) return undefined
        break
      case 'deliveryId':
        if (typeof v !== 'string' || !LIMITS.deliveryIdPattern.test(v)) return undefined
        break
      case 'waybillId':
      case 'openid':
        if (!text(v, 1, LIMITS.idMaxLength)) return undefined
        break
      case 'customRemark':
        if (!text(v, 0, LIMITS.customRemarkMaxLength)) return undefined
        break
      case 'printType':
        if (v !== 0 && v !== 1) return undefined
        break
      case 'printHtmlAs':
        if (v !== 'text' && v !== 'file' && v !== 'none') return undefined
        break
      case 'authorizerAppid':
        if (typeof v !== 'string' || !APPID.test(v)) return undefined
        break
      default:
        return undefined
    }
    fields++
  }
  if (typeof e.orderId !== 'string' || typeof e.deliveryId !== 'string' || fields === 0) return undefined
  const event: Record<string, unknown> = {}
  for (const field of SINGLE_FIELDS) if (e[field] !== undefined) event[field] = e[field]
  return event as unknown as SingleEvent
}

/** The whole check by the schema: every event the common path is not sure of, and every error. */
export function validateEventBySchema(input: unknown): Validation {
  if (!isPlainObject(input)) {
    return invalid(undefined, `The event must be an object, not ${describeType(input)}.`)
  }
  const present = Object.keys(input).filter((k) => input[k] !== undefined && !(IGNORED_FIELDS as readonly string[]).includes(k))

  if (present.includes('selfTest')) {
    if (isSelfTestEvent(input)) {
      return invalid('selfTest', 'The deployment self-test is answered by the cloud function (createCloudMain) or createSelfTestHandler, not by the getOrder handler.')
    }
    if (present.length === 2 && present.includes('ticket') && input.selfTest === true) {
      return invalid('ticket', 'ticket must be the 32–128 hex digits of the _id the doctor wrote in DOCTOR_COLLECTION.')
    }
    return invalid('selfTest', "selfTest must be true and alone in the event, or with the doctor's ticket: { selfTest: true } or { selfTest: true, ticket }.")
  }
  if (present.includes('ticket')) return invalid('ticket', 'ticket goes with selfTest only: { selfTest: true, ticket }.')
  for (const key of present) {
    if (!ALL_EVENT_FIELDS.includes(key)) return unknownField(key, key, ALL_EVENT_FIELDS)
  }

  if (present.includes('orders')) {
    const stray = present.find((k) => !(BATCH_FIELDS as readonly string[]).includes(k))
    if (stray !== undefined) {
      return invalid(stray, `${stray} cannot be combined with orders: a batch takes only orders, printHtmlAs and authorizerAppid.`)
    }
    return validateBatch(input)
  }
  return validateSingle(input, present)
}

function validateSingle(input: Record<string, unknown>, present: string[]): Validation {
  for (const required of ['orderId', 'deliveryId'] as const) {
    if (!present.includes(required)) {
      const alt = required === 'orderId' ? ' (or pass orders for a batch)' : ''
      return invalid(required, `${required} is required${alt}.`)
    }
  }
  const event: Record<string, unknown> = {}
  for (const field of SINGLE_FIELDS) {
    if (!present.includes(field)) continue
    const problem = checkField(field, input[field], field)
    if (problem) return problem
    event[field] = input[field]
  }
  return { ok: true, kind: 'single', event: event as unknown as SingleEvent }
}

function validateBatch(input: Record<string, unknown>): Validation {
  const orders = input.orders
  if (!Array.isArray(orders) || orders.length < 1 || orders.length > LIMITS.batchMaxOrders) {
    const got = Array.isArray(orders) ? `${orders.length} items` : describeType(orders)
    return invalid('orders', `orders must be an array of 1–${LIMITS.batchMaxOrders} orders (got ${got}).`)
  }
  const items: BatchOrderInput[] = []
  for (let i = 0; i < orders.length; i++) {
    const item: unknown = orders[i]
    const at = `orders[${i}]`
    if (!isPlainObject(item)) {
      return invalid(at, `${at} must be an object with orderId and deliveryId, not ${describeType(item)}.`)
    }
    const keys = Object.keys(item).filter((k) => item[k] !== undefined)
    for (const key of keys) {
      if (!(BATCH_ITEM_FIELDS as readonly string[]).includes(key)) {
        return unknownField(key, `${at}.${key}`, BATCH_ITEM_FIELDS)
      }
    }
    const out: Record<string, unknown> = {}
    for (const field of BATCH_ITEM_FIELDS) {
      if (!keys.includes(field)) {
        if (field === 'waybillId') continue
        return invalid(`${at}.${field}`, `${at}.${field} is required.`)
      }
      const problem = checkField(field, item[field], `${at}.${field}`)
      if (problem) return problem
      out[field] = item[field]
    }
    items.push(out as unknown as BatchOrderInput)
  }
  const event: BatchEvent = { orders: items }
  for (const field of ['printHtmlAs', 'authorizerAppid'] as const) {
    if (input[field] === undefined) continue
    const problem = checkField(field, input[field], field)
    if (problem) return problem
    ;(event as unknown as Record<string, unknown>)[field] = input[field]
  }
  return { ok: true, kind: 'batch', event }
}

function checkField(field: FieldName, value: unknown, path: string): Validation | undefined {
  const rule = FIELD_RULES[field]
  if (rule.schema.safeParse(value).success) return undefined
  return invalid(path, `${path} must be ${rule.describe} (got ${describeValue(value)}).`)
}

/** Keys are the caller's text: quoted at most this long in an error (and so in a log line). */
export const MAX_QUOTED_KEY = 64

function unknownField(key: string, path: string, known: readonly string[]): Validation {
  const quoted = key.length > MAX_QUOTED_KEY ? `${key.slice(0, MAX_QUOTED_KEY)}…` : key
  const meant = key.length > MAX_QUOTED_KEY ? undefined : suggestField(key, known)
  const error = errorOf(path.length > MAX_QUOTED_KEY ? path.replace(key, quoted) : path, `Unknown field "${quoted}"${meant ? `: did you mean "${meant}"?` : '.'}`)
  error.hint = meant ? `Rename "${quoted}" to "${meant}"; the event uses camelCase field names.` : `Accepted fields: ${known.join(', ')}.`
  return { ok: false, error }
}

function invalid(field: string | undefined, message: string): Validation {
  return { ok: false, error: errorOf(field, message) }
}

function errorOf(field: string | undefined, message: string): OrderError {
  const error: OrderError = { code: 'INVALID_ARGUMENT', message, retryable: false }
  if (field !== undefined) error.field = field
  return error
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

function describeType(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  return `a ${typeof v}`
}

/** Short and safe to echo back: never more than a few characters of what the caller sent. */
function describeValue(v: unknown): string {
  if (typeof v === 'string') {
    if (v.length === 0) return 'an empty string'
    return `a string of ${v.length} characters`
  }
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`
  return describeType(v)
}

export type { GetOrderEvent }
