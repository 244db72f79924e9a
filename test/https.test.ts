import * as http from 'http'
import type { AddressInfo } from 'net'
import { trustServerCallers } from '../src/access/policy'
import { createCloudMain, type WxServerSdk } from '../src/cloud/entry'
import { createGetOrderHandler } from '../src/core/handler'
import { createBackend } from '../src/harness/backend'
import { createFakeCloud } from '../src/harness/fakeSdk'
import { FAKE_APPSECRET, type FakeWechatServer, startWechatServer } from '../src/harness/wechatServer'
import { memoryLogger } from '../src/log/logger'
import { httpsTransport } from '../src/transport/https'
import { stableTokenProvider, tokenProvider } from '../src/transport/tokens'
import type { Result } from '../src/types'
import { captureOutput } from './support/fakeMain'

const SF = { orderId: '01234567890123456789', deliveryId: 'SF', waybillId: '123456789' }
const trusted = trustServerCallers
let server: FakeWechatServer
let everything: string[] = []

beforeEach(async () => {
  server = await startWechatServer()
})
afterEach(() => server.close())
afterAll(() => {
  // Nothing logged, returned or thrown in any test here carries a token or the AppSecret.
  expect(everything.length).toBeGreaterThan(0)
  const text = everything.join('\n')
  expect(text).not.toContain(FAKE_APPSECRET)
  expect(text).not.toMatch(/FAKE_TOKEN_[0-9a-f]{8}/)
})

function setup() {
  const tokens = stableTokenProvider({ appid: server.httpsEnv().WX_APPID!, secret: FAKE_APPSECRET, baseUrl: server.baseUrl })
  const logger = memoryLogger()
  const handler = createGetOrderHandler({ transport: httpsTransport({ tokens, baseUrl: server.baseUrl }), caller: () => undefined, access: trusted, logger })
  const call = async (event: unknown = SF, ctx = { time_limit_in_ms: 3000 }): Promise<Result> => {
    try {
      const r = await handler(event, ctx)
      everything.push(JSON.stringify(r))
      return r
    } finally {
      everything.push(JSON.stringify(logger.records))
    }
  }
  return { tokens, call, logger }
}

test('a normal order over HTTPS', async () => {
  const { call } = setup()
  const r = await call()
  expect(r).toMatchObject({ ok: true, order: { orderId: SF.orderId, status: 'normal', printHtml: expect.stringContaining('顺丰速运') } })
  expect(server.apiRequests[0]!.body).toEqual({ order_id: SF.orderId, delivery_id: 'SF', waybill_id: '123456789' })
})

test('50 concurrent calls with a cold cache make exactly one stable_token request', async () => {
  const { call, tokens } = setup()
  const results = await Promise.all(Array.from({ length: 50 }, () => call()))
  expect(results.every((r) => r.ok)).toBe(true)
  expect(server.tokenRequests).toEqual([{ forceRefresh: false }])
  expect(tokens.requests).toBe(1)
  expect(server.apiRequests).toHaveLength(50)
})

test('the token is cached across calls', async () => {
  const { call } = setup()
  await call()
  await call()
  expect(server.tokenRequests).toHaveLength(1)
})

test('an expired token is replaced from normal mode, without forcing, and the call succeeds', async () => {
  const { call } = setup()
  await call()
  server.expireTokens()
  const r = await call()
  expect(r.ok).toBe(true)
  expect(server.tokenRequests).toEqual([{ forceRefresh: false }, { forceRefresh: false }])
  expect(server.apiRequests).toHaveLength(3)
})

test('concurrent calls that all meet an expired token cause one token request and no forced refresh', async () => {
  const { call } = setup()
  await call()
  server.expireTokens()
  const results = await Promise.all(Array.from({ length: 20 }, () => call()))
  expect(results.every((r) => r.ok)).toBe(true)
  expect(server.tokenRequests).toEqual([{ forceRefresh: false }, { forceRefresh: false }])
})

test("a token that stays invalid ends in AUTH_ERROR with the doc's hint after exactly one refresh", async () => {
  const { call } = setup()
  server.rejectAllTokens = true
  const r = await call()
  expect(r.ok === false && r.error).toMatchObject({ code: 'AUTH_ERROR', wxErrCode: 40001, retryable: false, hint: expect.stringContaining('AppSecret') })
  // Normal mode hands back the refused token, so one forced refresh, then the call fails for good.
  expect(server.tokenRequests).toEqual([{ forceRefresh: false }, { forceRefresh: false }, { forceRefresh: true }])
  expect(server.apiRequests).toHaveLength(2)
})

test('40164 is a CONFIG_ERROR whose hint names the IP whitelist', async () => {
  const { call } = setup()
  server.refuseIp = true
  const r = await call()
  expect(r.ok === false && r.error).toMatchObject({ code: 'CONFIG_ERROR', wxErrCode: 40164, hint: expect.stringMatching(/IP whitelist/) })
})

test('45009 is RATE_LIMITED', async () => {
  const { call } = setup()
  server.rateLimited = true
  const r = await call()
  expect(r.ok === false && r.error).toMatchObject({ code: 'RATE_LIMITED', wxErrCode: 45009, retryable: false })
})

test('a wrong AppSecret is a CONFIG_ERROR that does not quote it', async () => {
  const tokens = stableTokenProvider({ appid: server.httpsEnv().WX_APPID!, secret: 'wrong-secret-value', baseUrl: server.baseUrl })
  const handler = createGetOrderHandler({ transport: httpsTransport({ tokens, baseUrl: server.baseUrl }), caller: () => undefined, access: trusted })
  const r = await handler(SF, {})
  everything.push(JSON.stringify(r))
  expect(r.ok === false && r.error).toMatchObject({ code: 'CONFIG_ERROR', wxErrCode: 40125 })
  expect(JSON.stringify(r)).not.toContain('wrong-secret-value')
})

test('a server that never answers is a TIMEOUT inside the budget', async () => {
  const { call } = setup()
  await call() // warm the token
  server.backend = createBackend({ scenario: 'silence' })
  const started = Date.now()
  const r = await call(SF, { time_limit_in_ms: 3000 })
  expect(r.ok === false && r.error.code).toBe('TIMEOUT')
  expect(Date.now() - started).toBeLessThan(3000)
})

test('a refused connection is UPSTREAM_UNAVAILABLE and names no URL', async () => {
  const { call } = setup()
  await server.close()
  const r = await call(SF, { time_limit_in_ms: 1500 })
  expect(r.ok === false && r.error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true })
  expect(JSON.stringify(r)).not.toContain('127.0.0.1')
  server = await startWechatServer()
})

test('HTTP 502 is UPSTREAM_UNAVAILABLE after retries', async () => {
  const { call } = setup()
  server.backend = createBackend({ scenario: 'http-502' })
  const r = await call()
  expect(r.ok === false && r.error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true })
  expect(server.apiRequests.length).toBeGreaterThan(1)
})

test('a caller whose deadline passes while the token is being fetched does not fail the others waiting for it', async () => {
  await server.close()
  server = await startWechatServer({ tokenLatencyMs: 300 })
  const { call } = setup()
  const [hurried, patient] = await Promise.all([call(SF, { time_limit_in_ms: 200 }), call(SF, { time_limit_in_ms: 3000 })])
  expect(hurried.ok === false && hurried.error.code).toBe('TIMEOUT')
  expect(patient.ok).toBe(true)
  expect(server.tokenRequests).toHaveLength(1)
})

test('a third-party platform passes its own token provider (authorizer_access_token)', async () => {
  // A third party's token comes from its own store; here we borrow one the fake server issued.
  const own = stableTokenProvider({ appid: server.httpsEnv().WX_APPID!, secret: FAKE_APPSECRET, baseUrl: server.baseUrl })
  const authorizerToken = await own.getToken({ signal: new AbortController().signal })
  const seen: (string | undefined)[] = []
  const provider = tokenProvider(({ rejected }) => {
    seen.push(rejected)
    return authorizerToken
  })
  const handler = createGetOrderHandler({ transport: httpsTransport({ tokens: provider, baseUrl: server.baseUrl }), caller: () => undefined, access: trusted })
  const r = await handler(SF, {})
  expect(r.ok).toBe(true)
  expect(server.apiRequests.at(-1)!.token).toBe(authorizerToken)
  expect(seen).toEqual([undefined])
})

describe('WX_TRANSPORT=https in the cloud function', () => {
  const main = (env: Record<string, string>) => {
    // An admin: these tests are about the transport, not about ownership.
    const fullEnv = { WX_CONTEXT_KEYS: 'WX_OPENID', WX_OPENID: 'oUSER-00000000000000', ADMIN_OPENIDS: 'oUSER-00000000000000', ...env }
    const fake = createFakeCloud({ backend: createBackend(), env: fullEnv })
    return { main: createCloudMain(fake as unknown as WxServerSdk, fullEnv), fake }
  }

  test('answers over HTTPS and never touches the cloud call', async () => {
    const { main: m, fake } = main(server.httpsEnv())
    const { value: r, output } = await captureOutput(() => m(SF, { request_id: 'r1' }))
    everything.push(output, JSON.stringify(r))
    expect(r).toMatchObject({ ok: true, order: { orderId: SF.orderId } })
    expect(fake.calls).toHaveLength(0)
    expect(JSON.parse(output.trim())).toMatchObject({ transport: 'https', outcome: 'ok' })
  })

  test.each([
    ['WX_APPID', { WX_APPSECRET: 's' }],
    ['WX_APPSECRET', { WX_APPID: 'wx1' }],
    ['WX_APPID and WX_APPSECRET', {}],
  ])('missing %s is a CONFIG_ERROR naming it', async (names, creds) => {
    const { main: m } = main({ WX_TRANSPORT: 'https', WX_API_BASE: server.baseUrl, ...creds })
    const { value: r, output } = await captureOutput(() => m(SF, {}))
    everything.push(output)
    expect(r.ok === false && r.error).toMatchObject({ code: 'CONFIG_ERROR' })
    for (const name of names.split(' and ')) expect(r.ok === false && r.error.message).toContain(`needs ${name},`)
    expect(server.tokenRequests).toHaveLength(0)
  })
})

describe('credentials quoted back by upstream never reach the caller', () => {
  const TOKEN = 'TOKEN-0123456789abcdef'
  const SECRET = 'SECRET-fedcba9876543210'
  let echo: http.Server
  let base: string
  let answer: (body: string, url: string) => unknown
  beforeAll(async () => {
    echo = http.createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(answer(body, req.url ?? '')))
      })
    })
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise((r) => echo.close(r)))

  test.each([
    ['bare, after a word', `invalid credential, access_token is ${TOKEN}, rid: 1`],
    ['as "access_token: T"', `invalid credential access_token: ${TOKEN} rid: 2`],
    ['inside JSON', `data format error hint: {"access_token":"${TOKEN}"}`],
  ])('a token quoted %s in errmsg is redacted from wxErrMsg', async (_how, errmsg) => {
    answer = () => ({ errcode: 47001, errmsg, delivery_resultmsg: `echo ${TOKEN}` })
    const handler = createGetOrderHandler({ transport: httpsTransport({ tokens: tokenProvider(() => TOKEN), baseUrl: base }), caller: () => undefined, access: trusted })
    const r = await handler(SF, { time_limit_in_ms: 3000 })
    everything.push(JSON.stringify(r))
    expect(r).toMatchObject({ ok: false, error: { code: 'WECHAT_ERROR', wxErrCode: 47001, wxErrMsg: expect.stringContaining('***') } })
    expect(JSON.stringify(r)).not.toContain(TOKEN)
  })

  test('an AppSecret quoted back by stable_token is redacted from the error', async () => {
    answer = (body) => ({ errcode: 40125, errmsg: `invalid appsecret, view more at ... ${JSON.parse(body).secret} rid: 3` })
    const tokens = stableTokenProvider({ appid: 'wx0000000000000001', secret: SECRET, baseUrl: base })
    const handler = createGetOrderHandler({ transport: httpsTransport({ tokens, baseUrl: base }), caller: () => undefined, access: trusted })
    const r = await handler(SF, { time_limit_in_ms: 3000 })
    everything.push(JSON.stringify(r))
    expect(r).toMatchObject({ ok: false, error: { wxErrCode: 40125, wxErrMsg: expect.stringContaining('***') } })
    expect(JSON.stringify(r)).not.toContain(SECRET)
  })
})
