/**
 * The SDK called as it documents itself, and the carrier's own reason passed on where it reaches us.
 * wx-server-sdk throws CloudSDKError({ errCode, errMsg }) for a failed cloud call, dropping the rest
 * of the body: a failed single order over the cloud call loses delivery_resultcode/msg, on the real
 * SDK and the fake alike. Over HTTPS, and in batch items on any transport, they come back.
 */
import { createCloudMain, type WxServerSdk } from '../src/cloud/entry'
import { createBackend } from '../src/harness/backend'
import { OWNERSHIP_ENV } from '../src/harness/owners'
import type { Result } from '../src/types'
import { captureOutput, ownedFakeCloud } from './support/fakeMain'
import { useLoopback } from './support/loopback'
import { ADMIN, USER } from './support/scenarios'

const SF = { orderId: '01234567890123456789', deliveryId: 'SF', waybillId: '123456789', printType: 1, customRemark: '易碎' }
const CARRIER = { deliveryResultCode: 10002, deliveryResultMsg: '客户密码不正确' }
const WIRE_KEYS = new Set(['order_id', 'delivery_id', 'waybill_id', 'openid', 'print_type', 'custom_remark', 'order_list'])
const ITEM_KEYS = new Set(['order_id', 'delivery_id', 'waybill_id'])

const loopback = useLoopback({ wechat: true })

// USER owns the demo orders (startLoopback and ownedFakeCloud record it).
const identity = (openid: string) => ({ WX_CONTEXT_KEYS: 'WX_OPENID', WX_OPENID: openid, TCB_SOURCE: 'wx_client', ADMIN_OPENIDS: ADMIN, ...OWNERSHIP_ENV })
const CLOUD_CREDENTIALS = { TENCENTCLOUD_SECRETID: 'x', TENCENTCLOUD_SECRETKEY: 'y' }

async function fake(scenario: Parameters<typeof createBackend>[0], event: unknown, openid = USER) {
  const env = { ...identity(openid), ...CLOUD_CREDENTIALS }
  const cloud = ownedFakeCloud(createBackend(scenario), env)
  const main = createCloudMain(cloud as unknown as WxServerSdk, env)
  return { result: (await captureOutput(() => main(event, { request_id: 'r' }))).value, cloud }
}
async function real(scenario: Parameters<typeof createBackend>[0], event: unknown, openid = USER): Promise<Result> {
  loopback.gateway.backend = createBackend(scenario)
  Object.assign(process.env, identity(openid))
  const main = createCloudMain(require('wx-server-sdk') as WxServerSdk, process.env)
  return (await captureOutput(() => main(event, { request_id: 'r' }))).value
}
async function https(scenario: Parameters<typeof createBackend>[0], event: unknown, openid = USER): Promise<Result> {
  loopback.wechat.backend = createBackend(scenario)
  // Deployed, an HTTPS-transport function still has the environment's database (and its credentials).
  const env = { ...identity(openid), ...loopback.wechat.httpsEnv(), ...CLOUD_CREDENTIALS }
  const main = createCloudMain(ownedFakeCloud(createBackend(), env) as unknown as WxServerSdk, env)
  return (await captureOutput(() => main(event, { request_id: 'r' }))).value
}

describe('the cloud call as wx-server-sdk documents it', () => {
  test('cloud.openapi.logistics.getOrder gets camelCase parameters, and the SDK converts them', async () => {
    const { result, cloud } = await fake({}, SF)
    expect(result).toMatchObject({ ok: true })
    expect(cloud.sdkCalls).toEqual([
      { api: 'logistics.getOrder', convertCase: true, given: { orderId: SF.orderId, deliveryId: 'SF', waybillId: '123456789', printType: 1, customRemark: '易碎', openid: USER } },
    ])
    expect(cloud.calls[0]!.data).toEqual({ order_id: SF.orderId, delivery_id: 'SF', waybill_id: '123456789', print_type: 1, custom_remark: '易碎', openid: USER })
  })

  test('batchGetOrder gets orderList', async () => {
    const { cloud } = await fake({}, { orders: [{ orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO', waybillId: '73100012345678' }] }, ADMIN)
    expect(cloud.sdkCalls[0]).toEqual({ api: 'logistics.batchGetOrder', convertCase: true, given: { orderList: [{ orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO', waybillId: '73100012345678' }] } })
  })

  test('through the real SDK the wire carries exactly the documented snake_case fields', async () => {
    const before = loopback.gateway.requests.length
    expect(await real({}, SF)).toMatchObject({ ok: true })
    expect(await real({}, { orders: [{ orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO', waybillId: '73100012345678' }] }, ADMIN)).toMatchObject({ ok: true })
    const sent = loopback.gateway.requests.slice(before)
    expect(sent.map((r) => r.apiName)).toEqual(['logistics.getOrder', 'logistics.batchGetOrder'])
    expect(sent[0]!.data).toEqual({ order_id: SF.orderId, delivery_id: 'SF', waybill_id: '123456789', print_type: 1, custom_remark: '易碎', openid: USER })
    for (const r of sent) {
      expect(Object.keys(r.data).filter((k) => !WIRE_KEYS.has(k))).toEqual([])
      for (const item of (r.data.order_list as Record<string, unknown>[] | undefined) ?? []) expect(Object.keys(item).filter((k) => !ITEM_KEYS.has(k))).toEqual([])
    }
  })
})

describe("the carrier's own reason (9300501)", () => {
  test('over HTTPS a failed single order carries deliveryResultCode and deliveryResultMsg', async () => {
    expect(await https({ scenario: 'errcode-9300501' }, SF)).toMatchObject({
      ok: false,
      error: { code: 'WECHAT_ERROR', wxErrCode: 9300501, ...CARRIER, hint: expect.stringContaining('deliveryResultMsg') },
    })
  })

  test('over the cloud call a failed single order loses them, on the real SDK and the fake alike', async () => {
    const viaReal = await real({ scenario: 'errcode-9300501' }, SF)
    const viaFake = (await fake({ scenario: 'errcode-9300501' }, SF)).result
    expect(viaReal).toMatchObject({ ok: false, error: { code: 'WECHAT_ERROR', wxErrCode: 9300501 } })
    expect(viaReal.ok === false && viaReal.error).not.toHaveProperty('deliveryResultMsg')
    expect({ ...viaFake, requestId: '' }).toEqual({ ...viaReal, requestId: '' })
  })

  test.each(['fake SDK', 'real SDK', 'HTTPS'] as const)('in a batch item they come back (%s)', async (tier) => {
    const event = {
      orders: [
        { orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO' },
        { orderId: 'FAULT-errcode-9300501-1', deliveryId: 'SF' },
      ],
    }
    const r = tier === 'fake SDK' ? (await fake({}, event, ADMIN)).result : tier === 'real SDK' ? await real({}, event, ADMIN) : await https({}, event, ADMIN)
    if (!r.ok || !('orders' in r)) throw new Error(JSON.stringify(r).slice(0, 300))
    expect(r.orders[0]).toMatchObject({ ok: true })
    expect(r.orders[1]).toEqual({ ok: false, orderId: 'FAULT-errcode-9300501-1', deliveryId: 'SF', error: expect.objectContaining({ wxErrCode: 9300501, ...CARRIER }) })
  })

  test('an unknown order answers what getOrder really answers: 9300528, with a hint', async () => {
    expect(await real({}, { orderId: 'NO-SUCH-ORDER', deliveryId: 'SF' }, ADMIN)).toMatchObject({
      ok: false,
      error: { code: 'WECHAT_ERROR', wxErrCode: 9300528, hint: expect.stringContaining('addOrder') },
    })
  })
})
