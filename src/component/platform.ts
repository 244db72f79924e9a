import { type Clock, systemClock } from '../clock/budget'
import { TOKEN_ERRCODES } from '../errors/table'
import { UpstreamError, withoutSecrets } from '../errors/upstream'
import { postJson } from '../transport/http'
import { DEFAULT_API_BASE } from '../transport/https'
import { TOKEN_FETCH_TIMEOUT_MS, type TokenProvider } from '../transport/tokens'
import type { Sealer } from './seal'
import { bounded, sharedToken } from './shared'
import type { TokenStore } from './store'

/**
 * The permission sets getOrder belongs to for third-party calls ("该接口所属的权限集id为:45、71",
 * the API's own page): a merchant must have granted one of them.
 */
export const GETORDER_FUNC_SETS: readonly number[] = [45, 71]

/** component_verify_ticket lives 12 hours; WeChat pushes a new one every 10 minutes (授权流程技术说明). */
export const TICKET_TTL_MS = 12 * 3600_000

export interface ComponentSettings {
  /** WX_COMPONENT_APPID */
  appid: string
  /** WX_COMPONENT_APPSECRET */
  secret: string
  store: TokenStore
  /** TOKEN_STORE_KEY: refresh tokens are sealed at rest */
  sealer: Sealer
  /** default https://api.weixin.qq.com */
  baseUrl?: string
  leaseMs?: number
  pollMs?: number
  clock?: Clock
}

/** What is kept about a merchant (an authorizer): never a token, only its state and grants. */
export interface Merchant {
  appid: string
  status: 'authorized' | 'unauthorized'
  /** the permission set ids it granted (func_info) */
  funcs: number[]
  updatedAt: number
}

export interface ComponentPlatform {
  readonly appid: string
  readonly store: TokenStore
  /** the component_access_token, shared by every instance */
  componentToken: TokenProvider
  /** the merchant's authorizer_access_token, for the HTTPS transport */
  authorizer(appid: string): TokenProvider
  /** exchanges an authorization code (a new or updated authorization) for the merchant's tokens */
  authorize(code: string, signal?: AbortSignal): Promise<Merchant>
  /** the merchant revoked the authorization: its tokens are forgotten */
  unauthorize(appid: string): Promise<void>
  merchant(appid: string): Promise<Merchant | undefined>
  /** records a pushed component_verify_ticket */
  saveTicket(ticket: string): Promise<void>
  /**
   * Merchants that authorized before this platform's receiver was deployed: WeChat's own list
   * (`api_get_authorizer_list`, with each refresh token) and each one's permission sets
   * (`api_get_authorizer_info`), stored as an authorization push would store them. Merchants
   * already stored are left as they are.
   */
  importAuthorizers(signal?: AbortSignal): Promise<{ imported: Merchant[]; kept: string[] }>
  /** component API requests this instance made, by path */
  readonly requests: Record<string, number>
}

/** How long an instance keeps a merchant's record before reading it again. */
const MERCHANT_CACHE_MS = 5_000

const KEYS = {
  ticket: 'ticket',
  componentToken: 'component_token',
  authorizerToken: (appid: string) => `authorizer_token:${appid}`,
  refresh: (appid: string) => `refresh:${appid}`,
  merchant: (appid: string) => `merchant:${appid}`,
}

/**
 * A third-party platform (第三方平台) calling for its merchants: the component flow of WeChat's
 * 授权流程技术说明, with every token and ticket in a store shared by all instances and refreshed by
 * one instance at a time.
 *
 * @example
 * const platform = componentPlatform({ appid, secret, store: redisTokenStore(redis), sealer: sealerFrom(process.env.TOKEN_STORE_KEY) as Sealer })
 * const transport = httpsTransport({ tokens: platform.authorizer('wx-merchant-appid') })
 */
export function componentPlatform(s: ComponentSettings): ComponentPlatform {
  const clock = s.clock ?? systemClock
  const base = (s.baseUrl ?? DEFAULT_API_BASE).replace(/\/+$/, '')
  const share = { store: s.store, clock, sealer: s.sealer, ...(s.leaseMs !== undefined ? { leaseMs: s.leaseMs } : {}), ...(s.pollMs !== undefined ? { pollMs: s.pollMs } : {}) }

  const api = componentApi(s, base, share)
  const { requests, component, withComponentToken } = api

  const { merchant, merchantNow, putMerchant } = merchantBook(s, clock)

  const authorizers = new Map<string, ReturnType<typeof sharedToken>>()
  function authorizerToken(appid: string) {
    let t = authorizers.get(appid)
    if (t === undefined) {
      t = sharedToken({
        ...share,
        key: KEYS.authorizerToken(appid),
        async fetch(signal) {
          // The component token is needed next: asked for alongside the refresh token, one round trip
          // less on a cold start (its failure is met again, and reported, by the call below).
          const [sealed] = await Promise.all([bounded(s.store.get(KEYS.refresh(appid)), signal), component.getToken({ signal }).catch(() => undefined)])
          const refresh = sealed ? s.sealer.open(sealed, KEYS.refresh(appid)) : undefined
          if (!refresh) throw new UpstreamError('config', `No refresh token is stored for merchant ${appid}, or it was sealed under another TOKEN_STORE_KEY: the merchant must authorize the platform.`)
          let got: Record<string, unknown>
          try {
            got = await withComponentToken('/cgi-bin/component/api_authorizer_token', { component_appid: s.appid, authorizer_appid: appid, authorizer_refresh_token: refresh }, signal)
          } catch (err) {
            if (err instanceof UpstreamError && err.wxErrCode === 61023) await markUnauthorized(appid)
            throw err
          }
          if (typeof got.authorizer_access_token !== 'string' || typeof got.expires_in !== 'number')
            throw new UpstreamError('bad-json', 'The api_authorizer_token answer has no authorizer_access_token or expires_in.')
          // WeChat may hand back another refresh token: it replaces the stored one.
          if (typeof got.authorizer_refresh_token === 'string' && got.authorizer_refresh_token !== '' && got.authorizer_refresh_token !== refresh) {
            await s.store.set(KEYS.refresh(appid), s.sealer.seal(got.authorizer_refresh_token, KEYS.refresh(appid)))
          }
          return { value: got.authorizer_access_token, ttlMs: got.expires_in * 1000 }
        },
      })
      authorizers.set(appid, t)
    }
    return t
  }

  async function markUnauthorized(appid: string) {
    const m = await merchant(appid)
    await putMerchant({ appid, status: 'unauthorized', funcs: m?.funcs ?? [], updatedAt: clock.now() })
    await s.store.set(KEYS.refresh(appid), '', 1)
    await authorizerToken(appid).forget()
  }

  return {
    appid: s.appid,
    store: s.store,
    requests,
    componentToken: component,
    merchant,
    async saveTicket(ticket) {
      await s.store.set(KEYS.ticket, s.sealer.seal(ticket, KEYS.ticket), TICKET_TTL_MS)
    },
    authorizer(appid) {
      return {
        async getToken(request) {
          const m = await merchantNow(appid, request.signal)
          if (m === undefined) throw new UpstreamError('config', `Merchant ${appid} has not authorized this platform (no authorization was received for it).`)
          if (m.status !== 'authorized') throw new UpstreamError('errcode', `Merchant ${appid} revoked the authorization.`, { wxErrCode: 61023 })
          if (!m.funcs.some((f) => GETORDER_FUNC_SETS.includes(f))) {
            throw new UpstreamError('config', `Merchant ${appid} did not grant permission set 45 or 71, which getOrder needs (it granted ${m.funcs.join(', ') || 'none'}).`)
          }
          return authorizerToken(appid).getToken(request)
        },
      }
    },
    authorize: (code, signal = AbortSignal.timeout(TOKEN_FETCH_TIMEOUT_MS)) => exchangeCode(s, clock, withComponentToken, putMerchant, code, signal),
    importAuthorizers: (signal = AbortSignal.timeout(60_000)) => importAuthorizers({ s, clock, withComponentToken, merchant, putMerchant }, signal),
    async unauthorize(appid) {
      await markUnauthorized(appid)
    },
  }
}

/** Merchants' records in the store, each kept a few seconds per instance once read. */
function merchantBook(s: ComponentSettings, clock: Clock) {
  const merchant = async (appid: string): Promise<Merchant | undefined> => {
    const raw = await s.store.get(KEYS.merchant(appid))
    if (!raw) return undefined
    try {
      return JSON.parse(raw) as Merchant
    } catch {
      return undefined
    }
  }
  // A merchant's record, kept a few seconds per instance: every call needs it, and a store round
  // trip a call is what a slow store costs most. A revocation another instance saw reaches this
  // one within that time, and WeChat refuses the token meanwhile anyway.
  const known = new Map<string, { m: Merchant | undefined; until: number }>()
  const merchantNow = async (appid: string, signal: AbortSignal): Promise<Merchant | undefined> => {
    const hit = known.get(appid)
    if (hit !== undefined && clock.now() < hit.until) return hit.m
    const m = await bounded(merchant(appid), signal)
    if (known.size >= 1000) known.clear()
    known.set(appid, { m, until: clock.now() + MERCHANT_CACHE_MS })
    return m
  }
  const putMerchant = async (m: Merchant) => {
    known.delete(m.appid)
    await s.store.set(KEYS.merchant(m.appid), JSON.stringify(m))
  }
  return { merchant, merchantNow, putMerchant }
}

/** The component API: each call counted, errcodes thrown, secrets scrubbed; the component token shared and refreshed once if refused. */
function componentApi(s: ComponentSettings, base: string, share: Omit<Parameters<typeof sharedToken>[0], 'key' | 'fetch'>) {
  const requests: Record<string, number> = {}
  async function call(path: string, query: string, body: Record<string, unknown>, secrets: () => (string | undefined)[], signal: AbortSignal): Promise<Record<string, unknown>> {
    requests[path] = (requests[path] ?? 0) + 1
    const answer = (await withoutSecrets(secrets, () => postJson(`${base}${path}${query}`, body, signal, path))) as Record<string, unknown>
    if (typeof answer.errcode === 'number' && answer.errcode !== 0) {
      throw new UpstreamError('errcode', `${path} failed with errcode ${answer.errcode}.`, {
        wxErrCode: answer.errcode,
        ...(typeof answer.errmsg === 'string' ? { wxErrMsg: answer.errmsg } : {}),
      })
    }
    return answer
  }

  const component = sharedToken({
    ...share,
    key: KEYS.componentToken,
    async fetch(signal) {
      const sealed = await s.store.get(KEYS.ticket)
      const ticket = sealed ? s.sealer.open(sealed, KEYS.ticket) : undefined
      if (!ticket) {
        throw new UpstreamError('config', 'No component_verify_ticket has arrived yet: WeChat pushes one every 10 minutes to the authorization event URL once the platform is set up.')
      }
      const got = await call(
        '/cgi-bin/component/api_component_token',
        '',
        { component_appid: s.appid, component_appsecret: s.secret, component_verify_ticket: ticket },
        () => [s.secret, ticket],
        signal,
      )
      if (typeof got.component_access_token !== 'string' || typeof got.expires_in !== 'number')
        throw new UpstreamError('bad-json', 'The api_component_token answer has no component_access_token or expires_in.')
      return { value: got.component_access_token, ttlMs: got.expires_in * 1000 }
    },
  })

  /** A component API call with the component token, refreshed once if WeChat refuses it. */
  async function withComponentToken(path: string, body: Record<string, unknown>, signal: AbortSignal): Promise<Record<string, unknown>> {
    let token = await component.getToken({ signal })
    try {
      return await call(path, `?component_access_token=${encodeURIComponent(token)}`, body, () => [token, s.secret, ...secretsOf(body)], signal)
    } catch (err) {
      if (!(err instanceof UpstreamError) || err.wxErrCode === undefined || !TOKEN_ERRCODES.has(err.wxErrCode)) throw err
      token = await component.getToken({ rejected: token, signal })
      return call(path, `?component_access_token=${encodeURIComponent(token)}`, body, () => [token, s.secret, ...secretsOf(body)], signal)
    }
  }
  return { requests, component, withComponentToken }
}

/** api_query_auth: the merchant's authorization code exchanged for its refresh token (sealed) and permission sets. */
async function exchangeCode(
  s: ComponentSettings,
  clock: Clock,
  withComponentToken: (path: string, body: Record<string, unknown>, signal: AbortSignal) => Promise<Record<string, unknown>>,
  putMerchant: (m: Merchant) => Promise<void>,
  code: string,
  signal: AbortSignal,
): Promise<Merchant> {
  const got = await withComponentToken('/cgi-bin/component/api_query_auth', { component_appid: s.appid, authorization_code: code }, signal)
  const info = got.authorization_info as Record<string, unknown> | undefined
  const appid = info?.authorizer_appid
  const refresh = info?.authorizer_refresh_token
  if (typeof appid !== 'string' || typeof refresh !== 'string' || refresh === '') throw new UpstreamError('bad-json', 'The api_query_auth answer has no authorizer_appid or authorizer_refresh_token.')
  const funcs = funcsOf(info!.func_info)
  await s.store.set(KEYS.refresh(appid), s.sealer.seal(refresh, KEYS.refresh(appid)))
  const m: Merchant = { appid, status: 'authorized', funcs, updatedAt: clock.now() }
  await putMerchant(m)
  if (typeof info!.authorizer_access_token === 'string' && typeof info!.expires_in === 'number') {
    // The exchange hands over a token too: the first call need not refresh.
    const ttlMs = info!.expires_in * 1000
    const at = clock.now()
    const record = JSON.stringify({ value: info!.authorizer_access_token, refreshAt: at + ttlMs - Math.min(5 * 60_000, ttlMs / 10), expiresAt: at + ttlMs, fetchedAt: at })
    await s.store.set(KEYS.authorizerToken(appid), s.sealer.seal(record, KEYS.authorizerToken(appid)), ttlMs)
  }
  return m
}

/** The body values no answer, error or log may quote back: refresh tokens and authorization codes. */
function secretsOf(body: Record<string, unknown>): string[] {
  return ['authorizer_refresh_token', 'authorization_code', 'component_verify_ticket'].map((k) => body[k]).filter((v): v is string => typeof v === 'string' && v !== '')
}

/** WeChat's list has at most 500 authorizers a page. */
const AUTHORIZER_PAGE = 500

async function importAuthorizers(
  p: {
    s: ComponentSettings
    clock: Clock
    withComponentToken: (path: string, body: Record<string, unknown>, signal: AbortSignal) => Promise<Record<string, unknown>>
    merchant: (appid: string) => Promise<Merchant | undefined>
    putMerchant: (m: Merchant) => Promise<void>
  },
  signal: AbortSignal,
): Promise<{ imported: Merchant[]; kept: string[] }> {
  const { s } = p
  const imported: Merchant[] = []
  const kept: string[] = []
  for (let offset = 0; ; offset += AUTHORIZER_PAGE) {
    const page = await p.withComponentToken('/cgi-bin/component/api_get_authorizer_list', { component_appid: s.appid, offset, count: AUTHORIZER_PAGE }, signal)
    const list = Array.isArray(page.list) ? (page.list as { authorizer_appid?: unknown; refresh_token?: unknown }[]) : []
    for (const entry of list) {
      const appid = entry.authorizer_appid
      const refresh = entry.refresh_token
      if (typeof appid !== 'string' || typeof refresh !== 'string' || refresh === '') continue
      const known = await p.merchant(appid)
      if (known?.status === 'authorized') {
        kept.push(appid)
        continue
      }
      const info = await p.withComponentToken('/cgi-bin/component/api_get_authorizer_info', { component_appid: s.appid, authorizer_appid: appid }, signal)
      const funcs = funcsOf((info.authorization_info as Record<string, unknown> | undefined)?.func_info)
      await s.store.set(KEYS.refresh(appid), s.sealer.seal(refresh, KEYS.refresh(appid)))
      const m: Merchant = { appid, status: 'authorized', funcs, updatedAt: p.clock.now() }
      await p.putMerchant(m)
      imported.push(m)
    }
    const total = typeof page.total_count === 'number' ? page.total_count : 0
    if (list.length < AUTHORIZER_PAGE || offset + list.length >= total) return { imported, kept }
  }
}

/** The permission set ids of a `func_info` list. */
function funcsOf(funcInfo: unknown): number[] {
  return Array.isArray(funcInfo) ? (funcInfo as { funcscope_category?: { id?: unknown } }[]).map((f) => Number(f.funcscope_category?.id)).filter((n) => Number.isInteger(n)) : []
}

/**
 * Asks WeChat to push a component_verify_ticket now (`api_start_push_ticket`), instead of waiting
 * for its 10-minute cycle: a freshly deployed receiver can serve at once.
 *
 * @example
 * await requestTicketPush({ appid: 'wx…component', secret: process.env.WX_COMPONENT_APPSECRET! })
 */
export async function requestTicketPush(c: { appid: string; secret: string; baseUrl?: string }, signal: AbortSignal = AbortSignal.timeout(TOKEN_FETCH_TIMEOUT_MS)): Promise<void> {
  const base = (c.baseUrl ?? DEFAULT_API_BASE).replace(/\/+$/, '')
  const path = '/cgi-bin/component/api_start_push_ticket'
  const answer = (await withoutSecrets(
    () => [c.secret],
    () => postJson(`${base}${path}`, { component_appid: c.appid, component_secret: c.secret }, signal, path),
  )) as Record<string, unknown>
  if (typeof answer.errcode === 'number' && answer.errcode !== 0) {
    throw new UpstreamError('errcode', `${path} failed with errcode ${answer.errcode}.`, { wxErrCode: answer.errcode, ...(typeof answer.errmsg === 'string' ? { wxErrMsg: answer.errmsg } : {}) })
  }
}
