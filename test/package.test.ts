/**
 * The package another project installs: `npm pack` builds dist/ on pack, ships the server library
 * and the contract types and nothing of the tests or the harness; a scratch project takes the
 * tarball (and its declared dependencies, from this project's node_modules: tests reach no
 * registry), type-checks a consumer under `strict`, and runs it with plain Node.
 */
import { execFile } from 'child_process'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { promisify } from 'util'
import { installFromLocal } from '../scripts/packageCheck'

const ROOT = path.resolve(__dirname, '..')
const run = promisify(execFile)
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
jest.setTimeout(240_000)

let listing: string[]
let consumer: string

beforeAll(async () => {
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-pack-'))
  // Packed from a copy of what the package is made of, so its dist/ is its own: another test
  // builds the project's dist/ at the same time.
  const source = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-source-'))
  for (const f of ['package.json', 'README.md', 'tsconfig.json', 'tsconfig.lib.json', 'src', 'docs']) fs.cpSync(path.join(ROOT, f), path.join(source, f), { recursive: true })
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(source, 'node_modules'))
  const { stdout } = await run('npm', ['pack', '--pack-destination', dest, '--silent'], { cwd: source, timeout: 180_000 })
  const tgz = path.join(dest, stdout.trim().split('\n').pop()!)
  listing = (await run('tar', ['tzf', tgz])).stdout.split('\n').filter(Boolean)
  // What `npm install <tarball>` lays down: the package in node_modules, with what it declares.
  consumer = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-consumer-'))
  fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies: { 'wx-getorder': `file:${tgz}` } }))
  await run('tar', ['xzf', tgz, '-C', dest])
  fs.mkdirSync(path.join(consumer, 'node_modules'))
  fs.renameSync(path.join(dest, 'package'), path.join(consumer, 'node_modules', 'wx-getorder'))
  installFromLocal(path.join(consumer, 'node_modules', 'wx-getorder'))
  // A Node project's own dev dependency, which the library's types (Buffer, NodeJS) rest on.
  fs.mkdirSync(path.join(consumer, 'node_modules', '@types'))
  fs.symlinkSync(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(consumer, 'node_modules', '@types', 'node'))
  fs.writeFileSync(
    path.join(consumer, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, module: 'node16', moduleResolution: 'node16', target: 'ES2021', noEmit: true, skipLibCheck: false, types: ['node'] }, files: ['consumer.ts'] }),
  )
})

test('the tarball holds the built library, its types and the contract, and no test, harness or tool', () => {
  for (const f of [
    'package/package.json',
    'package/README.md',
    'package/docs/contract.md',
    'package/dist/index.js',
    'package/dist/index.d.ts',
    'package/dist/types.d.ts',
    'package/dist/render/index.js',
    'package/dist/render/index.d.ts',
  ])
    expect(listing).toContain(f)
  // wxComponent's entry runs at load (it requires wx-server-sdk and reads the environment): not a library file.
  expect(listing).not.toContain('package/dist/cloud/wxComponent.js')
  expect(listing.filter((f) => /\.test\.|^package\/(src|test|scripts|cloudfunctions|miniprogram|examples)\//.test(f))).toEqual([])
  // wx-getorder/testing ships the in-process fakes it runs on, and nothing of the loopback servers or the CLI runner.
  expect(listing).toContain('package/dist/testing/index.js')
  expect(listing.filter((f) => /\/harness\/(gateway|wechatServer|bootstrap|invoke|upstream|batchFile)\./.test(f))).toEqual([])
})

test('a strict consumer type-checks an import of createGetOrderHandler, Result and the contract types', async () => {
  fs.writeFileSync(
    path.join(consumer, 'consumer.ts'),
    `import { createGetOrderHandler, trustServerCallers, type Result, type Transport } from 'wx-getorder'
import type { Order, WarningCode } from 'wx-getorder/contract'
const transport: Transport = {
  name: 'stub',
  getOrder: async () => ({ errcode: 0, order_id: 'A', delivery_id: 'SF', order_status: 1, waybill_data: [] }),
  batchGetOrder: async () => ({ errcode: 0, order_list: [] }),
}
const handler = createGetOrderHandler({ transport, caller: () => undefined, access: trustServerCallers })
export async function read(): Promise<Order | undefined> {
  const r: Result = await handler({ orderId: 'A', deliveryId: 'SF' })
  return r.ok && 'order' in r ? r.order : undefined
}
export const cancelled: WarningCode = 'ORDER_CANCELLED'
`,
  )
  // The consumer has no playwright-core or pdf-lib: rendering is an optional entry point of its own.
  for (const peer of ['playwright-core', 'pdf-lib']) expect(fs.existsSync(path.join(consumer, 'node_modules', peer))).toBe(false)
  await run(process.execPath, [TSC, '-p', consumer])
  // The check is real: a wrong use of the same types fails it.
  fs.writeFileSync(path.join(consumer, 'consumer.ts'), `import type { Order } from 'wx-getorder/contract'\nexport const o: Order = { orderId: 1 }\n`)
  const err = await run(process.execPath, [TSC, '-p', consumer]).catch((e: { stdout: string }) => e)
  expect(String((err as { stdout?: string }).stdout)).toMatch(/error TS2322/)
})

test('the main entry loads nothing of the renderer; wx-getorder/render says what it needs when its peers are missing', async () => {
  const script = `
    require('wx-getorder')
    const loaded = Object.keys(require.cache).filter((f) => /playwright-core|pdf-lib|[\\/]render[\\/]/.test(f))
    const render = require('wx-getorder/render')
    render.renderLabel('<p>x</p>', { outDir: require('os').tmpdir(), name: 'x', executablePath: process.execPath })
      .catch((e) => process.stdout.write(JSON.stringify({ loaded, error: e.name, hint: e.hint })))
  `
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: consumer })
  expect(JSON.parse(stdout)).toEqual({ loaded: [], error: 'LabelRenderError', hint: expect.stringContaining('playwright-core') })
})

test('plain Node requires it and runs the handler', async () => {
  const script = `
    const lib = require('wx-getorder')
    const { WARNING_CODES } = require('wx-getorder/contract')
    const transport = { name: 'stub', getOrder: async () => ({ errcode: 0, order_id: 'A', delivery_id: 'SF', order_status: 1, waybill_data: [] }), batchGetOrder: async () => ({}) }
    lib.createGetOrderHandler({ transport, caller: () => undefined, access: lib.trustServerCallers })({ orderId: 'A', deliveryId: 'SF' })
      .then((r) => process.stdout.write(JSON.stringify({ ok: r.ok, status: r.order.status, warnings: r.warnings.map((w) => w.code), known: WARNING_CODES.includes('ORDER_CANCELLED') })))
  `
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: consumer })
  expect(JSON.parse(stdout)).toEqual({ ok: true, status: 'cancelled', warnings: ['PRINT_HTML_MISSING', 'ORDER_CANCELLED'], known: true })
})

describe('wx-getorder/testing from the tarball', () => {
  test('a test cloud answers as the function does: an admin reads the label decoded, a stranger is refused, 40001 is AUTH_ERROR, snake_case is INVALID_ARGUMENT', async () => {
    const script = `
      const { createTestCloud } = require('wx-getorder/testing')
      const A = 'oADMIN-tarball-000001'
      const orders = [{ orderId: 'T1', deliveryId: 'SF', waybillId: 'SF1', printHtml: '<html><body>收件人</body></html>' }]
      const ask = (o, data = { orderId: 'T1', deliveryId: 'SF' }) => { const c = createTestCloud({ orders, ...o }); return c.callFunction({ name: 'getOrder', data }).then(({ result }) => ({ result, calls: c.calls.length })) }
      Promise.all([
        ask({ caller: { openid: A }, admins: [A] }),
        ask({ caller: { openid: 'oSTRANGER-00000000001' }, admins: [A] }),
        ask({ caller: { openid: A }, admins: [A], scenario: 'errcode-40001' }),
        ask({ caller: { openid: A }, admins: [A] }, { order_id: 'T1', delivery_id: 'SF' }),
      ]).then(([ok, stranger, auth, snake]) => process.stdout.write(JSON.stringify({
        label: ok.result.ok && ok.result.order.printHtml,
        stranger: [stranger.result.error.code, stranger.calls],
        auth: [auth.result.error.code, auth.result.error.wxErrCode],
        snake: [snake.result.error.code, snake.calls],
        loaded: Object.keys(require.cache).filter((f) => /gateway|protobufjs|playwright|ioredis|busboy/.test(f)),
      })))
    `
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: consumer })
    expect(JSON.parse(stdout)).toEqual({ label: '<html><body>收件人</body></html>', stranger: ['PERMISSION_DENIED', 0], auth: ['AUTH_ERROR', 40001], snake: ['INVALID_ARGUMENT', 0], loaded: [] })
  })

  test('a strict TypeScript consumer type-checks against wx-getorder/testing, and a wrong use fails', async () => {
    fs.writeFileSync(
      path.join(consumer, 'consumer.ts'),
      `import { createTestCloud, type TestCloud, type TestOrder, TEST_SCENARIOS } from 'wx-getorder/testing'
const orders: TestOrder[] = [{ orderId: 'A', deliveryId: 'SF', printHtml: '<p>x</p>', status: 'cancelled' }]
export const cloud: TestCloud = createTestCloud({ orders, caller: { openid: 'o1' }, admins: ['o1'], scenario: 'errcode-40001' })
export async function status(): Promise<string | undefined> {
  const { result } = await cloud.callFunction({ name: 'getOrder', data: { orderId: 'A', deliveryId: 'SF' } })
  return result.ok && 'order' in result ? result.order.status : result.ok ? undefined : result.error.code
}
export const known: string = TEST_SCENARIOS['platform--604101']
`,
    )
    await run(process.execPath, [TSC, '-p', consumer])
    fs.writeFileSync(path.join(consumer, 'consumer.ts'), `import { createTestCloud } from 'wx-getorder/testing'\nexport const c = createTestCloud({ scenario: 'no-such-fault' })\n`)
    const err = await run(process.execPath, [TSC, '-p', consumer]).catch((e: { stdout: string }) => e)
    expect(String((err as { stdout?: string }).stdout)).toMatch(/error TS2322/)
  })

  test('examples/consumer-jest passes from the tarball: a cloud function that calls getOrder, and a mini program page', async () => {
    const example = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-example-'))
    fs.cpSync(path.join(ROOT, 'examples', 'consumer-jest'), example, { recursive: true })
    // The package as npm would install it from the tarball, and jest from this project (no registry in tests).
    fs.mkdirSync(path.join(example, 'node_modules'))
    fs.cpSync(path.join(consumer, 'node_modules'), path.join(example, 'node_modules'), { recursive: true, dereference: true })
    fs.symlinkSync(path.join(ROOT, 'node_modules', 'jest'), path.join(example, 'node_modules', 'jest'))
    const { stdout, stderr } = await run(process.execPath, [path.join(example, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci'], { cwd: example, timeout: 120_000 }).catch(
      (e: { stdout: string; stderr: string }) => {
        throw new Error(`the example failed:\n${e.stdout}\n${e.stderr}`.slice(-3000))
      },
    )
    expect(`${stdout}${stderr}`).toMatch(/Tests:\s+5 passed, 5 total/)
  })
})
