import { execFile } from 'child_process'
import * as path from 'path'
import { promisify } from 'util'
import { startWechatServer } from '../src/harness/wechatServer'

const ROOT = path.resolve(__dirname, '..')
const run = promisify(execFile)

test('npm run build:lib gives a library that plain Node (no ts-node) can require from package.json main', async () => {
  await run('npm', ['run', '-s', 'build:lib'], { cwd: ROOT, timeout: 120_000 })
  const server = await startWechatServer()
  try {
    const env = server.httpsEnv()
    const script = `
      const lib = require(${JSON.stringify(ROOT)})
      const getOrder = lib.createGetOrderHandler({
        transport: lib.httpsTransport({ baseUrl: process.env.WX_API_BASE, tokens: lib.stableTokenProvider({ appid: process.env.WX_APPID, secret: process.env.WX_APPSECRET, baseUrl: process.env.WX_API_BASE }) }),
        caller: () => undefined,
        access: lib.trustServerCallers,
      })
      getOrder({ orderId: 'DEMO-GBK-0001', deliveryId: 'STO' }).then((r) => process.stdout.write(JSON.stringify({ ok: r.ok, status: r.order && r.order.status, label: r.order && r.order.printHtml.includes('申通快递') })))
    `
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: '/', env: { ...process.env, ...env } })
    expect(JSON.parse(stdout)).toEqual({ ok: true, status: 'normal', label: true })
  } finally {
    await server.close()
  }
}, 150_000)
