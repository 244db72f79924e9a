/**
 * The third-party platform in the cloud functions: getOrder with WX_TRANSPORT=component reads for
 * a merchant named by authorizerAppid (admins and trusted servers only), with the tokens the
 * component flow keeps in the environment's database; wxComponent receives the pushes through the
 * HTTP access service's event, both as source and as the committed bundle under the CLI's runtime.
 */
import { sealerFrom, type Sealer } from '../src/component/seal'
import * as fs from 'fs'
import * as path from 'path'
import { buildComponentArtifact, COMPONENT_FUNCTION_DIR } from '../scripts/artifact'
import { COMPONENT_SERVICE_PATH, serviceArgs, tcbBin } from '../scripts/deploy'
import { createComponentMain, type ComponentSdk } from '../src/cloud/componentEntry'
import { createCloudMain, type WxServerSdk } from '../src/cloud/entry'
import { createBackend } from '../src/harness/backend'
import { identityEnv, runUnderBootstrap } from '../src/harness/bootstrap'
import { createFakeCloud } from '../src/harness/fakeSdk'
import { startGateway } from '../src/harness/gateway'
import { type FakeWechatServer, startWechatServer } from '../src/harness/wechatServer'
import type { Result, SelfTestResult } from '../src/types'
import { execFile } from 'child_process'
import { promisify } from 'util'

const ADMIN = 'oADMIN-component-000001'
const MERCHANT = 'wxMERCHANTFN000001'
const TOKEN_STORE_KEY = 'ab'.repeat(32)
const SF = { orderId: '01234567890123456789', deliveryId: 'SF' }

let wx: FakeWechatServer
beforeAll(async () => {
  wx = await startWechatServer()
})
afterAll(() => wx.close())

/** A fake SDK environment with the platform's settings, a ticket pushed and MERCHANT authorized through wxComponent. */
async function platformEnv(extra: Record<string, string> = {}, caller: { openid?: string; source?: string } = { openid: ADMIN }) {
  const env: NodeJS.ProcessEnv = { TENCENTCLOUD_SECRETID: 'id', TENCENTCLOUD_SECRETKEY: 'key', ADMIN_OPENIDS: ADMIN, ...wx.componentEnv(), TOKEN_STORE_KEY, ...identityEnv(caller), ...extra }
  const fake = createFakeCloud({ backend: createBackend(), env })
  const push = createComponentMain(fake as unknown as ComponentSdk, env, { logger: { info() {}, error() {} } })
  const http = (p: { query: Record<string, string>; body: string }) =>
    push({ httpMethod: 'POST', path: `/${COMPONENT_SERVICE_PATH}`, queryStringParameters: p.query, body: Buffer.from(p.body).toString('base64'), isBase64Encoded: true })
  expect(await http(wx.component.newTicket().push)).toMatchObject({ statusCode: 200, body: 'success' })
  const code = wx.component.authorizeMerchant(MERCHANT, [45])
  expect(
    await http(
      wx.component.push(
        `<xml><AppId>${wx.componentEnv().WX_COMPONENT_APPID}</AppId><InfoType>authorized</InfoType><AuthorizerAppid>${MERCHANT}</AuthorizerAppid><AuthorizationCode>${code}</AuthorizationCode></xml>`,
      ),
    ),
  ).toMatchObject({ statusCode: 200 })
  const logs: object[] = []
  const main = createCloudMain(fake as unknown as WxServerSdk, env, { logger: { info: (r) => logs.push(r), error: (r) => logs.push(r) } })
  return { main, fake, http, logs }
}

describe('getOrder with WX_TRANSPORT=component', () => {
  test('an admin reads for an authorized merchant, with its token; the log names the merchant', async () => {
    const { main, logs } = await platformEnv()
    const before = wx.apiRequests.length
    const r = (await main({ ...SF, authorizerAppid: MERCHANT }, { request_id: 'r1' })) as Result
    expect(r.ok).toBe(true)
    const sent = wx.apiRequests.slice(before)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.token).toMatch(/^FAKE_AUTHORIZER_TOKEN_/)
    expect(sent[0]!.body).not.toHaveProperty('authorizer_appid')
    expect(logs.at(-1)).toMatchObject({ msg: 'getOrder', transport: 'component', authorizerAppid: MERCHANT, role: 'admin' })
    expect(JSON.stringify(logs)).not.toMatch(/FAKE_(AUTHORIZER|COMPONENT)_TOKEN|FAKE_REFRESH|ticket@@@/)
  })

  test.each<[string, Record<string, unknown>, Record<string, string>, { openid?: string; source?: string }, string, RegExp]>([
    ['no authorizerAppid', SF, {}, { openid: ADMIN }, 'INVALID_ARGUMENT', /authorizerAppid is required/],
    ['an authorizerAppid that is not an AppID', { ...SF, authorizerAppid: 'merchant-1' }, {}, { openid: ADMIN }, 'INVALID_ARGUMENT', /AppID/],
    [
      'a plain user',
      { ...SF, authorizerAppid: MERCHANT },
      { ACCESS_POLICY: 'own', ORDER_OWNERS_COLLECTION: 'owners' },
      { openid: 'oUSER-plain-000000001' },
      'PERMISSION_DENIED',
      /admins and trusted server/,
    ],
    ['a merchant outside AUTHORIZER_APPIDS', { ...SF, authorizerAppid: MERCHANT }, { AUTHORIZER_APPIDS: 'wxOTHERMERCHANT001' }, { openid: ADMIN }, 'PERMISSION_DENIED', /AUTHORIZER_APPIDS/],
    ['a merchant that never authorized', { ...SF, authorizerAppid: 'wxNEVERAUTHORIZED1' }, {}, { openid: ADMIN }, 'CONFIG_ERROR', /has not authorized/],
    ['TOKEN_STORE_KEY unset', { ...SF, authorizerAppid: MERCHANT }, { TOKEN_STORE_KEY: '' }, { openid: ADMIN }, 'CONFIG_ERROR', /TOKEN_STORE_KEY/],
  ])('%s: %s before WeChat', async (_name, event, extra, caller, code, message) => {
    const { main } = await platformEnv(extra.TOKEN_STORE_KEY === '' ? {} : extra, caller)
    const bare = { TENCENTCLOUD_SECRETID: 'id', TENCENTCLOUD_SECRETKEY: 'key', ADMIN_OPENIDS: ADMIN, ...wx.componentEnv(), ...identityEnv(caller) }
    const run = extra.TOKEN_STORE_KEY === '' ? createCloudMain(createFakeCloud({ backend: createBackend(), env: bare }) as unknown as WxServerSdk, bare, { logger: { info() {}, error() {} } }) : main
    const before = wx.apiRequests.length
    const r = (await run(event, {})) as Result
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.error.code).toBe(code)
      expect(`${r.error.message} ${r.error.hint ?? ''}`).toMatch(message)
    }
    expect(wx.apiRequests.length).toBe(before)
  })

  test('authorizerAppid with the cloud transport is refused', async () => {
    const env = { TENCENTCLOUD_SECRETID: 'id', TENCENTCLOUD_SECRETKEY: 'key', ADMIN_OPENIDS: ADMIN, ...identityEnv({ openid: ADMIN }) }
    const fake = createFakeCloud({ backend: createBackend(), env })
    const main = createCloudMain(fake as unknown as WxServerSdk, env, { logger: { info() {}, error() {} } })
    const r = (await main({ ...SF, authorizerAppid: MERCHANT }, {})) as Result
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', field: 'authorizerAppid' } })
    expect(fake.calls).toHaveLength(0)
  })

  test("the self-test's permission row gets the component token", async () => {
    const { main } = await platformEnv()
    const r = (await main({ selfTest: true }, {})) as SelfTestResult
    expect(r.ok && r.selfTest.checks.find((c) => c.name === 'permission')).toMatchObject({ ok: true, detail: expect.stringMatching(/component_access_token/) })
  })
})

describe('wxComponent', () => {
  test.each<[string, Record<string, unknown>, number]>([
    ['a GET', { httpMethod: 'GET' }, 405],
    [
      'a push with a bad signature',
      { httpMethod: 'POST', queryStringParameters: { msg_signature: 'x'.repeat(40), timestamp: String(Math.floor(Date.now() / 1000)), nonce: 'n' }, body: '<xml><Encrypt>abc</Encrypt></xml>' },
      403,
    ],
    ['an empty event', {}, 403],
  ])('%s is answered %s, never thrown', async (_n, event, status) => {
    const fake = createFakeCloud({ backend: createBackend(), env: {} })
    const main = createComponentMain(fake as unknown as ComponentSdk, { ...wx.componentEnv(), TOKEN_STORE_KEY }, { logger: { info() {}, error() {} } })
    expect((await main(event)).statusCode).toBe(status)
  })

  test('unconfigured: 500, and the log says which setting', async () => {
    const logs: object[] = []
    const main = createComponentMain(createFakeCloud({ backend: createBackend(), env: {} }) as unknown as ComponentSdk, {}, { logger: { info: (r) => logs.push(r), error: (r) => logs.push(r) } })
    expect((await main({ httpMethod: 'POST', body: '' })).statusCode).toBe(500)
    expect(JSON.stringify(logs)).toMatch(/WX_COMPONENT_APPID/)
  })

  test.each(['index.js', 'package.json', 'config.json', 'THIRD_PARTY_NOTICES.txt'])('the committed %s equals a fresh build (run `npm run build` and commit if not)', async (name) => {
    const fresh = await buildComponentArtifact()
    expect(fs.readFileSync(path.join(COMPONENT_FUNCTION_DIR, name), 'utf8') === fresh[name]).toBe(true)
  })

  test('the committed bundle under the CLI runtime stores a pushed ticket in the database, with the real wx-server-sdk', async () => {
    const gateway = await startGateway()
    try {
      const { ticket, push } = wx.component.newTicket()
      const event = { httpMethod: 'POST', path: `/${COMPONENT_SERVICE_PATH}`, queryStringParameters: push.query, body: push.body, isBase64Encoded: false }
      const run = await runUnderBootstrap({ functionDir: COMPONENT_FUNCTION_DIR, event, env: { ...gateway.sdkEnv(), ...wx.componentEnv(), TOKEN_STORE_KEY }, timeoutSec: 10 })
      expect(run.result).toMatchObject({ statusCode: 200, body: 'success' })
      const docs = gateway.db.find('wx_component_store', { _id: 'ticket' })
      // Sealed at rest under TOKEN_STORE_KEY: only the key opens it.
      expect(String(docs[0]!.value)).not.toContain(ticket)
      expect((sealerFrom(TOKEN_STORE_KEY) as Sealer).open(String(docs[0]!.value), 'ticket')).toBe(ticket)
      expect(run.stdout + run.stderr).not.toContain(ticket)
    } finally {
      await gateway.close()
    }
  }, 60_000)

  test('npm run deploy binds the HTTP access path with flags tcb service create takes', async () => {
    const help = (await promisify(execFile)(process.execPath, [tcbBin(), 'service', 'create', '--help'], { timeout: 60_000 })).stdout
    const args = serviceArgs('env-1')
    expect(args.slice(0, 2)).toEqual(['service', 'create'])
    for (const flag of args.filter((a) => a.startsWith('-'))) expect(help).toContain(`${flag}, `)
  })
})

test('npm start -- --transport component runs the whole flow on loopback: pushes through wxComponent, then the read', async () => {
  const { stdout } = await promisify(execFile)('npm', ['run', '-s', 'start', '--', '--transport', 'component', '--authorizer', 'wxSTARTMERCHANT001', '--json'], {
    cwd: path.resolve(__dirname, '..'),
    timeout: 120_000,
  })
  const result = JSON.parse(stdout.slice(stdout.indexOf('{'))) as Result
  expect(result).toMatchObject({ ok: true, order: { orderId: '01234567890123456789', status: 'normal' } })
}, 120_000)

test('a merchant token WeChat refuses (40001) is refreshed once through the lease, and the read goes through', async () => {
  const { main } = await platformEnv()
  expect(((await main({ ...SF, authorizerAppid: MERCHANT }, {})) as Result).ok).toBe(true)
  const refreshes = () => wx.component.requests.filter((r) => r.path.endsWith('api_authorizer_token') && r.authorizerAppid === MERCHANT).length
  const before = refreshes()
  wx.expireTokens()
  const r = (await main({ ...SF, authorizerAppid: MERCHANT }, { time_limit_in_ms: 10_000 })) as Result
  expect(r.ok).toBe(true)
  expect(refreshes()).toBe(before + 1)
})
