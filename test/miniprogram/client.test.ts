import { createBackend } from '../../src/harness/backend'
import { createFakeCloud } from '../../src/harness/fakeSdk'
import { demoOwnerRecords, OWNERSHIP_ENV, seedOwners } from '../../src/harness/owners'
import { createCloudMain, type WxServerSdk } from '../../src/cloud/entry'
import { type CloudCaller, createGetOrderClient, GetOrderError } from '../../miniprogram/lib/client'

/** A fake wx.cloud that runs the real function in-process, as the platform would, and counts calls. */
function fakeWxCloud(env: Record<string, string> = {}) {
  const user = 'oUSER-000000000000'
  const fullEnv = { TENCENTCLOUD_SECRETID: 'x', TENCENTCLOUD_SECRETKEY: 'y', WX_CONTEXT_KEYS: 'WX_OPENID', WX_OPENID: user, ...OWNERSHIP_ENV, ...env }
  const sdk = createFakeCloud({ backend: createBackend(), env: fullEnv })
  // The merchant recorded the user's orders, one of them unknown to WeChat (it answers 9300528).
  seedOwners(sdk.db, [...demoOwnerRecords(user), { orderId: 'NO-SUCH', deliveryId: 'SF', openid: user }])
  const main = createCloudMain(sdk as unknown as WxServerSdk, fullEnv)
  const calls: { name: string; data: Record<string, unknown> }[] = []
  const cloud: CloudCaller = {
    async callFunction(param) {
      calls.push(param)
      const write = process.stdout.write
      process.stdout.write = () => true
      try {
        // What callFunction does: JSON in, JSON out.
        return { result: JSON.parse(JSON.stringify(await main(JSON.parse(JSON.stringify(param.data)), { request_id: 'rq' }))) }
      } finally {
        process.stdout.write = write
      }
    },
  }
  return { cloud, calls, sdk }
}

test('success: the order, its warnings and the request id', async () => {
  const { cloud, calls } = fakeWxCloud()
  const client = createGetOrderClient(cloud)
  const r = await client.getOrder({ orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO' })
  expect(r).toMatchObject({ requestId: 'rq', warnings: [{ code: 'ORDER_CANCELLED', message: expect.any(String) }], order: { status: 'cancelled', waybillData: { ZTO_mark: '杭州 A01' } } })
  expect(calls).toEqual([{ name: 'getOrder', data: { orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO' } }])
})

test('a contract error is thrown as GetOrderError with its code, hint and retryable flag', async () => {
  expect.assertions(2)
  const { cloud } = fakeWxCloud()
  const client = createGetOrderClient(cloud)
  try {
    await client.getOrder({ orderId: 'DEMO-ZTO-0001', deliveryId: 'Z T O' })
  } catch (e) {
    expect(e).toBeInstanceOf(GetOrderError)
    expect(e).toMatchObject({ name: 'GetOrderError', code: 'INVALID_ARGUMENT', field: 'deliveryId', retryable: false, requestId: 'rq' })
  }
})

test('an upstream error carries the upstream code and the hint', async () => {
  const { cloud } = fakeWxCloud()
  await expect(createGetOrderClient(cloud).getOrder({ orderId: 'NO-SUCH', deliveryId: 'SF' })).rejects.toMatchObject({ code: 'WECHAT_ERROR', wxErrCode: 9300528, hint: expect.any(String) })
})

test.each([
  // Message shapes as the platform sends them (reported from production).
  [{ errMsg: 'cloud.callFunction:fail -504003 Invoking task timed out after 3 seconds' }, 'TIMEOUT', true],
  [{ errCode: -404011, errMsg: 'cloud.callFunction:fail -404011 cloud function execution error | errCode: -504003 | errMsg: Invoking task timed out after 3 seconds' }, 'TIMEOUT', true],
  [
    {
      errCode: -404011,
      errMsg: "cloud.callFunction:fail Error: errCode: -404011 cloud function execution error | errMsg: errCode: -504002 functions execute fail | errMsg: Error: Cannot find module 'wx-server-sdk'",
    },
    'CONFIG_ERROR',
    false,
  ],
  [
    { errCode: -404011, errMsg: 'cloud.callFunction:fail -404011 cloud function execution error | errCode: -504002 functions execute fail | errMsg: TypeError: x is not a function' },
    'INTERNAL',
    false,
  ],
  [{ errCode: -504003, errMsg: 'cloud.callFunction:fail Invoking task timed out after 3 seconds' }, 'TIMEOUT', true],
  [{ errCode: -501000, errMsg: 'cloud.callFunction:fail FunctionName parameter could not be found' }, 'CONFIG_ERROR', false],
  [{ errCode: -1, errMsg: 'cloud.callFunction:fail request:fail' }, 'UPSTREAM_UNAVAILABLE', true],
  [new Error('offline'), 'UPSTREAM_UNAVAILABLE', true],
])('a transport failure of callFunction (%p) is a GetOrderError %s', async (thrown, code, retryable) => {
  let n = 0
  const cloud: CloudCaller = { callFunction: async () => (n++, Promise.reject(thrown)) }
  await expect(createGetOrderClient(cloud).getOrder({ orderId: '1', deliveryId: 'SF' })).rejects.toMatchObject({ name: 'GetOrderError', code, retryable })
  expect(n).toBe(1)
})

test('an answer that is not a getOrder result is BAD_RESPONSE', async () => {
  const cloud: CloudCaller = { callFunction: async () => ({ result: { hello: 'world' } }) }
  await expect(createGetOrderClient(cloud).getOrder({ orderId: '1', deliveryId: 'SF' })).rejects.toMatchObject({ code: 'BAD_RESPONSE' })
})

test('batchGetOrder returns one item per input', async () => {
  const { cloud } = fakeWxCloud({ ADMIN_OPENIDS: 'oUSER-000000000000' })
  const items = await createGetOrderClient(cloud).batchGetOrder(
    [
      { orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO' },
      { orderId: 'NO', deliveryId: 'SF' },
    ],
    { printHtmlAs: 'none' },
  )
  expect(items.map((i) => i.ok)).toEqual([true, false])
})

test('the function name can be changed', async () => {
  const { cloud, calls } = fakeWxCloud()
  await createGetOrderClient(cloud, { name: 'getOrderV2' }).getOrder({ orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO' })
  expect(calls[0]!.name).toBe('getOrderV2')
})
