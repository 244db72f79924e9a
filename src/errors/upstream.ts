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

  constructor(kind: UpstreamFailure, message: string, details: { wxErrCode?: number; wxErrMsg?: string; httpStatus?: number; deliveryResultCode?: number; deliveryResultMsg?: string } = {}) {
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

// `access_token=T`, `access_token: T`, `"access_token":"T"`, and the other credentials so named.
const SECRET_PARAMS = /((?:component_access_token|authorizer_access_token|access_token|appsecret|secret|token)["']?\s*[=:]\s*["']?)[^&\s"',;}]+/gi
const MAX_MSG = 300

/** Upstream messages may quote a URL or a body: keep them short and without credentials. */
export function redact(text: string): string {
  const clean = text.replace(SECRET_PARAMS, '$1***')
  return clean.length > MAX_MSG ? `${clean.slice(0, MAX_MSG)}…` : clean
}

/** `text` with every occurrence of the exact `values` (a token, a secret) replaced by `***`. */
export function scrub(text: string, values: readonly (string | undefined)[]): string {
  let out = text
  // Shorter than 8 characters, a value would also match ordinary words: such a credential is not one.
  for (const v of values) if (v !== undefined && v.length >= 8) out = out.split(v).join('***')
  return out
}

/**
 * Runs a transport step and scrubs the exact credentials it used out of whatever it throws, and
 * out of an errcode answer's `errmsg`: redaction by shape cannot know a token quoted bare.
 */
export async function withoutSecrets<T>(values: () => readonly (string | undefined)[], step: () => Promise<T>): Promise<T> {
  let answer: T
  try {
    answer = await step()
  } catch (err) {
    if (!(err instanceof UpstreamError)) throw err
    const v = values()
    const details: ConstructorParameters<typeof UpstreamError>[2] = {}
    if (err.wxErrCode !== undefined) details.wxErrCode = err.wxErrCode
    if (err.wxErrMsg !== undefined) details.wxErrMsg = scrub(err.wxErrMsg, v)
    if (err.httpStatus !== undefined) details.httpStatus = err.httpStatus
    if (err.deliveryResultCode !== undefined) details.deliveryResultCode = err.deliveryResultCode
    if (err.deliveryResultMsg !== undefined) details.deliveryResultMsg = scrub(err.deliveryResultMsg, v)
    throw new UpstreamError(err.kind, scrub(err.message, v), details)
  }
  if (typeof answer === 'object' && answer !== null) {
    const a = answer as Record<string, unknown>
    for (const key of ['errmsg', 'delivery_resultmsg']) if (typeof a[key] === 'string') a[key] = scrub(a[key] as string, values())
  }
  return answer
}
