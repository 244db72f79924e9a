/**
 * stable_token as WeChat specifies it, with several instances of one app sharing the token: normal
 * mode first, force_refresh only when normal mode hands back the very token WeChat refused, the
 * daily quota and the 30 s spacing of forced refreshes, and no dead token kept after a refused one.
 */
import { trustServerCallers } from '../src/access/policy'
import type { Clock } from '../src/clock/budget'
import { createGetOrderHandler } from '../src/core/handler'
import { FAKE_APPSECRET, FORCE_REFRESH_PER_DAY, type FakeWechatServer, startWechatServer } from '../src/harness/wechatServer'
import { httpsTransport } from '../src/transport/https'
import { stableTokenProvider } from '../src/transport/tokens'
import type { Result } from '../src/types'

const SF = { orderId: '01234567890123456789', deliveryId: 'SF', waybillId: '123456789' }

/** One clock for the token server and every instance, moved by the test. */
const clock = {
  t: Date.UTC(2026, 10, 28, 10),
  now() {
    return this.t
  },
  sleep: async () => {},
} satisfies Clock & { t: number }
let server: FakeWechatServer
beforeEach(async () => {
  clock.t = Date.UTC(2026, 10, 28, 10)
  server = await startWechatServer({ clock })
})
afterEach(() => server.close())

/** A function instance: its own token provider, the same app. */
function instance() {
  const tokens = stableTokenProvider({ appid: server.httpsEnv().WX_APPID!, secret: FAKE_APPSECRET, baseUrl: server.baseUrl, clock })
  const handler = createGetOrderHandler({ transport: httpsTransport({ tokens, baseUrl: server.baseUrl }), caller: () => undefined, access: trustServerCallers })
  return { tokens, call: (): Promise<Result> => handler(SF, { time_limit_in_ms: 3000 }) }
}
const forcedRequests = () => server.tokenRequests.filter((r) => r.forceRefresh).length

test('two instances sharing one app settle on one token after an invalidation, without forcing', async () => {
  const a = instance()
  const b = instance()
  expect((await a.call()).ok).toBe(true)
  expect((await b.call()).ok).toBe(true)
  // The token in force changes under both of them (it expired, or someone else replaced it).
  server.expireTokens()
  const apiBefore = server.apiRequests.length
  const results: Result[] = []
  for (let i = 0; i < 10; i++) results.push(await (i % 2 === 0 ? a : b).call())
  expect(results.every((r) => r.ok)).toBe(true)
  expect(forcedRequests()).toBe(0)
  // Each instance meets the refusal once and retries once: 10 calls, 2 retries.
  expect(server.apiRequests.length - apiBefore).toBe(12)
  const lastTokens = new Set(server.apiRequests.slice(-4).map((r) => r.token))
  expect(lastTokens.size).toBe(1)
})

test('a refused token that normal mode still hands out is replaced by one forced refresh, shared by the other instance', async () => {
  const a = instance()
  const b = instance()
  await a.call()
  await b.call()
  server.revoke(server.issued.at(-1)!)
  expect((await a.call()).ok).toBe(true)
  expect(forcedRequests()).toBe(1)
  // b meets the refusal, asks normal mode, and gets the token a forced: no second force.
  expect((await b.call()).ok).toBe(true)
  expect(forcedRequests()).toBe(1)
})

test('forced refreshes are spaced 30 s apart: within 30 s the refusal stands, after it a force is tried again', async () => {
  const a = instance()
  await a.call()
  server.revoke(server.issued.at(-1)!)
  expect((await a.call()).ok).toBe(true)
  server.revoke(server.issued.at(-1)!)
  clock.t += 10_000
  expect(await a.call()).toMatchObject({ ok: false, error: { code: 'AUTH_ERROR', wxErrCode: 40001 } })
  expect(forcedRequests()).toBe(1)
  clock.t += 25_000
  expect((await a.call()).ok).toBe(true)
  expect(forcedRequests()).toBe(2)
})

test('a forced refresh refused by the daily quota falls back to normal mode and does not keep the dead token', async () => {
  const a = instance()
  await a.call()
  for (let i = 0; i < FORCE_REFRESH_PER_DAY; i++) {
    server.revoke(server.issued.at(-1)!)
    clock.t += 31_000
    expect((await a.call()).ok).toBe(true)
  }
  server.revoke(server.issued.at(-1)!)
  clock.t += 31_000
  const refused = await a.call()
  expect(refused).toMatchObject({ ok: false, error: { code: 'AUTH_ERROR', wxErrCode: 40001 } })
  expect(a.tokens.forced).toBe(FORCE_REFRESH_PER_DAY + 1)
  // The next call asks normal mode again (the token in force may have changed by now) rather than
  // reusing the refused token from its cache for up to two hours.
  const tokenRequestsBefore = server.tokenRequests.length
  const apiBefore = server.apiRequests.length
  server.expireTokens()
  expect((await a.call()).ok).toBe(true)
  expect(server.tokenRequests.length - tokenRequestsBefore).toBe(1)
  // One API call, with the new token: the refused one is never sent again.
  expect(server.apiRequests.length - apiBefore).toBe(1)
  expect(server.tokenRequests.at(-1)).toEqual({ forceRefresh: false })
})
