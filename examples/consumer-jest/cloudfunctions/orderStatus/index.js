// A merchant's cloud function: reads an order through getOrder and answers what its page shows.
const cloud = require('wx-server-sdk')

cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV })

exports.main = async (event) => {
  const { result } = await cloud.callFunction({ name: 'getOrder', data: { orderId: event.orderId, deliveryId: event.deliveryId, printHtmlAs: 'none' } })
  if (!result.ok) return { ok: false, code: result.error.code, retryable: result.error.retryable }
  return { ok: true, status: result.order.status, waybillId: result.order.waybillId, marks: result.order.waybillData }
}
