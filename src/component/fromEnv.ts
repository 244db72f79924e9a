import { COLLECTION_NAME } from '../access/policy'
import { aesKeyOf } from './crypto'
import { type Sealer, sealerFrom } from './seal'

/** The collection the cloud function keeps the component flow's state in, unless COMPONENT_STORE_COLLECTION says otherwise. */
export const DEFAULT_COMPONENT_COLLECTION = 'wx_component_store'

export interface ComponentEnv {
  appid: string
  secret: string
  token: string
  aesKey: Buffer
  sealer: Sealer
  collection: string
  /** AUTHORIZER_APPIDS: when set, the only merchants served */
  allowed?: ReadonlySet<string>
  baseUrl?: string
}

/**
 * WX_COMPONENT_APPID, WX_COMPONENT_APPSECRET, WX_COMPONENT_TOKEN, WX_COMPONENT_AES_KEY,
 * TOKEN_STORE_KEY, and the optional COMPONENT_STORE_COLLECTION, AUTHORIZER_APPIDS, WX_API_BASE.
 * Every problem is named; no value is quoted back.
 */
export function readComponentEnv(env: Record<string, string | undefined>): { ok: true; settings: ComponentEnv } | { ok: false; error: string; hint: string } {
  const missing = ['WX_COMPONENT_APPID', 'WX_COMPONENT_APPSECRET', 'WX_COMPONENT_TOKEN', 'WX_COMPONENT_AES_KEY', 'TOKEN_STORE_KEY'].filter((k) => !env[k])
  if (missing.length) {
    return { ok: false, error: `WX_TRANSPORT=component needs ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not set.`, hint: "Set the third-party platform's AppID, AppSecret, message token and EncodingAESKey (开发资料), and TOKEN_STORE_KEY (openssl rand -hex 32) on the function." }
  }
  const aesKey = aesKeyOf(env.WX_COMPONENT_AES_KEY!)
  if (typeof aesKey === 'string') return { ok: false, error: aesKey, hint: 'Copy the EncodingAESKey (消息加解密Key) from the platform settings.' }
  const sealer = sealerFrom(env.TOKEN_STORE_KEY)
  if (typeof sealer === 'string') return { ok: false, error: sealer, hint: 'Generate one with openssl rand -hex 32 and keep it: refresh tokens sealed under another key cannot be read.' }
  const collection = env.COMPONENT_STORE_COLLECTION || DEFAULT_COMPONENT_COLLECTION
  if (!COLLECTION_NAME.test(collection)) return { ok: false, error: 'COMPONENT_STORE_COLLECTION is not a collection name.', hint: 'Use letters, digits, _ and -, starting with a letter.' }
  let allowed: Set<string> | undefined
  if (env.AUTHORIZER_APPIDS) {
    const list = env.AUTHORIZER_APPIDS.split(',').map((s) => s.trim())
    if (list.some((a) => !/^wx[0-9A-Za-z]{16}$/.test(a))) return { ok: false, error: 'AUTHORIZER_APPIDS has an entry that is not an AppID.', hint: 'Set a comma-separated list of merchant AppIDs, or remove it to serve every authorized merchant.' }
    allowed = new Set(list)
  }
  return {
    ok: true,
    settings: {
      appid: env.WX_COMPONENT_APPID!,
      secret: env.WX_COMPONENT_APPSECRET!,
      token: env.WX_COMPONENT_TOKEN!,
      aesKey,
      sealer,
      collection,
      ...(allowed ? { allowed } : {}),
      ...(env.WX_API_BASE ? { baseUrl: env.WX_API_BASE } : {}),
    },
  }
}
