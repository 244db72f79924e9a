/**
 * @jest-environment jsdom
 *
 * The demo page, run in the official simulator (miniprogram-simulate, j-component): it renders,
 * its inputs fire, the lookup calls wx.cloud.callFunction and shows the order, and a timeout and a
 * contract error show their messages. The page's wx.cloud runs the real function in-process.
 */
import * as path from 'path'
import { TextDecoder, TextEncoder } from 'util'
import { createCloudMain, type WxServerSdk } from '../../src/cloud/entry'
import { createBackend } from '../../src/harness/backend'
import { createFakeCloud } from '../../src/harness/fakeSdk'
import { demoOwnerRecords, OWNERSHIP_ENV, seedOwners } from '../../src/harness/owners'

// What jsdom lacks and the simulator's dependencies use.
Object.assign(globalThis, { TextDecoder, TextEncoder, setImmediate: (fn: () => void) => setTimeout(fn, 0) })

const PAGE = path.resolve(__dirname, '../../miniprogram/pages/order/order')
const USER = 'oUSER-page-0000000001'

type CallFunction = (param: { name: string; data: Record<string, unknown> }) => Promise<{ result?: unknown }>
const calls: { name: string; data: Record<string, unknown> }[] = []
let callFunction: CallFunction

/** wx.cloud as the platform gives it to the page: JSON in, the function's answer out. */
function realFunction(): CallFunction {
  const env = { TENCENTCLOUD_SECRETID: 'x', TENCENTCLOUD_SECRETKEY: 'y', WX_CONTEXT_KEYS: 'WX_OPENID', WX_OPENID: USER, TCB_SOURCE: 'wx_client', ...OWNERSHIP_ENV }
  const sdk = createFakeCloud({ backend: createBackend(), env })
  // The merchant recorded the user's orders, one of them unknown to WeChat (it answers 9300528).
  seedOwners(sdk.db, [...demoOwnerRecords(USER), { orderId: 'NO-SUCH-ORDER', deliveryId: 'SF', openid: USER }])
  const main = createCloudMain(sdk as unknown as WxServerSdk, env)
  return async ({ data }) => {
    const write = process.stdout.write
    process.stdout.write = () => true
    try {
      return { result: JSON.parse(JSON.stringify(await main(JSON.parse(JSON.stringify(data)), { request_id: 'page' }))) }
    } finally {
      process.stdout.write = write
    }
  }
}

// The page reads wx.cloud when its module loads, and calls Page(): the simulator knows Component().
;(globalThis as Record<string, unknown>).wx = {
  cloud: { init() {}, callFunction: (param: { name: string; data: Record<string, unknown> }) => (calls.push(param), callFunction(param)) },
}
;(globalThis as Record<string, unknown>).Page = (def: Record<string, unknown>) => {
  const { data, ...methods } = def
  ;(globalThis as unknown as { Component(o: object): void }).Component({ data, methods })
}
/** The slice of miniprogram-simulate used here (its own typings bring the mini program's globals). */
interface SimNode {
  dispatchEvent(name: string, options?: { detail?: unknown }): void
}
interface SimPage {
  data: Record<string, unknown> & { loading?: boolean; order: unknown; error: string }
  dom: HTMLElement | undefined
  attach(parent: Element): void
  querySelector(selector: string): SimNode | undefined
  querySelectorAll(selector: string): SimNode[]
}
// Loaded after wx exists: the simulator merges its own API into the global wx.
const simulate = require('miniprogram-simulate') as { load(path: string, options: object): string; render(id: string): SimPage }

// Loaded once: the page module runs Page() when it is first required, as in the mini program.
let pageId: string | undefined
function mount() {
  pageId ??= simulate.load(PAGE, { compiler: 'simulate', rootPath: path.resolve(__dirname, '../../miniprogram') })
  const page = simulate.render(pageId)
  page.attach(document.createElement('parent-wrapper'))
  return page
}
const text = (page: SimPage) => page.dom!.textContent ?? ''
async function settle(page: SimPage) {
  for (let i = 0; i < 50 && page.data.loading; i++) await new Promise((r) => setTimeout(r, 10))
}
// The simulator delivers events on a later tick, as the mini program's view layer does.
const tick = () => new Promise((r) => setTimeout(r, 5))
async function typeInto(page: SimPage, orderId: string, deliveryId: string) {
  const [orderInput, deliveryInput] = page.querySelectorAll('.input')
  orderInput!.dispatchEvent('input', { detail: { value: orderId } })
  deliveryInput!.dispatchEvent('input', { detail: { value: deliveryId } })
  await tick()
}
async function tapLookup(page: SimPage) {
  page.querySelector('.lookup')!.dispatchEvent('tap')
  await tick()
  await settle(page)
}

beforeEach(() => {
  calls.length = 0
  callFunction = realFunction()
})

test('it renders its two fields and the lookup button', () => {
  const page = mount()
  expect(text(page)).toContain('订单号')
  expect(text(page)).toContain('快递公司')
  expect(page.querySelectorAll('.input')).toHaveLength(2)
  expect(text(page)).toContain('查询运单')
  expect(page.data).toMatchObject({ orderId: '', deliveryId: 'SF', order: null })
})

test('typing fires the inputs; the lookup calls the function and shows the order', async () => {
  const page = mount()
  await typeInto(page, 'DEMO-ZTO-0001', 'ZTO')
  expect(page.data).toMatchObject({ orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO' })
  await tapLookup(page)
  expect(calls).toEqual([{ name: 'getOrder', data: { orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO', printHtmlAs: 'none' } }])
  expect(page.data.order).toMatchObject({ orderId: 'DEMO-ZTO-0001', status: '已取消' })
  expect(text(page)).toContain('73100012345678')
  expect(text(page)).toContain('杭州 A01')
  expect(page.data.error).toBe('')
})

test('a contract error shows its code, message and hint', async () => {
  const page = mount()
  await typeInto(page, 'NO-SUCH-ORDER', 'SF')
  await tapLookup(page)
  expect(page.data.order).toBeNull()
  expect(text(page)).toContain('WECHAT_ERROR: WeChat answered errcode 9300528')
  expect(text(page)).toContain('addOrder')
})

test('a timeout of callFunction itself shows as TIMEOUT with its hint', async () => {
  callFunction = async () => Promise.reject({ errMsg: 'cloud.callFunction:fail -504003 Invoking task timed out after 3 seconds' })
  const page = mount()
  await typeInto(page, 'DEMO-ZTO-0001', 'ZTO')
  await tapLookup(page)
  expect(text(page)).toContain('TIMEOUT: The getOrder function did not answer in time.')
  expect(text(page)).toContain("raise the function's timeout")
})
