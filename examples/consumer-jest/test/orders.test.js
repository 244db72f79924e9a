// The merchant's own tests, on the test cloud wx-getorder/testing provides: the real getOrder core,
// a scripted WeChat, and the platform's answers, with no cloud account and no socket.
const path = require('path')
const { createTestCloud } = require('wx-getorder/testing')

const ADMIN = 'oADMIN-merchant-0000001'
const USER = 'oUSER-merchant-00000001'
const ORDERS = [
  { orderId: 'M-1001', deliveryId: 'SF', waybillId: 'SF1001', printHtml: '<html><body>收件人 王五</body></html>', waybillData: { SF_mark: '021' } },
  { orderId: 'M-1002', deliveryId: 'ZTO', waybillId: 'ZTO1002', status: 'cancelled' },
]

describe('the orderStatus cloud function', () => {
  let cloud
  let main
  beforeEach(() => {
    jest.resetModules()
    cloud = createTestCloud({ orders: ORDERS, admins: [ADMIN], caller: { openid: ADMIN } })
    jest.doMock('wx-server-sdk', () => cloud.sdk, { virtual: true })
    main = require(path.join(__dirname, '..', 'cloudfunctions', 'orderStatus')).main
  })

  test('answers the status and the carrier marks of an order', async () => {
    expect(await main({ orderId: 'M-1001', deliveryId: 'SF' })).toEqual({ ok: true, status: 'normal', waybillId: 'SF1001', marks: { SF_mark: '021' } })
    expect(cloud.calls).toHaveLength(1)
  })

  test('a cancelled waybill says so', async () => {
    expect(await main({ orderId: 'M-1002', deliveryId: 'ZTO' })).toMatchObject({ ok: true, status: 'cancelled' })
  })

  test('a caller who is no admin is refused before WeChat is asked', async () => {
    cloud.setCaller({ openid: USER })
    expect(await main({ orderId: 'M-1001', deliveryId: 'SF' })).toEqual({ ok: false, code: 'PERMISSION_DENIED', retryable: false })
    expect(cloud.calls).toHaveLength(0)
  })
})

describe('the order page', () => {
  function loadPage(cloud) {
    let definition
    global.Page = (d) => (definition = d)
    global.wx = { cloud: cloud.wxCloud }
    jest.isolateModules(() => require(path.join(__dirname, '..', 'miniprogram', 'pages', 'order', 'order.js')))
    // What the mini program framework gives a page: its data, and setData merging into it.
    const page = { ...definition, data: { ...definition.data } }
    page.setData = (patch) => Object.assign(page.data, patch)
    return page
  }

  test("shows the order's status and its decoded label", async () => {
    const page = loadPage(createTestCloud({ orders: ORDERS, admins: [ADMIN], caller: { openid: ADMIN } }))
    await page.lookUp({ orderId: 'M-1001', deliveryId: 'SF' })
    expect(page.data).toMatchObject({ status: 'normal', label: '<html><body>收件人 王五</body></html>', error: '' })
  })

  test("shows WeChat's refusal with its hint when the token is bad", async () => {
    const page = loadPage(createTestCloud({ orders: ORDERS, admins: [ADMIN], caller: { openid: ADMIN }, scenario: 'errcode-40001' }))
    await page.lookUp({ orderId: 'M-1001', deliveryId: 'SF' })
    expect(page.data.error).toMatch(/^AUTH_ERROR: /)
  })
})
