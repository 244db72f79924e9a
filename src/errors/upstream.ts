/**
 * What a transport throws when a call did not produce a usable answer. `kind` says which step
 * failed; `toOrderError` turns it into the contract's error.
 */
export type UpstreamFailure =
  /** WeChat or the platform answered with an errcode / platform error code */
  | 'errcode'
  /** the connection failed, or an HTTP 5xx came back */
  | 'network'
  /** the answer came, but is not JSON */
  | 'bad-json'
  /** our own deadline passed before the answer */
  | 'timeout'
  /** the deployment cannot make the call at all (e.g. no credentials) */
  | 'config'
  /** the answer is larger than the function's memory or the callFunction limit allows */
  | 'too-large'

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError'
  readonly kind: UpstreamFailure
  readonly wxErrCode: number | undefined
  readonly wxErrMsg: string | undefined
  readonly httpStatus: number | undefined
  /** the carrier's own code and reason, when WeChat passes them on (`delivery_resultcode`/`msg`) */
  readonly deliveryResultCode: number | undefined
  readonly deliveryResultMsg: string | undefined

  constructor(
    kind: UpstreamFailure,
    message: string,
    details: { wxErrCode?: number; wxErrMsg?: string; httpStatus?: number; deliveryResultCode?: number; deliveryResultMsg?: string } = {},
  ) {
    super(message)
    this.kind = kind
    this.wxErrCode = details.wxErrCode
    this.wxErrMsg = details.wxErrMsg === undefined ? undefined : redact(details.wxErrMsg)
    this.httpStatus = details.httpStatus
    this.deliveryResultCode = details.deliveryResultCode
    this.deliveryResultMsg = details.deliveryResultMsg === undefined ? undefined : redact(details.deliveryResultMsg)
  }
}

/** What wx-server-sdk throws, CloudSDKError or plain Error: `errCode` and `errMsg` (or `message`). */
export function sdkErrorParts(err: unknown): { errCode: number | undefined; errMsg: string | undefined } {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { errCode?: unknown; errMsg?: unknown; message?: unknown }
  return {
    errCode: typeof e.errCode === 'number' ? e.errCode : undefined,
    errMsg: typeof e.errMsg === 'string' ? e.errMsg : typeof e.message === 'string' ? e.message : undefined,
  }
}

const SECRET_PARAMS = /((?:access_token|authorizer_access_token|secret|appsecret|token)=)[^&\s"']+/gi
const MAX_MSG = 300

/** Upstream messages may quote a URL or a body: keep them short and without credentials. */
export function redact(text: string): string {
  const clean = text.replace(SECRET_PARAMS, '$1***')
  return clean.length > MAX_MSG ? `${clean.slice(0, MAX_MSG)}…` : clean
}
