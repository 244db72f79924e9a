import { sdkErrorParts, UpstreamError } from '../errors/upstream'
import { type ApiMethod, OPENAPI } from '../upstream/wire'
import type { Transport } from './types'

/** `cloud.openapi`: any `namespace.method` path is callable (the SDK types it as `any`). */
type OpenapiLike = Record<string, Record<string, (data: unknown) => Promise<unknown>>>

/** The slice of wx-server-sdk that makes a cloud call. */
export interface CloudLike {
  openapi: ((options: { convertCase?: boolean }) => unknown) & Record<string, unknown>
}

/**
 * The cloud call (`cloud.openapi.logistics.*`) through wx-server-sdk. It asks the SDK not to
 * convert case, so requests go out exactly as the API documents them (the SDK's camelCase
 * conversion would turn `waybillID` into `waybill_i_d`) and answers come back snake_case.
 *
 * @example
 * import cloud = require('wx-server-sdk')
 * cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string })
 * const transport = cloudTransport(cloud)
 */
export function cloudTransport(cloud: CloudLike): Transport {
  const api = cloud.openapi({ convertCase: false }) as OpenapiLike
  // Calls go by the names in OPENAPI, the list config.json's permissions are built from, so the
  // package check can hold the two together.
  const call = (method: ApiMethod, data: unknown) => {
    const [namespace, name] = OPENAPI[method].split('.') as [string, string]
    return api[namespace]![name]!(data).catch(fromSdkError)
  }
  return {
    name: 'cloud',
    getOrder: (request) => call('getOrder', request),
    batchGetOrder: (request) => call('batchGetOrder', request),
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
