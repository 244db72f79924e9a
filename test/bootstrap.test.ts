/**
 * The committed cloudfunctions/getOrder/index.js, run by the CloudBase CLI's own runtime
 * bootstrap in a child process, with the real wx-server-sdk against the loopback gateway.
 */
import { execFile } from 'child_process'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { promisify } from 'util'
import { createBackend, demoOrders } from '../src/harness/backend'
import { identityEnv, runUnderBootstrap } from '../src/harness/bootstrap'
import { type FakeGateway, startGateway } from '../src/harness/gateway'
import { labelHtml } from '../src/harness/labels'
import { demoOwnerRecords, OWNERSHIP_ENV, seedOwners } from '../src/harness/owners'
import { ADMIN, checkExpectation, SCENARIO_TABLE, USER } from './support/scenarios'

const ROOT = path.resolve(__dirname, '..')
const FUNCTION_DIR = path.join(ROOT, 'cloudfunctions', 'getOrder')
let gateway: FakeGateway

beforeAll(async () => {
  gateway = await startGateway()
  seedOwners(gateway.db, demoOwnerRecords(USER))
})
afterAll(() => gateway.close())

describe.each(SCENARIO_TABLE.map((s) => [s.name, s] as const))('under the CLI bootstrap: %s', (_name, s) => {
  test('the artifact answers as the scenario says, and logs one clean line', async () => {
    gateway.backend = createBackend({ scenario: s.backend })
    const before = gateway.requests.length
    const env = {
      ...gateway.sdkEnv(),
      ...identityEnv(s.caller === null ? {} : { openid: s.caller }),
      ADMIN_OPENIDS: ADMIN,
      ...OWNERSHIP_ENV,
      ...s.env,
    }
    const run = await runUnderBootstrap({ functionDir: FUNCTION_DIR, event: s.event, env, timeoutSec: s.timeLimitMs ? s.timeLimitMs / 1000 : 3 })
    expect(checkExpectation(s, run.result)).toEqual([])
    if (s.calls !== undefined) expect(gateway.requests.length - before).toBe(s.calls)
    expect(run.exitCode).toBe(0)
    const lines = run.logs.filter((l) => l.msg === 'getOrder')
    expect(lines).toHaveLength(1)
    if (s.caller !== null) expect(run.stdout + run.stderr).not.toContain(s.caller)
    expect(run.stdout.split('返回结果：')[0]).not.toMatch(/<html|顺丰速运/)
  })
})

test('the silence scenario is answered before the platform would kill the function', async () => {
  gateway.backend = createBackend({ scenario: 'silence' })
  const run = await runUnderBootstrap({
    functionDir: FUNCTION_DIR,
    event: { orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO' },
    env: { ...gateway.sdkEnv(), ...identityEnv({ openid: USER }), ...OWNERSHIP_ENV },
    timeoutSec: 3,
  })
  expect(run.result).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } })
  expect(Number(run.logs[0]?.ms)).toBeLessThan(3000)
})

test('npm start, as a user runs it, prints the summary and writes the label with its Chinese intact', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-start-'))
  const { stdout } = await promisify(execFile)('npm', ['start', '-s', '--', '--order', 'DEMO-GBK-0001', '--out', out], { cwd: ROOT, env: { ...process.env } })
  expect(stdout).toContain('status     normal')
  expect(stdout).toContain('STO_mark  成都 西南 028')
  const file = path.join(out, 'DEMO-GBK-0001.html')
  expect(stdout).toContain('DEMO-GBK-0001.html')
  const html = fs.readFileSync(file, 'utf8')
  expect(html).toBe(labelHtml(demoOrders().find((d) => d.order_id === 'DEMO-GBK-0001')!.label!))
  expect(html).toContain('申通快递')
  expect(html.startsWith('<!DOCTYPE html>')).toBe(true)
})

test('npm start -- --help lists the options', async () => {
  const { stdout } = await promisify(execFile)('npm', ['start', '-s', '--', '--help'], { cwd: ROOT })
  for (const opt of ['--order', '--carrier', '--waybill', '--print-type', '--caller', '--admin', '--scenario', '--batch', '--json', '--live', '--env', '--print-html-as']) {
    expect(stdout).toContain(opt)
  }
})

test('npm start -- --live without credentials says what is missing and exits 2', async () => {
  const env = { ...process.env }
  delete env.TENCENTCLOUD_SECRETID
  delete env.TENCENTCLOUD_SECRETKEY
  await expect(promisify(execFile)('npm', ['start', '-s', '--', '--live', '--env', 'some-env'], { cwd: ROOT, env })).rejects.toMatchObject({
    code: 2,
    stderr: expect.stringContaining('TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY'),
  })
})

test('npm start -- --transport https runs the main job over HTTPS against the fake WeChat API server', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-start-'))
  const { stdout } = await promisify(execFile)('npm', ['start', '-s', '--', '--transport', 'https', '--order', 'DEMO-ZTO-0001', '--out', out], { cwd: ROOT })
  expect(stdout).toContain('via the HTTPS API')
  expect(stdout).toContain('status     cancelled')
  expect(fs.readFileSync(path.join(out, 'DEMO-ZTO-0001.html'), 'utf8')).toContain('中通快递')
})

test('the committed bundle calls the SDK as documented: the wire carries exactly the API fields, snake_case', async () => {
  gateway.backend = createBackend()
  const before = gateway.requests.length
  const event = { orderId: '01234567890123456789', deliveryId: 'SF', waybillId: '123456789', printType: 1, customRemark: '易碎' }
  const run = await runUnderBootstrap({ functionDir: FUNCTION_DIR, event, env: { ...gateway.sdkEnv(), ...identityEnv({ openid: USER }), ...OWNERSHIP_ENV }, timeoutSec: 3 })
  expect(run.result).toMatchObject({ ok: true, order: { orderId: event.orderId } })
  expect(gateway.requests.slice(before)).toEqual([
    {
      action: 'wx.openApi',
      apiName: 'logistics.getOrder',
      data: { order_id: event.orderId, delivery_id: 'SF', waybill_id: '123456789', print_type: 1, custom_remark: '易碎', openid: USER },
    },
  ])
})

test('npm start -- --batch examples/orders.json runs as shipped: read as the demo admin, and it says so', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-start-'))
  const { stdout } = await promisify(execFile)('npm', ['start', '-s', '--', '--batch', 'examples/orders.json', '--out', out], { cwd: ROOT })
  expect(stdout).toContain('batch: read as the demo admin')
  expect(stdout).toContain('caller     admin')
  expect(stdout).toMatch(/NO-SUCH-ORDER \(SF\) failed: WECHAT_ERROR/)
  expect(stdout).toContain('ORDER_CANCELLED')
})

test('npm start -- --batch with a plain caller keeps that caller: refused, with what it needs', async () => {
  const err = await promisify(execFile)('npm', ['start', '-s', '--', '--batch', 'examples/orders.json', '--caller', 'oSOMEONE-0000000000001'], { cwd: ROOT }).catch((e) => e)
  expect(err.code).toBe(1)
  expect(err.stdout).toContain('PERMISSION_DENIED')
  expect(err.stdout).toContain('a batch needs an admin or a trusted server')
  expect(err.stdout).not.toContain('read as the demo admin')
})

test('a malformed batch file gets one clear line a problem, naming the item', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-start-'))
  const object = path.join(dir, 'object.json')
  fs.writeFileSync(object, JSON.stringify({ orderId: 'A', deliveryId: 'SF' }))
  const items = path.join(dir, 'items.json')
  fs.writeFileSync(items, JSON.stringify([{ order_id: 'A' }, 5, { orderId: 'B', deliveryId: 'SF' }]))
  const e1 = await promisify(execFile)('npm', ['start', '-s', '--', '--batch', object], { cwd: ROOT }).catch((e) => e)
  expect(e1.code).toBe(2)
  expect(e1.stderr).toContain('not a batch: expected a JSON array')
  const e2 = await promisify(execFile)('npm', ['start', '-s', '--', '--batch', items], { cwd: ROOT }).catch((e) => e)
  expect(e2.code).toBe(2)
  const lines = (e2.stderr as string).split('\n').filter((l) => l.startsWith(items))
  expect(lines).toEqual([
    `${items}: item 1 has no orderId (a non-empty string).`,
    `${items}: item 1 has no deliveryId (a non-empty string).`,
    `${items}: item 1 has "order_id": an order takes only orderId, deliveryId and waybillId.`,
    `${items}: item 2 is not an object { orderId, deliveryId, waybillId? }.`,
  ])
})

test('an event larger than an environment variable may hold (128 KiB) reaches the function whole', async () => {
  gateway.backend = createBackend()
  // 1000 orders with 120-character ids: about 170 KB of event, which once failed with spawn E2BIG.
  const orders = Array.from({ length: 1000 }, (_, i) => ({ orderId: `LONG-${String(i).padStart(4, '0')}-${'x'.repeat(110)}`, deliveryId: 'SF' }))
  expect(JSON.stringify({ orders }).length).toBeGreaterThan(128 * 1024)
  const run = await runUnderBootstrap({
    functionDir: FUNCTION_DIR,
    event: { orders, printHtmlAs: 'none' },
    // Small labels, said: chunks of 100 (the default sizes chunks for 3.75 MB labels, two orders a call).
    env: { ...gateway.sdkEnv(), ...identityEnv({ openid: ADMIN }), ADMIN_OPENIDS: ADMIN, BATCH_MAX_LABEL_KB: '64' },
    timeoutSec: 10,
  })
  if (!run.result) throw new Error((run.stdout + run.stderr).slice(-1500))
  expect(run.result).toMatchObject({ ok: true })
  const items = run.result!.ok && 'orders' in run.result! ? run.result!.orders : []
  expect(items).toHaveLength(1000)
  expect(items[999]).toMatchObject({ ok: false, orderId: orders[999]!.orderId, error: { wxErrCode: 9300528 } })
})

test('npm start -- --list shows the sandbox carrier TEST among the demo orders', async () => {
  const { stdout } = await promisify(execFile)('npm', ['start', '-s', '--', '--list'], { cwd: ROOT })
  expect(stdout).toMatch(/DEMO-TEST-0001\s+TEST\s+status 0/)
})
