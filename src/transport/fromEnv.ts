import { DEFAULT_API_BASE, httpsTransport } from './https'
import { stableTokenProvider } from './tokens'
import type { Transport } from './types'

/** The HTTPS transport as the cloud function configures it: WX_APPID, WX_APPSECRET, WX_API_BASE. */
export function httpsTransportFromEnv(env: Record<string, string | undefined>): Transport | { error: string; hint: string } {
  const missing = ['WX_APPID', 'WX_APPSECRET'].filter((k) => !env[k])
  if (missing.length) {
    return {
      error: `WX_TRANSPORT=https needs ${missing.join(' and ')}, which ${missing.length > 1 ? 'are' : 'is'} not set.`,
      hint: 'Set WX_APPID and WX_APPSECRET (the mini program\'s AppID and AppSecret) on the function, or use WX_TRANSPORT=cloud.',
    }
  }
  const baseUrl = env.WX_API_BASE || DEFAULT_API_BASE
  return httpsTransport({ baseUrl, tokens: stableTokenProvider({ appid: env.WX_APPID!, secret: env.WX_APPSECRET!, baseUrl }) })
}
