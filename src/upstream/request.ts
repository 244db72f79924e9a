import type { BatchOrderInput, SingleEvent } from '../types'
import type { WireBatchOrder, WireBatchRequest, WireGetOrderRequest } from './wire'

/** Maps a valid event to the API's request. `openid` is the one access control decided on. */
export function toWireRequest(event: SingleEvent, openid: string | undefined): WireGetOrderRequest {
  const req: WireGetOrderRequest = { order_id: event.orderId, delivery_id: event.deliveryId }
  if (event.waybillId !== undefined) req.waybill_id = event.waybillId
  if (openid !== undefined) req.openid = openid
  if (event.printType !== undefined) req.print_type = event.printType
  if (event.customRemark !== undefined) req.custom_remark = event.customRemark
  return req
}

export function toWireBatchOrder(order: BatchOrderInput): WireBatchOrder {
  const out: WireBatchOrder = { order_id: order.orderId, delivery_id: order.deliveryId }
  if (order.waybillId !== undefined) out.waybill_id = order.waybillId
  return out
}

export function toWireBatchRequest(orders: BatchOrderInput[]): WireBatchRequest {
  return { order_list: orders.map(toWireBatchOrder) }
}
