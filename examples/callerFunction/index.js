// A cloud function of the same environment that reads orders through getOrder: here, started by
// an hourly timer, it reads the day's orders. Deploy it beside getOrder; getOrder then sees the
// call come through `wx_trigger,scf` (a timer, then a function) with no OPENID, and serves it as a
// trusted server only with TRUST_SERVER_CALLERS=1 set on getOrder (the default TRUSTED_SOURCES,
// wx_http,wx_trigger,scf, covers the chain). Started by a mini program instead, the chain is
// `wx_client,scf` and the call keeps the user's OPENID: getOrder treats it as that user.
const cloud = require('wx-server-sdk')

cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV })

exports.main = async (event) => {
  const orders = Array.isArray(event.orders) ? event.orders : []
  const { result } = await cloud.callFunction({ name: 'getOrder', data: { orders, printHtmlAs: 'none' } })
  if (!result.ok) {
    // A contract error, e.g. PERMISSION_DENIED naming the source when TRUST_SERVER_CALLERS is unset.
    console.error(`getOrder refused: ${result.error.code}: ${result.error.message}`)
    return { ok: false, code: result.error.code }
  }
  const cancelled = result.orders.filter((i) => i.ok && i.order.status === 'cancelled').map((i) => i.order.orderId)
  return { ok: true, read: result.orders.filter((i) => i.ok).length, failed: result.orders.filter((i) => !i.ok).length, cancelled }
}
