import { componentPlatform, type ComponentPlatform } from '../component/platform'
import { cloudTokenStore, type StoreDatabaseLike } from '../component/store'
import { type ComponentSettings, TRANSPORT_SETTINGS } from '../config/transports'
import { createGetOrderHandler } from '../core/handler'
import { createSelfTestHandler } from '../core/selfTest'
import { toOrderError } from '../errors/toOrderError'
import { UpstreamError } from '../errors/upstream'
import { httpsTransport } from '../transport/https'
import type { Transport } from '../transport/types'
import type { SelfTestCheck } from '../types'
import type { TransportEntry } from './types'

/** The push receiver deployed beside getOrder for a third-party platform. */
export const COMPONENT_FUNCTION_NAME = 'wxComponent'

/** The platform as both functions build it: tokens in the environment's database, sealed under TOKEN_STORE_KEY. */
export function platformOf(db: StoreDatabaseLike, c: ComponentSettings): ComponentPlatform {
  return componentPlatform({ appid: c.appid, secret: c.secret, store: cloudTokenStore(db, c.collection), sealer: c.sealer, ...(c.baseUrl ? { baseUrl: c.baseUrl } : {}) })
}

/** `component`: a third-party platform reading for the merchants that authorised it. */
export const component: TransportEntry<'component'> = {
  name: 'component',
  summary: "a third-party platform, with each merchant's authorizer_access_token",
  variables: TRANSPORT_SETTINGS.component.required,
  needsCloud: {
    message: "No CloudBase credentials: the component flow keeps its tokens in the environment's database.",
    hint: 'Deploy the function to CloudBase, or set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY for a local run.',
  },
  // getOrder opens the refresh tokens wxComponent sealed: the same key, store and platform.
  companions: [
    { name: COMPONENT_FUNCTION_NAME, shared: ['WX_COMPONENT_APPID', 'WX_COMPONENT_TOKEN', 'WX_COMPONENT_AES_KEY', 'WX_COMPONENT_AES_KEY_PREVIOUS', 'TOKEN_STORE_KEY', 'COMPONENT_STORE_COLLECTION'] },
  ],
  build({ component: c }, sdk, common) {
    const platform = platformOf(sdk.database(), c)
    const transports = new Map<string, Transport>()
    const transportFor = (appid: string) => {
      let t = transports.get(appid)
      if (t === undefined) {
        if (transports.size >= 1000) transports.clear()
        t = httpsTransport({ tokens: platform.authorizer(appid), ...(c.baseUrl ? { baseUrl: c.baseUrl } : {}) })
        transports.set(appid, t)
      }
      return t
    }
    // Every component read names its merchant, so this one only names the transport in log lines.
    const unnamed = () => Promise.reject(new UpstreamError('config', 'A third-party platform reads for a merchant: authorizerAppid names it.'))
    const transport: Transport = { name: 'component', getOrder: unnamed, batchGetOrder: unnamed }
    return {
      handler: createGetOrderHandler({ ...common, transport, component: { transportFor, ...(c.allowed ? { allowed: c.allowed } : {}) } }),
      selfTest: createSelfTestHandler({ ...common, transport, permission: () => componentTokenCheck(platform) }),
    }
  },
}

/** The self-test's permission row for a third-party platform: the component token can be had. */
async function componentTokenCheck(platform: ComponentPlatform): Promise<SelfTestCheck> {
  try {
    await platform.componentToken.getToken({ signal: AbortSignal.timeout(5000) })
    return { name: 'permission', ok: true, detail: 'The component_access_token was got (the ticket, AppSecret and IP whitelist are in order).' }
  } catch (err) {
    const e = toOrderError(err)
    return {
      name: 'permission',
      ok: false,
      detail: `The component_access_token could not be got: ${e.message}`,
      ...(e.hint ? { fix: e.hint } : {}),
      ...(e.wxErrCode !== undefined ? { wxErrCode: e.wxErrCode } : {}),
    }
  }
}
