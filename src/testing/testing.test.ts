import { createTestCloud, TEST_SCENARIOS } from './index'

const A = 'oADMIN-test-000000001'
const STRANGER = 'oSTRANGER-0000000001'
const ORDER = { orderId: 'A1', deliveryId: 'SF', waybillId: 'SF123', printHtml: '<!DOCTYPE html><html><body>收件人 张三</body></html>', waybillData: { SF_mark: '101' } }

describe('createTestCloud', () => {
  test('an admin reads the order, its label decoded; what reached WeChat is inspectable', async () => {
    const cloud = createTestCloud({ orders: [ORDER], caller: { openid: A }, admins: [A] })
    const { result, errMsg } = await cloud.callFunction({ name: 'getOrder', data: { orderId: 'A1', deliveryId: 'SF' } })
    expect(errMsg).toBe('cloud.callFunction:ok')
    expect(result).toMatchObject({ ok: true, order: { orderId: 'A1', waybillId: 'SF123', status: 'normal', printHtml: ORDER.printHtml, waybillData: { SF_mark: '101' } } })
    expect(cloud.calls).toEqual([expect.objectContaining({ api: 'logistics.getOrder', data: expect.objectContaining({ order_id: 'A1', delivery_id: 'SF' }) })])
  })

  test.each([
    ['a stranger under the default policy', { caller: { openid: STRANGER }, admins: [A] }, { orderId: 'A1', deliveryId: 'SF' }, 'PERMISSION_DENIED', 0],
    ['a snake_case event', { caller: { openid: A }, admins: [A] }, { order_id: 'A1', delivery_id: 'SF' }, 'INVALID_ARGUMENT', 0],
    ['errcode 40001 from WeChat', { caller: { openid: A }, admins: [A], scenario: 'errcode-40001' as const }, { orderId: 'A1', deliveryId: 'SF' }, 'AUTH_ERROR', 1],
    ['no permission for the API', { caller: { openid: A }, admins: [A], scenario: 'platform--604101' as const }, { orderId: 'A1', deliveryId: 'SF' }, 'CONFIG_ERROR', 1],
  ])('%s: %s', async (_name, options, data, code, calls) => {
    const cloud = createTestCloud({ orders: [ORDER], ...options })
    const { result } = await cloud.callFunction({ name: 'getOrder', data })
    expect(result).toMatchObject({ ok: false, error: { code } })
    if (code === 'AUTH_ERROR') expect(result).toMatchObject({ error: { wxErrCode: 40001 } })
    expect(cloud.calls.length).toBeGreaterThanOrEqual(calls)
    if (calls === 0) expect(cloud.calls).toEqual([])
  })

  test('owners: a plain user reads the order recorded as theirs, and nothing else', async () => {
    const cloud = createTestCloud({ orders: [ORDER, { ...ORDER, orderId: 'B2' }], caller: { openid: STRANGER }, owners: [{ orderId: 'A1', deliveryId: 'SF', openid: STRANGER }] })
    expect((await cloud.callFunction({ name: 'getOrder', data: { orderId: 'A1', deliveryId: 'SF' } })).result).toMatchObject({ ok: true })
    expect((await cloud.callFunction({ name: 'getOrder', data: { orderId: 'B2', deliveryId: 'SF' } })).result).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } })
    expect(cloud.calls).toHaveLength(1)
  })

  test('the caller can change; a function that is not getOrder is refused as the platform refuses it', async () => {
    const cloud = createTestCloud({ orders: [ORDER], admins: [A] })
    expect((await cloud.callFunction({ name: 'getOrder', data: { orderId: 'A1', deliveryId: 'SF' } })).result).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } })
    cloud.setCaller({ openid: A })
    expect((await cloud.callFunction({ name: 'getOrder', data: { orderId: 'A1', deliveryId: 'SF' } })).result).toMatchObject({ ok: true })
    await expect(cloud.callFunction({ name: 'getOrdr', data: {} })).rejects.toThrow(/FunctionName getOrdr not found/)
  })

  test('the wx.cloud stand-in answers through success, and the SDK stand-in calls the API in its own shapes', async () => {
    const cloud = createTestCloud({ orders: [ORDER], caller: { openid: A }, admins: [A] })
    const success = jest.fn()
    await cloud.wxCloud.callFunction({ name: 'getOrder', data: { orderId: 'A1', deliveryId: 'SF' }, success })
    expect(success).toHaveBeenCalledWith(expect.objectContaining({ result: expect.objectContaining({ ok: true }) }))
    cloud.sdk.init({ env: cloud.sdk.DYNAMIC_CURRENT_ENV })
    // wx-server-sdk's own answer: camelCase, the label still base64.
    const raw = await cloud.sdk.openapi.logistics.getOrder({ orderId: 'A1', deliveryId: 'SF' })
    expect(raw).toMatchObject({ errCode: 0, orderId: 'A1', printHtml: Buffer.from(ORDER.printHtml).toString('base64') })
    expect(cloud.sdk.getWXContext()).toMatchObject({ OPENID: A })
  })

  test('the scenarios are listed', () => {
    expect(Object.keys(TEST_SCENARIOS)).toEqual(expect.arrayContaining(['errcode-40001', 'platform--604101', 'silence']))
  })
})
