import type { ErrorCode, OrderError, SettingProblem } from '../types'
import { lookupErrcode, RETRYABLE_CODES } from './table'
import { UpstreamError } from './upstream'

/** The one place an upstream failure becomes the contract's error (docs/contract.md, errors). */
export function toOrderError(err: unknown): OrderError {
  if (!(err instanceof UpstreamError)) return internalError()
  switch (err.kind) {
    case 'timeout':
      return build('TIMEOUT', err.message, "The call did not finish inside the function's time budget; raise the function timeout or retry.")
    case 'bad-json':
      return withUpstream(build('BAD_RESPONSE', err.message, 'The upstream answer was not JSON; if it persists, report it with the request id.'), err)
    case 'config':
      return withUpstream(build('CONFIG_ERROR', err.message), err)
    case 'network':
      return withUpstream(build('UPSTREAM_UNAVAILABLE', err.message, 'A network or server fault upstream; retrying later usually succeeds.'), err)
    case 'errcode':
      return fromErrcode(err)
    case 'too-large':
      return build('RESULT_TOO_LARGE', err.message, 'Ask for fewer orders at a time, or for printHtmlAs "none"; a label this large cannot be handled inside the function.')
  }
}

export function fromErrcode(err: UpstreamError): OrderError {
  const errcode = err.wxErrCode ?? -1
  const entry = lookupErrcode(errcode)
  const upstreamText = err.wxErrMsg ? ` (${err.wxErrMsg})` : ''
  const error = entry
    ? build(entry.code, `WeChat answered errcode ${errcode}: ${entry.meaning}.`, entry.hint)
    : build(
        'WECHAT_ERROR',
        `WeChat answered errcode ${errcode}${upstreamText}.`,
        // 93xxxxx is the logistics service's own block of WeChat's global return codes ([glob] in table.ts).
        errcode >= 9300000 && errcode < 9400000 ? 'The logistics service refused the request: check the order, carrier and waybill ids, and that the order was added for this account.' : undefined,
      )
  return withUpstream(error, err)
}

export function internalError(): OrderError {
  return build('INTERNAL', 'An internal error occurred; it has been logged with the request id.')
}

export function build(code: ErrorCode, message: string, hint?: string): OrderError {
  const error: OrderError = { code, message, retryable: RETRYABLE_CODES.has(code) }
  if (hint !== undefined) error.hint = hint
  return error
}

function withUpstream(error: OrderError, err: UpstreamError): OrderError {
  if (err.wxErrCode !== undefined) error.wxErrCode = err.wxErrCode
  if (err.wxErrMsg !== undefined) error.wxErrMsg = err.wxErrMsg
  if (err.deliveryResultCode !== undefined) error.deliveryResultCode = err.deliveryResultCode
  if (err.deliveryResultMsg !== undefined) error.deliveryResultMsg = err.deliveryResultMsg
  return error
}

/** The contract's CONFIG_ERROR for settings problems: each named, each with its fix. */
export function configError(problems: readonly SettingProblem[]): OrderError {
  return build('CONFIG_ERROR', problems.map((p) => p.message).join(' '), [...new Set(problems.map((p) => p.hint))].join(' '))
}
