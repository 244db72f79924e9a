import { decodePrintHtml, type LabelResult, type LabelSize } from '../decode/decode'
import { UpstreamError } from '../errors/upstream'
import type { Order, OrderStatus, Warning } from '../types'

export interface Requested {
  orderId: string
  deliveryId: string
  waybillId?: string
}

export type Normalized = { ok: true; order: Order; warnings: Warning[]; labelSize?: LabelSize } | { ok: false; error: UpstreamError }

/**
 * The one boundary between an upstream answer and the public `Order`. It accepts the raw
 * snake_case JSON (HTTPS, or the SDK with `convertCase: false`) and the SDK's default camelCase
 * answer alike. The body's errcode is read before anything else. Never throws.
 */
export function normalizeOrder(raw: unknown, requested: Requested, options: { decodeLabel: boolean; maxLabelChars?: number }): Normalized {
  if (!isRecord(raw)) return badShape(`the answer is ${kindOf(raw)}, not an object`)
  const failed = errcodeOf(raw)
  if (failed) return { ok: false, error: failed }

  const orderId = idField(raw, 'order_id', 'orderId', requested.orderId)
  const deliveryId = idField(raw, 'delivery_id', 'deliveryId', requested.deliveryId)
  const waybillId = idField(raw, 'waybill_id', 'waybillId', requested.waybillId ?? null)
  if (orderId === BAD || deliveryId === BAD || waybillId === BAD || orderId === null || deliveryId === null) {
    return badShape('order_id, delivery_id or waybill_id is not a string')
  }
  const list = waybillList(pick(raw, 'waybill_data', 'waybillData'))
  if (list === BAD) return badShape('waybill_data is not a list of {key, value}')

  const warnings: Warning[] = []
  const statusCode = statusNumber(pick(raw, 'order_status', 'orderStatus'))
  const status: OrderStatus = statusCode === 0 ? 'normal' : statusCode === 1 ? 'cancelled' : 'unknown'
  if (status === 'cancelled') {
    // The label still comes back (the merchant may need it), but a parcel must never ship under it.
    warnings.push({ code: 'ORDER_CANCELLED', message: 'The waybill is cancelled (order_status 1): do not ship a parcel under this label.' })
  } else if (status === 'unknown') {
    warnings.push({
      code: 'UNKNOWN_ORDER_STATUS',
      message: statusCode === null ? 'The answer has no usable order_status, so the status is unknown.' : `order_status ${statusCode} is neither 0 (normal) nor 1 (cancelled).`,
    })
  }

  let printHtml: string | null = null
  let label: LabelResult | undefined
  if (options.decodeLabel) {
    const encoded = pick(raw, 'print_html', 'printHtml')
    // Judged before decoding: a label too large for the function's memory fails its order alone.
    if (options.maxLabelChars !== undefined && typeof encoded === 'string' && encoded.length > options.maxLabelChars) {
      const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`
      return {
        ok: false,
        error: new UpstreamError('too-large', `The label of order ${orderId} is ${mb(encoded.length)} of base64, over the ${mb(options.maxLabelChars)} this function's memory allows for one label.`),
      }
    }
    label = decodePrintHtml(encoded)
    if (label.html === null) warnings.unshift(label.warning)
    else printHtml = label.html
  }

  const order: Order = {
    orderId,
    deliveryId,
    waybillId,
    status,
    statusCode,
    printHtml,
    waybillData: Object.fromEntries(list.map((e) => [e.key, e.value])),
    waybillDataList: list,
  }
  return label?.html != null && label.size !== undefined ? { ok: true, order, warnings, labelSize: label.size } : { ok: true, order, warnings }
}

/** A non-zero `errcode` (or the SDK's `errCode`) in a body, as an error; else undefined. */
export function errcodeOf(raw: unknown): UpstreamError | undefined {
  if (!isRecord(raw)) return undefined
  const code = pick(raw, 'errcode', 'errCode')
  if (code === undefined || code === null) return undefined
  const n = typeof code === 'number' ? code : typeof code === 'string' && /^-?\d+$/.test(code) ? Number(code) : NaN
  if (n === 0) return undefined
  if (Number.isNaN(n)) return new UpstreamError('bad-json', 'The upstream answer has an errcode that is not a number.')
  const msg = pick(raw, 'errmsg', 'errMsg')
  const details: ConstructorParameters<typeof UpstreamError>[2] & {} = { wxErrCode: n }
  if (typeof msg === 'string') details.wxErrMsg = msg
  // The carrier's own reason, which WeChat passes on (e.g. with 9300501); the SDK camelCases it.
  const carrierCode = pick(raw, 'delivery_resultcode', 'deliveryResultcode')
  const carrierMsg = pick(raw, 'delivery_resultmsg', 'deliveryResultmsg')
  if (typeof carrierCode === 'number' && Number.isFinite(carrierCode)) details.deliveryResultCode = carrierCode
  else if (typeof carrierCode === 'string' && /^-?\d{1,15}$/.test(carrierCode)) details.deliveryResultCode = Number(carrierCode)
  if (typeof carrierMsg === 'string' && carrierMsg !== '') details.deliveryResultMsg = carrierMsg
  return new UpstreamError('errcode', `WeChat answered errcode ${n}.`, details)
}

const BAD = Symbol('bad')

function badShape(why: string): Normalized {
  return { ok: false, error: new UpstreamError('bad-json', `The upstream answer is unusable: ${why}.`) }
}

function pick(raw: Record<string, unknown>, snake: string, camel: string): unknown {
  if (Object.prototype.hasOwnProperty.call(raw, snake)) return raw[snake]
  if (Object.prototype.hasOwnProperty.call(raw, camel)) return raw[camel]
  return undefined
}

function idField<F extends string | null>(raw: Record<string, unknown>, snake: string, camel: string, fallback: F): string | F | typeof BAD {
  const v = pick(raw, snake, camel)
  if (v === undefined || v === null) return fallback
  const s = scalarText(v)
  return s === undefined ? BAD : s
}

/** Strings as they are; finite numbers, booleans and json-bigint bignumbers as their text. */
function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v)
  if (isBigNumber(v)) return v.toFixed()
  return undefined
}

function isBigNumber(v: unknown): v is { toFixed(): string } {
  return isRecord(v) && (v as { _isBigNumber?: unknown })._isBigNumber === true && typeof v.toFixed === 'function'
}

function statusNumber(v: unknown): number | null {
  // -0 is 0: it would not survive JSON as itself (found by the property tests).
  if (typeof v === 'number') return Number.isInteger(v) ? v + 0 : null
  if (typeof v === 'string' && /^-?\d{1,15}$/.test(v)) return Number(v)
  // Anything else, json-bigint bignumbers included, is no status we know.
  return null
}

function waybillList(v: unknown): { key: string; value: string }[] | typeof BAD {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) return BAD
  const out: { key: string; value: string }[] = []
  for (const item of v) {
    if (!isRecord(item)) return BAD
    const key = scalarText(item.key)
    if (key === undefined) return BAD
    const value = item.value === undefined || item.value === null ? '' : scalarText(item.value)
    if (value === undefined) return BAD
    out.push({ key, value })
  }
  return out
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function kindOf(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  return `a ${typeof v}`
}
