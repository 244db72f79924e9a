import { type Clock, systemClock } from '../clock/budget'
import { UpstreamError } from '../errors/upstream'
import { postJson } from './http'

export interface TokenRequest {
  /** the token WeChat just refused (40001/40014/42001): get one that is not it */
  rejected?: string
  /** the caller's own deadline; a shared fetch does not end with it */
  signal: AbortSignal
}

/** How long one stable_token request may take: callers wait for it within their own deadlines. */
export const TOKEN_FETCH_TIMEOUT_MS = 10_000

/**
 * Where the HTTPS transport gets its access token. For a mini program's own token use
 * `stableTokenProvider`; a third-party platform passes a provider of its
 * `authorizer_access_token` instead.
 */
export interface TokenProvider {
  getToken(request: TokenRequest): Promise<string>
}

export interface StableTokenOptions {
  appid: string
  secret: string
  /** default https://api.weixin.qq.com */
  baseUrl?: string
  /** refresh this long before expires_in runs out (default 5 min, at most a tenth of the lifetime) */
  refreshMarginMs?: number
  clock?: Clock
}

/**
 * Access tokens from `POST /cgi-bin/stable_token`: cached until a margin before they expire,
 * one request in flight however many calls wait, and a forced refresh only when the token
 * WeChat refused is still the cached one (so fifty calls failing 40001 at once cause one refresh).
 *
 * @example
 * const tokens = stableTokenProvider({ appid: process.env.WX_APPID!, secret: process.env.WX_APPSECRET! })
 * const transport = httpsTransport({ tokens })
 */
export function stableTokenProvider(options: StableTokenOptions): TokenProvider & { readonly requests: number } {
  const clock = options.clock ?? systemClock
  const base = (options.baseUrl ?? 'https://api.weixin.qq.com').replace(/\/+$/, '')
  let cached: { token: string; refreshAt: number } | undefined
  let inflight: Promise<string> | undefined
  let requests = 0

  async function fetchToken(force: boolean): Promise<string> {
    requests++
    // Shared by every caller waiting, so bound by its own clock, not by the first caller's deadline.
    const signal = AbortSignal.timeout(TOKEN_FETCH_TIMEOUT_MS)
    const body = await postJson(`${base}/cgi-bin/stable_token`, { grant_type: 'client_credential', appid: options.appid, secret: options.secret, force_refresh: force }, signal, '/cgi-bin/stable_token')
    const b = body as { access_token?: unknown; expires_in?: unknown; errcode?: unknown; errmsg?: unknown }
    if (typeof b.errcode === 'number' && b.errcode !== 0) {
      throw new UpstreamError('errcode', `Getting an access token failed with errcode ${b.errcode}.`, {
        wxErrCode: b.errcode,
        ...(typeof b.errmsg === 'string' ? { wxErrMsg: b.errmsg } : {}),
      })
    }
    if (typeof b.access_token !== 'string' || b.access_token === '' || typeof b.expires_in !== 'number') {
      throw new UpstreamError('bad-json', 'The stable_token answer has no access_token or expires_in.')
    }
    const lifetimeMs = b.expires_in * 1000
    const margin = Math.min(options.refreshMarginMs ?? 5 * 60_000, lifetimeMs / 10)
    cached = { token: b.access_token, refreshAt: clock.now() + lifetimeMs - margin }
    return b.access_token
  }

  return {
    get requests() {
      return requests
    },
    getToken({ rejected }) {
      if (!options.appid || !options.secret) {
        return Promise.reject(new UpstreamError('config', 'The HTTPS transport needs an AppID and AppSecret (WX_APPID, WX_APPSECRET).'))
      }
      const usable = cached && clock.now() < cached.refreshAt && cached.token !== rejected
      if (usable) return Promise.resolve(cached!.token)
      if (!inflight) {
        const force = rejected !== undefined && cached?.token === rejected
        inflight = fetchToken(force).finally(() => {
          inflight = undefined
        })
      }
      return inflight
    },
  }
}

/**
 * A provider around your own function, e.g. a third-party platform's authorizer_access_token
 * store. `rejected` tells it WeChat refused that token.
 */
export function tokenProvider(get: (request: TokenRequest) => Promise<string> | string): TokenProvider {
  return { getToken: async (request) => get(request) }
}
