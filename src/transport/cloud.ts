import { sdkErrorParts, UpstreamError } from '../errors/upstream'
import { type ApiMethod, OPENAPI, type WireBatchRequest, type WireGetOrderRequest } from '../upstream/wire'
import type { Transport } from './types'

/** `cloud.openapi`: any `namespace.method` path is callable (the SDK types it as `any`). */
type OpenapiLike = Record<string, Record<string, (data: unknown) => Promise<unknown>>>

/** The slice of wx-server-sdk that makes a cloud call. */
export interface CloudLike {
  openapi: Record<string, unknown>
}

/**
 * The cloud call through wx-server-sdk, as the SDK and the API documentation show it:
 * `cloud.openapi.logistics.getOrder({ orderId, deliveryId, waybillId, printType, customRemark,
 * openid })` and `batchGetOrder({ orderList })`. The SDK turns each capital into `_` + lowercase,
 * so these names reach WeChat as `order_id`, `delivery_id`, `waybill_id` …; its answer comes back
 * camelCase (`printHtml`, `waybillData`, `orderStatus`), which the normalisation reads.
 *
 * @example
 * import cloud = require('wx-server-sdk')
 * cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string })
 * const transport = cloudTransport(cloud)
 */
export function cloudTransport(cloud: CloudLike, options: { appid?: string } = {}): Transport {
  // `cloud.openapi({ appid })` makes the call as another account of a shared environment (the
  // SDK sends it as CommApiData.appid): the environment-sharing guide's cross-account cloud call.
  const api = (options.appid !== undefined ? (cloud.openapi as unknown as (o: { appid: string }) => unknown)({ appid: options.appid }) : cloud.openapi) as OpenapiLike
  // Calls go by the names in OPENAPI, the list config.json's permissions are built from, so the
  // package check can hold the two together.
  const call = (method: ApiMethod, data: unknown) => {
    const [namespace, name] = OPENAPI[method].split('.') as [string, string]
    return api[namespace]![name]!(data).catch(fromSdkError)
  }
  return {
    name: 'cloud',
    getOrder: (request) => call('getOrder', toSdkRequest(request)),
    batchGetOrder: (request) => call('batchGetOrder', toSdkBatchRequest(request)),
  }
}

/** The API's request in the SDK's documented camelCase; each name converts back exactly. */
export function toSdkRequest(w: WireGetOrderRequest): Record<string, unknown> {
  const out: Record<string, unknown> = { orderId: w.order_id, deliveryId: w.delivery_id }
  if (w.waybill_id !== undefined) out.waybillId = w.waybill_id
  if (w.print_type !== undefined) out.printType = w.print_type
  if (w.custom_remark !== undefined) out.customRemark = w.custom_remark
  if (w.openid !== undefined) out.openid = w.openid
  return out
}

export function toSdkBatchRequest(w: WireBatchRequest): Record<string, unknown> {
  return {
    orderList: w.order_list.map((o) => ({ orderId: o.order_id, deliveryId: o.delivery_id, ...(o.waybill_id !== undefined ? { waybillId: o.waybill_id } : {}) })),
  }
}

const INVALID_JSON = /response body is invalid json/i
const FAIL_PREFIX = /^(?:openapi\.)?[\w.]+:fail\s*/
// The SDK appends the gateway URL (with a per-call seqId) to HTTP failures: noise, and it varies.
const URL_SUFFIX = /\s*\|\s*\[[^\]]*\]\s*$/

/** The SDK throws `{ errCode, errMsg }` (CloudSDKError or Error); see the facts file's table. */
export function fromSdkError(err: unknown): never {
  const parts = sdkErrorParts(err)
  const code = parts.errCode ?? -1
  const rawMsg = parts.errMsg ?? String(err)
  if (INVALID_JSON.test(rawMsg)) {
    // The SDK quotes the whole body after this text; the body may hold anything, so it stays out.
    throw new UpstreamError('bad-json', 'The upstream answer is not JSON.', {
      wxErrCode: code,
      wxErrMsg: 'wechat server internal error, response body is invalid json',
    })
  }
  throw new UpstreamError('errcode', `The cloud call failed with code ${code}.`, {
    wxErrCode: code,
    wxErrMsg: rawMsg.replace(FAIL_PREFIX, '').replace(URL_SUFFIX, ''),
  })
}
