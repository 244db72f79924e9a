import { type Clock, systemClock } from '../clock/budget'
import { UpstreamError, withoutSecrets } from '../errors/upstream'
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

/** WeChat refreshes a forced token at most once in 30 s (getStableAccessToken: "否则不会刷新"). */
export const FORCE_SPACING_MS = 30_000

/**
 * Access tokens from `POST /cgi-bin/stable_token`, shared by many instances of one app without
 * invalidating each other: cached until a margin before they expire, one request in flight however
 * many calls wait. When WeChat refuses a token (40001/40014/42001), normal mode is asked first: it
 * returns the token now in force, which another instance may have replaced ours with. Only when
 * normal mode hands back the very token WeChat refused is `force_refresh` used (WeChat allows 20 a
 * day, 30 s apart). A refused or rate-limited forced refresh falls back to normal mode: the dead
 * token is not kept, so the next call asks again instead of reusing it for hours.
 *
 * @example
 * const tokens = stableTokenProvider({ appid: process.env.WX_APPID!, secret: process.env.WX_APPSECRET! })
 * const transport = httpsTransport({ tokens })
 */
export function stableTokenProvider(options: StableTokenOptions): TokenProvider & { readonly requests: number; readonly forced: number } {
  const clock = options.clock ?? systemClock
  const base = (options.baseUrl ?? 'https://api.weixin.qq.com').replace(/\/+$/, '')
  let cached: { token: string; refreshAt: number } | undefined
  let inflight: Promise<string> | undefined
  let requests = 0
  let forced = 0
  let lastForceAt = Number.NEGATIVE_INFINITY

  async function fetchToken(force: boolean): Promise<string> {
    requests++
    if (force) {
      forced++
      lastForceAt = clock.now()
    }
    // Shared by every caller waiting, so bound by its own clock, not by the first caller's deadline.
    const signal = AbortSignal.timeout(TOKEN_FETCH_TIMEOUT_MS)
    const body = await withoutSecrets(
      () => [options.secret, cached?.token],
      () => postJson(`${base}/cgi-bin/stable_token`, { grant_type: 'client_credential', appid: options.appid, secret: options.secret, force_refresh: force }, signal, '/cgi-bin/stable_token'),
    )
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

  async function replace(rejected: string | undefined): Promise<string> {
    const inForce = await fetchToken(false)
    if (rejected === undefined || inForce !== rejected) return inForce
    // Normal mode hands back the very token WeChat refused: only a forced refresh replaces it.
    if (clock.now() - lastForceAt >= FORCE_SPACING_MS) {
      try {
        const fresh = await fetchToken(true)
        if (fresh !== rejected) return fresh
      } catch (err) {
        // A refused or rate-limited forced refresh: fall back to normal mode below.
        if (!(err instanceof UpstreamError) || err.kind !== 'errcode') throw err
      }
    }
    // Nothing better to give: the caller meets the refusal again, and the dead token is not kept.
    cached = undefined
    return inForce
  }

  return {
    get requests() {
      return requests
    },
    get forced() {
      return forced
    },
    getToken({ rejected }) {
      if (!options.appid || !options.secret) {
        return Promise.reject(new UpstreamError('config', 'The HTTPS transport needs an AppID and AppSecret (WX_APPID, WX_APPSECRET).'))
      }
      const usable = cached && clock.now() < cached.refreshAt && cached.token !== rejected
      if (usable) return Promise.resolve(cached!.token)
      inflight ??= replace(rejected).finally(() => {
        inflight = undefined
      })
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
