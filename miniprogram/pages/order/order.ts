import { createGetOrderClient, GetOrderError } from '../../lib/client'
import type { Order } from '../../lib/contract'

const client = createGetOrderClient(wx.cloud)

const STATUS_TEXT: Record<Order['status'], string> = { normal: '正常', cancelled: '已取消', unknown: '未知' }

Page({
  data: {
    orderId: '',
    deliveryId: 'SF',
    loading: false,
    order: null as null | { orderId: string; deliveryId: string; waybillId: string; status: string; waybill: { key: string; value: string }[]; labelBytes: number },
    warnings: [] as string[],
    error: '',
    hint: '',
  },

  onOrderIdInput(e: WechatMiniprogram.Input) {
    this.setData({ orderId: e.detail.value })
  },
  onDeliveryIdInput(e: WechatMiniprogram.Input) {
    this.setData({ deliveryId: e.detail.value })
  },

  async onLookup() {
    this.setData({ loading: true, order: null, warnings: [], error: '', hint: '' })
    try {
      const { order, warnings } = await client.getOrder({ orderId: this.data.orderId, deliveryId: this.data.deliveryId, printHtmlAs: 'none' })
      this.setData({
        order: {
          orderId: order.orderId,
          deliveryId: order.deliveryId,
          waybillId: order.waybillId ?? '—',
          status: STATUS_TEXT[order.status],
          waybill: order.waybillDataList,
          labelBytes: order.printHtml === null ? 0 : order.printHtml.length,
        },
        warnings: warnings.map((w) => w.message),
      })
    } catch (e) {
      const err = e instanceof GetOrderError ? e : new GetOrderError({ code: 'INTERNAL', message: String(e), retryable: false })
      this.setData({ error: `${err.code}: ${err.message}`, hint: err.hint ?? (err.retryable ? '请稍后重试' : '') })
    } finally {
      this.setData({ loading: false })
    }
  },
})
