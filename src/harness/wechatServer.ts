import { randomBytes } from 'crypto'
import * as http from 'http'
import type { AddressInfo, Socket } from 'net'
import { aesKeyOf, encryptMessage, msgSignature } from '../component/crypto'
import { createBackend, type FakeBackend } from './backend'

/** The fake third-party platform: its AppID, secret, message token and EncodingAESKey. */
export const FAKE_COMPONENT = {
  appid: 'wxCOMPONENT0000000',
  secret: 'fake-component-secret-0123456789',
  token: 'fakeComponentToken',
  aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
} as const

/** The third-party platform's side of the fake: tickets, component tokens, merchants and their tokens. */
export interface FakeComponentSide {
  /** component API requests received, by path, with the authorizer they were for */
  readonly requests: { path: string; authorizerAppid?: string }[]
  /** adds a merchant that authorized the platform with these permission sets; the code to exchange */
  authorizeMerchant(appid: string, funcs?: number[]): string
  /** the merchant revokes the authorization: its refresh token stops working (61023) */
  revokeMerchant(appid: string): void
  /** a new component_verify_ticket, as WeChat makes every 10 minutes; the push that carries it */
  newTicket(): { ticket: string; push: SignedPush }
  /** an encrypted, signed push of `inner` (an `<xml>…</xml>` message), as WeChat sends it */
  push(inner: string, at?: number): SignedPush
  /** answer 61004 (IP not in the platform's whitelist) from the component endpoints */
  refuseIp: boolean
  /** api_query_auth hands over an authorizer_access_token too (WeChat does when the account has API rights) */
  queryAuthGivesToken: boolean
  /** delay before answering api_authorizer_token, ms */
  authorizerLatencyMs: number
  /** api_start_push_ticket calls answered */
  ticketPushesAsked: number
  /** adds a merchant that authorized before the platform's receiver existed: no push, only WeChat's own list knows it */
  authorizedEarlier(appid: string, funcs?: number[]): void
  /** called when an api_authorizer_token request arrives, before it is answered */
  onAuthorizerRequest?: (authorizerAppid: string) => void
}

export interface SignedPush {
  query: { msg_signature: string; timestamp: string; nonce: string; encrypt_type: 'aes' }
  body: string
}

export const FAKE_APPID = 'wxFAKE000000000000'
export const FAKE_APPSECRET = 'fake-app-secret-0123456789abcdef'

const ROUTES: Record<string, string> = {
  '/cgi-bin/express/business/order/get': 'logistics.getOrder',
  '/cgi-bin/express/business/order/batchget': 'logistics.batchGetOrder',
}

export interface FakeWechatServer {
  /** e.g. `http://127.0.0.1:PORT`, for WX_API_BASE */
  readonly baseUrl: string
  backend: FakeBackend
  /** stable_token requests received, with force_refresh */
  readonly tokenRequests: { forceRefresh: boolean }[]
  /** order API requests received, with the token each carried */
  readonly apiRequests: { path: string; token: string; body: Record<string, unknown> }[]
  /** every access token issued, in order */
  readonly issued: string[]
  /** make every issued access token (the app's and the merchants') stale, as when it expires: the next API call answers 40001 */
  expireTokens(): void
  /**
   * WeChat refuses this token (40001) while stable_token's normal mode still hands it out: only a
   * forced refresh replaces it.
   */
  revoke(token: string): void
  /** answer 40001 to every API call, even with a fresh token */
  rejectAllTokens: boolean
  /** answer 40164 (IP not whitelisted) from every endpoint */
  refuseIp: boolean
  /** answer 45009 (quota used up) to API calls */
  rateLimited: boolean
  /** the environment that points the HTTPS transport here */
  httpsEnv(): Record<string, string>
  /** the third-party platform's endpoints */
  readonly component: FakeComponentSide
  /** the environment that points the component transport here */
  componentEnv(): Record<string, string>
  close(): Promise<void>
}

/**
 * WeChat's HTTPS API on loopback: `stable_token`, `order/get` and `order/batchget`, answering
 * from the same fake logistics backend as the gateway, and checking the tokens it issued.
 */
/** Forced refreshes: at most 20 a day, and one within 30 s of the last does not refresh. */
export const FORCE_REFRESH_PER_DAY = 20
export const FORCE_REFRESH_SPACING_MS = 30_000

export async function startWechatServer(
  options: { backend?: FakeBackend; tokenTtlSec?: number; appid?: string; secret?: string; tokenLatencyMs?: number; clock?: { now(): number } } = {},
): Promise<FakeWechatServer> {
  const appid = options.appid ?? FAKE_APPID
  const secret = options.secret ?? FAKE_APPSECRET
  const now = () => (options.clock ?? Date).now()
  const valid = new Set<string>()
  const revoked = new Set<string>()
  const forcedAt: number[] = []
  const sockets = new Set<Socket>()

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      if (options.tokenLatencyMs && req.url?.startsWith('/cgi-bin/stable_token')) setTimeout(() => handle(req, res, text), options.tokenLatencyMs)
      else handle(req, res, text)
    })
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })

  function send(res: http.ServerResponse, status: number, body: string, type = 'application/json; charset=utf-8') {
    res.writeHead(status, { 'content-type': type })
    res.end(body)
  }
  const json = (res: http.ServerResponse, body: unknown) => send(res, 200, JSON.stringify(body))

  function handle(req: http.IncomingMessage, res: http.ServerResponse, text: string) {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    let body: Record<string, unknown> = {}
    try {
      body = text ? JSON.parse(text) : {}
    } catch {
      return json(res, { errcode: 47001, errmsg: 'data format error' })
    }
    if (req.method !== 'POST') return send(res, 404, 'not found', 'text/plain')
    if (fake.refuseIp) return json(res, { errcode: 40164, errmsg: 'invalid ip 127.0.0.1, not in whitelist' })

    if (url.pathname === '/cgi-bin/stable_token') {
      fake.tokenRequests.push({ forceRefresh: body.force_refresh === true })
      if (body.grant_type !== 'client_credential') return json(res, { errcode: 40002, errmsg: 'invalid grant_type' })
      if (body.appid !== appid) return json(res, { errcode: 40013, errmsg: 'invalid appid' })
      if (body.secret !== secret) return json(res, { errcode: 40125, errmsg: 'invalid appsecret' })
      // getStableAccessToken: normal mode returns the token in force; a forced refresh invalidates
      // it, at most 20 times a day, and one within 30 s of the last "不会刷新" (does not refresh).
      // developers.weixin.qq.com/minigame/dev/api-backend/open-api/access-token/auth.getStableAccessToken.html
      const latest = fake.issued.at(-1)
      const current = latest !== undefined && valid.has(latest) ? latest : undefined
      if (body.force_refresh === true) {
        const t = now()
        const last = forcedAt.at(-1)
        if (current !== undefined && last !== undefined && t - last < FORCE_REFRESH_SPACING_MS) return json(res, { access_token: current, expires_in: options.tokenTtlSec ?? 7200 })
        if (forcedAt.filter((at) => t - at < 86_400_000).length >= FORCE_REFRESH_PER_DAY) return json(res, { errcode: 45009, errmsg: 'reach max api daily quota limit' })
        forcedAt.push(t)
      } else if (current !== undefined) {
        return json(res, { access_token: current, expires_in: options.tokenTtlSec ?? 7200 })
      }
      const token = `FAKE_TOKEN_${randomBytes(12).toString('hex')}`
      valid.clear()
      valid.add(token)
      fake.issued.push(token)
      return json(res, { access_token: token, expires_in: options.tokenTtlSec ?? 7200 })
    }

    if (url.pathname.startsWith('/cgi-bin/component/')) return componentCall(url, body, res)

    const api = ROUTES[url.pathname]
    if (!api) return send(res, 404, 'not found', 'text/plain')
    const token = url.searchParams.get('access_token') ?? ''
    fake.apiRequests.push({ path: url.pathname, token, body })
    if (fake.rejectAllTokens || (!valid.has(token) && !authorizerTokens.has(token)) || revoked.has(token)) {
      return json(res, { errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' })
    }
    if (fake.rateLimited) return json(res, { errcode: 45009, errmsg: 'reach max api daily quota limit' })
    const outcome = fake.backend.answer(api, body)
    switch (outcome.kind) {
      case 'silence':
        return
      case 'http':
        return send(res, outcome.status, `<html><body>${outcome.status}</body></html>`, 'text/html')
      case 'platform':
        // Platform codes belong to cloud calls; over HTTPS WeChat answers a system error.
        return json(res, { errcode: -1, errmsg: 'system error' })
      case 'json':
        return send(res, 200, outcome.body)
    }
  }

  // The third-party platform (授权流程技术说明): tickets are pushed, the component token is got with
  // the latest ticket, merchants' refresh tokens give their access tokens.
  const C = { ...FAKE_COMPONENT }
  const aesKey = aesKeyOf(C.aesKey) as Buffer
  const tickets: string[] = []
  const componentTokens = new Set<string>()
  const authorizerTokens = new Map<string, string>()
  const merchants = new Map<string, { refresh: string; funcs: number[]; revoked: boolean }>()
  const codes = new Map<string, string>()
  const refuse = (res: http.ServerResponse, errcode: number, errmsg: string) => json(res, { errcode, errmsg })

  function componentCall(url: URL, body: Record<string, unknown>, res: http.ServerResponse) {
    const path = url.pathname
    const side = fake.component
    side.requests.push({ path, ...(typeof body.authorizer_appid === 'string' ? { authorizerAppid: body.authorizer_appid } : {}) })
    if (side.refuseIp) return refuse(res, 61004, 'access clientip is not registered requestIP: 127.0.0.1')
    if (path === '/cgi-bin/component/api_start_push_ticket') {
      // WeChat pushes a fresh ticket to the authorization event URL within a few seconds.
      if (body.component_appid !== C.appid || body.component_secret !== C.secret) return refuse(res, 40013, 'invalid appid')
      side.ticketPushesAsked++
      return json(res, { errcode: 0, errmsg: 'ok' })
    }
    if (path === '/cgi-bin/component/api_component_token') {
      if (body.component_appid !== C.appid || body.component_appsecret !== C.secret) return refuse(res, 40013, 'invalid appid')
      if (typeof body.component_verify_ticket !== 'string' || !tickets.includes(body.component_verify_ticket)) return refuse(res, 61006, 'component ticket is invalid')
      const token = `FAKE_COMPONENT_TOKEN_${randomBytes(8).toString('hex')}`
      componentTokens.add(token)
      return json(res, { component_access_token: token, expires_in: 7200 })
    }
    if (!componentTokens.has(url.searchParams.get('component_access_token') ?? '')) return refuse(res, 40001, 'invalid credential, access_token is invalid or not latest')
    if (body.component_appid !== C.appid) return refuse(res, 40013, 'invalid appid')
    const issue = (appid: string) => {
      const token = `FAKE_AUTHORIZER_TOKEN_${randomBytes(8).toString('hex')}`
      authorizerTokens.set(token, appid)
      return token
    }
    if (path === '/cgi-bin/component/api_query_auth') {
      const appid = codes.get(String(body.authorization_code))
      if (appid === undefined) return refuse(res, 61010, 'code is expired')
      codes.delete(String(body.authorization_code))
      const m = merchants.get(appid)!
      return json(res, {
        authorization_info: {
          authorizer_appid: appid,
          ...(side.queryAuthGivesToken ? { authorizer_access_token: issue(appid), expires_in: 7200 } : {}),
          authorizer_refresh_token: m.refresh,
          func_info: m.funcs.map((id) => ({ funcscope_category: { id } })),
        },
      })
    }
    if (path === '/cgi-bin/component/api_get_authorizer_list') {
      const offset = Number(body.offset ?? 0)
      const count = Number(body.count ?? 0)
      if (!Number.isInteger(count) || count < 1 || count > 500 || !Number.isInteger(offset) || offset < 0) return refuse(res, 47001, 'data format error')
      const live = [...merchants.entries()].filter(([, m]) => !m.revoked)
      return json(res, { total_count: live.length, list: live.slice(offset, offset + count).map(([appid, m]) => ({ authorizer_appid: appid, refresh_token: m.refresh, auth_time: 1700000000 })) })
    }
    if (path === '/cgi-bin/component/api_get_authorizer_info') {
      const m = merchants.get(String(body.authorizer_appid))
      if (!m || m.revoked) return refuse(res, 61003, 'component is not authorized by this account')
      return json(res, { authorizer_info: {}, authorization_info: { authorizer_appid: body.authorizer_appid, func_info: m.funcs.map((id) => ({ funcscope_category: { id } })) } })
    }
    if (path === '/cgi-bin/component/api_authorizer_token') {
      const appid = String(body.authorizer_appid)
      // This request's delay is fixed on arrival: the hook may change it for the next ones.
      const delay = side.authorizerLatencyMs
      side.onAuthorizerRequest?.(appid)
      const answer = () => {
        const m = merchants.get(appid)
        if (!m || m.revoked || body.authorizer_refresh_token !== m.refresh) return refuse(res, 61023, 'refresh_token is invalid')
        json(res, { authorizer_access_token: issue(appid), expires_in: 7200, authorizer_refresh_token: m.refresh })
      }
      if (delay > 0) setTimeout(answer, delay)
      else answer()
      return
    }
    return send(res, 404, 'not found', 'text/plain')
  }

  const signed = (inner: string, at = Math.floor(Date.now() / 1000)): SignedPush => {
    const encrypt = encryptMessage(aesKey, inner, C.appid)
    const timestamp = String(at)
    const nonce = randomBytes(6).toString('hex')
    return {
      query: { msg_signature: msgSignature(C.token, timestamp, nonce, encrypt), timestamp, nonce, encrypt_type: 'aes' },
      body: `<xml><AppId><![CDATA[${C.appid}]]></AppId><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`,
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const fake: FakeWechatServer = {
    baseUrl,
    backend: options.backend ?? createBackend(),
    tokenRequests: [],
    apiRequests: [],
    issued: [],
    rejectAllTokens: false,
    refuseIp: false,
    rateLimited: false,
    expireTokens: () => {
      valid.clear()
      authorizerTokens.clear()
    },
    revoke: (token) => void revoked.add(token),
    httpsEnv: () => ({ WX_TRANSPORT: 'https', WX_API_BASE: baseUrl, WX_APPID: appid, WX_APPSECRET: secret }),
    componentEnv: () => ({
      WX_TRANSPORT: 'component',
      WX_API_BASE: baseUrl,
      WX_COMPONENT_APPID: C.appid,
      WX_COMPONENT_APPSECRET: C.secret,
      WX_COMPONENT_TOKEN: C.token,
      WX_COMPONENT_AES_KEY: C.aesKey,
    }),
    component: {
      requests: [],
      refuseIp: false,
      queryAuthGivesToken: true,
      authorizerLatencyMs: 0,
      ticketPushesAsked: 0,
      authorizedEarlier(merchant, funcs = [45]) {
        merchants.set(merchant, { refresh: `FAKE_REFRESH_${randomBytes(8).toString('hex')}`, funcs, revoked: false })
      },
      authorizeMerchant(merchant, funcs = [45]) {
        // Authorizing again replaces the refresh token: the old one stops working.
        merchants.set(merchant, { refresh: `FAKE_REFRESH_${randomBytes(8).toString('hex')}`, funcs, revoked: false })
        const code = `queryauthcode@@@${randomBytes(8).toString('hex')}`
        codes.set(code, merchant)
        return code
      },
      revokeMerchant(merchant) {
        const m = merchants.get(merchant)
        if (m) m.revoked = true
        for (const [t, a] of authorizerTokens) if (a === merchant) authorizerTokens.delete(t)
      },
      newTicket() {
        const ticket = `ticket@@@${randomBytes(12).toString('base64url')}`
        tickets.push(ticket)
        return {
          ticket,
          push: signed(
            `<xml><AppId><![CDATA[${C.appid}]]></AppId><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><InfoType><![CDATA[component_verify_ticket]]></InfoType><ComponentVerifyTicket><![CDATA[${ticket}]]></ComponentVerifyTicket></xml>`,
          ),
        }
      },
      push: signed,
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
  return fake
}
