import type { WireBatchRequest, WireGetOrderRequest } from '../upstream/wire'

export interface CallOptions {
  /** epoch ms by which the answer must be in; the core also enforces it */
  deadline: number
  /** aborted when the deadline passes or the invocation gives up */
  signal: AbortSignal
}

/**
 * How a request reaches WeChat. It resolves with the answer as it arrived (snake_case or the
 * SDK's camelCase, possibly with a non-zero errcode in the body) and rejects with an
 * `UpstreamError` when no usable answer came. The core never reaches for one: it is passed in.
 */
export interface Transport {
  readonly name: string
  getOrder(request: WireGetOrderRequest, options: CallOptions): Promise<unknown>
  batchGetOrder(request: WireBatchRequest, options: CallOptions): Promise<unknown>
}
