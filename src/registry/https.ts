import { TRANSPORT_SETTINGS } from '../config/transports'
import { createGetOrderHandler } from '../core/handler'
import { createSelfTestHandler } from '../core/selfTest'
import { httpsTransport } from '../transport/https'
import { stableTokenProvider } from '../transport/tokens'
import type { TransportEntry } from './types'

/** `https`: WeChat's HTTPS API with the mini program's own AppID and AppSecret (stable_token). */
export const https: TransportEntry<'https'> = {
  name: 'https',
  summary: "WeChat's HTTPS API with the mini program's AppID and AppSecret",
  variables: TRANSPORT_SETTINGS.https.required,
  companions: [],
  build({ https: s }, _sdk, common) {
    const transport = httpsTransport({ baseUrl: s.baseUrl, tokens: stableTokenProvider({ appid: s.appid, secret: s.secret, baseUrl: s.baseUrl }) })
    return { handler: createGetOrderHandler({ ...common, transport }), selfTest: createSelfTestHandler({ ...common, transport }) }
  },
}
