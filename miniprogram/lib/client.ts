import type { BatchItem, BatchOrderInput, ErrorCode, Order, OrderError, PrintHtmlAs, Result, SingleEvent, Warning } from './contract'

/** The one thing the client needs of `wx.cloud`. */
export interface CloudCaller {
  callFunction(param: { name: string; data: Record<string, unknown> }): Promise<{ result?: unknown }>
}

/** The single-order event of the contract; leave `openid` out to read the caller's own order. */
export type GetOrderParams = SingleEvent

export interface OrderResult {
  order: Order
  warnings: Warning[]
  requestId: string
}

/**
 * What the client throws: the contract's error (code, hint, retryable …), or one made in its
 * image when `wx.cloud.callFunction` itself failed.
 */
export class GetOrderError extends Error {
  override readonly name = 'GetOrderError'
  readonly code: ErrorCode
  readonly hint: string | undefined
  readonly retryable: boolean
  readonly field: string | undefined
  readonly wxErrCode: number | undefined
  readonly wxErrMsg: string | undefined
  /** the carrier's own code and reason, when WeChat passed them on */
  readonly deliveryResultCode: number | undefined
  readonly deliveryResultMsg: string | undefined
  readonly requestId: string | undefined

  constructor(error: OrderError, requestId?: string) {
    super(error.message)
    this.code = error.code
    this.hint = error.hint
    this.retryable = error.retryable
    this.field = error.field
    this.wxErrCode = error.wxErrCode
    this.wxErrMsg = error.wxErrMsg
    this.deliveryResultCode = error.deliveryResultCode
    this.deliveryResultMsg = error.deliveryResultMsg
    this.requestId = requestId
  }
}

/**
 * A typed client for the getOrder cloud function.
 *
 * @example
 * const client = createGetOrderClient(wx.cloud)
 * try {
 *   const { order } = await client.getOrder({ orderId: '01234567890123456789', deliveryId: 'SF' })
 *   console.log(order.status, order.waybillData)
 * } catch (e) {
 *   if (e instanceof GetOrderError && e.retryable) retryLater()
 * }
 */
export function createGetOrderClient(cloud: CloudCaller, options: { name?: string } = {}) {
  const name = options.name ?? 'getOrder'

  async function call(data: Record<string, unknown>): Promise<Result> {
    let answer: { result?: unknown }
    try {
      answer = await cloud.callFunction({ name, data })
    } catch (err) {
      throw new GetOrderError(callFailure(err))
    }
    const result = answer?.result
    if (!isResult(result)) {
      throw new GetOrderError({
        code: 'BAD_RESPONSE',
        message: 'The getOrder function answered something that is not a getOrder result.',
        hint: "Check that the deployed function is this project's getOrder.",
        retryable: false,
      })
    }
    if (!result.ok) throw new GetOrderError(result.error, result.requestId)
    return result
  }

  return {
    /** One order; throws GetOrderError when the function answers an error. */
    async getOrder(params: GetOrderParams): Promise<OrderResult> {
      const result = await call({ ...params })
      if (!result.ok || !('order' in result)) throw shapeError()
      return { order: result.order, warnings: result.warnings, requestId: result.requestId }
    },
    /** Many orders (admins only); one item per input, failed items carry their own error. */
    async batchGetOrder(orders: BatchOrderInput[], opts: { printHtmlAs?: PrintHtmlAs } = {}): Promise<BatchItem[]> {
      const result = await call({ orders, ...opts })
      if (!result.ok || !('orders' in result)) throw shapeError()
      return result.orders
    },
  }
}

function shapeError(): GetOrderError {
  return new GetOrderError({ code: 'BAD_RESPONSE', message: 'The getOrder function answered a result of the wrong kind.', retryable: false })
}

/**
 * wx.cloud.callFunction rejects with `{ errCode, errMsg }` when the call itself fails, and the
 * codes that say why are often only inside errMsg, nested: "cloud.callFunction:fail -404011 cloud
 * function execution error | errCode: -504002 functions execute fail | errMsg: Error: Cannot find
 * module 'wx-server-sdk'". So every code in the message counts, as well as errCode. Meanings:
 * WeChat's cloud errcode table (-404xxx: the SDK's cloud function errors; -404011: the function's
 * execution failed) and wx-server-sdk's ERR_CODE (-504001 functions request fail, -504002 functions
 * execute fail); -504003 comes with "Invoking task timed out after N seconds".
 */
function callFailure(err: unknown): OrderError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { errCode?: unknown; errMsg?: unknown; message?: unknown }
  const errMsg = typeof e.errMsg === 'string' ? e.errMsg : typeof e.message === 'string' ? e.message : String(err)
  const codes = new Set<number>([...errMsg.matchAll(/-\d{6}\b/g)].map((m) => Number(m[0])))
  if (typeof e.errCode === 'number') codes.add(e.errCode)
  const errCode = typeof e.errCode === 'number' ? e.errCode : [...codes][0]
  const base = { ...(errCode !== undefined ? { wxErrCode: errCode } : {}), wxErrMsg: errMsg.slice(0, 300) }
  if (/Cannot find module/i.test(errMsg)) {
    return {
      code: 'CONFIG_ERROR',
      message: 'The getOrder function was deployed without its dependencies.',
      hint: 'Deploy it again with dependencies: in devtools, right-click cloudfunctions/getOrder → 上传并部署：云端安装依赖 (upload and deploy, install dependencies in the cloud).',
      retryable: false,
      ...base,
    }
  }
  if (codes.has(-504003) || /timed? ?out/i.test(errMsg)) {
    return {
      code: 'TIMEOUT',
      message: 'The getOrder function did not answer in time.',
      hint: "Retry; if it keeps happening, raise the function's timeout (functions created from devtools get 3 s): config.json and cloudbaserc.json set it.",
      retryable: true,
      ...base,
    }
  }
  if (codes.has(-501000) || codes.has(-501005) || /FunctionName|function not found|not exist|invalid env/i.test(errMsg)) {
    return {
      code: 'CONFIG_ERROR',
      message: 'The getOrder function is not deployed in this cloud environment.',
      hint: 'Deploy cloudfunctions/getOrder, and check the env passed to wx.cloud.init.',
      retryable: false,
      ...base,
    }
  }
  if (codes.has(-504002)) {
    return {
      code: 'INTERNAL',
      message: 'The getOrder function failed while it ran.',
      hint: "Look up the call in the function's logs (CloudBase console → cloud functions → getOrder → logs).",
      retryable: false,
      ...base,
    }
  }
  return { code: 'UPSTREAM_UNAVAILABLE', message: 'Calling the getOrder function failed.', hint: 'Check the network and retry.', retryable: true, ...base }
}

function isResult(v: unknown): v is Result {
  if (typeof v !== 'object' || v === null) return false
  const r = v as Record<string, unknown>
  if (r.ok === true) return ('order' in r && typeof r.order === 'object') || Array.isArray(r.orders)
  if (r.ok === false) return typeof r.error === 'object' && r.error !== null && typeof (r.error as { code?: unknown }).code === 'string'
  return false
}
