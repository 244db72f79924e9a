/** The API's own request and answer shapes (snake_case), as the API documentation gives them (developers.weixin.qq.com/miniprogram/dev/server/API/express/express-by-business/api_getorder.html). */

export interface WireGetOrderRequest {
  order_id: string
  delivery_id: string
  waybill_id?: string
  openid?: string
  print_type?: 0 | 1
  custom_remark?: string
}

export interface WireBatchOrder {
  order_id: string
  delivery_id: string
  waybill_id?: string
}

export interface WireBatchRequest {
  order_list: WireBatchOrder[]
}

/** An answer as it may arrive: every field optional and of unknown type until normalized. */
export interface WireOrderAnswer {
  errcode?: unknown
  errmsg?: unknown
  print_html?: unknown
  waybill_data?: unknown
  order_id?: unknown
  delivery_id?: unknown
  waybill_id?: unknown
  order_status?: unknown
}

/** The openapi names this project calls: the one list behind config.json's permissions. */
export const OPENAPI = {
  getOrder: 'logistics.getOrder',
  batchGetOrder: 'logistics.batchGetOrder',
} as const
export type ApiMethod = keyof typeof OPENAPI
