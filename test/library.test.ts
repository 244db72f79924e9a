import * as lib from '../src/index'
import { startWechatServer } from '../src/harness/wechatServer'

test('the library runs the core over HTTPS in a plain Node program', async () => {
  const server = await startWechatServer()
  try {
    const env = server.httpsEnv()
    const getOrder = lib.createGetOrderHandler({
      transport: lib.httpsTransport({ baseUrl: server.baseUrl, tokens: lib.stableTokenProvider({ appid: env.WX_APPID!, secret: env.WX_APPSECRET!, baseUrl: server.baseUrl }) }),
      caller: () => undefined,
      access: lib.trustServerCallers,
    })
    const r = await getOrder({ orderId: 'DEMO-GBK-0001', deliveryId: 'STO' })
    expect(r).toMatchObject({ ok: true, order: { deliveryId: 'STO', printHtml: expect.stringContaining('申通快递') } })
  } finally {
    await server.close()
  }
})
