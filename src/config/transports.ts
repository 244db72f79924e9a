import { aesKeyOf } from '../component/crypto'
import { type Sealer, sealerFrom } from '../component/seal'
import { DEFAULT_API_BASE } from '../transport/https'
import type { SettingProblem, Settings } from '../types'
import { COLLECTION_NAME, Problems, problem } from './problems'
import { given, type Snapshot, type VariableName } from './variables'

/** The collection the cloud function keeps the component flow's state in, unless COMPONENT_STORE_COLLECTION says otherwise. */
export const DEFAULT_COMPONENT_COLLECTION = 'wx_component_store'

export interface HttpsSettings {
  appid: string
  secret: string
  baseUrl: string
}

export interface ComponentSettings {
  appid: string
  secret: string
  token: string
  aesKey: Buffer
  /** WX_COMPONENT_AES_KEY_PREVIOUS: the EncodingAESKey before a change, still accepted */
  previousAesKey?: Buffer
  sealer: Sealer
  collection: string
  /** AUTHORIZER_APPIDS: when set, the only merchants served */
  allowed?: ReadonlySet<string>
  baseUrl?: string
}

/** The variables each transport needs; the transport registry declares the same names. */
export const TRANSPORT_SETTINGS = {
  cloud: { required: [] as VariableName[] },
  https: { required: ['WX_APPID', 'WX_APPSECRET'] as VariableName[] },
  component: { required: ['WX_COMPONENT_APPID', 'WX_COMPONENT_APPSECRET', 'WX_COMPONENT_TOKEN', 'WX_COMPONENT_AES_KEY', 'TOKEN_STORE_KEY'] as VariableName[] },
} as const

export type TransportName = keyof typeof TRANSPORT_SETTINGS
export const TRANSPORT_NAMES = Object.keys(TRANSPORT_SETTINGS) as TransportName[]

/** The chosen transport with its settings. */
export type TransportChoice = { name: 'cloud' } | { name: 'https'; https: HttpsSettings } | { name: 'component'; component: ComponentSettings }

/** WX_TRANSPORT and the settings of the transport it names. */
export function readTransport(s: Snapshot): Settings<TransportChoice> {
  const name = given(s.WX_TRANSPORT) ?? 'cloud'
  if (!isTransportName(name)) {
    return {
      ok: false,
      problems: [
        problem(
          'WX_TRANSPORT',
          `WX_TRANSPORT is "${name.slice(0, 40)}", which is not a transport.`,
          `Set WX_TRANSPORT to ${TRANSPORT_NAMES.map((n) => `"${n}"`).join(', ')} (the default is "cloud").`,
        ),
      ],
    }
  }
  if (name === 'https') return map(readHttps(s), (https) => ({ name, https }))
  if (name === 'component') return map(readComponent(s), (component) => ({ name, component }))
  return { ok: true, value: { name } }
}

export function isTransportName(name: string): name is TransportName {
  return Object.prototype.hasOwnProperty.call(TRANSPORT_SETTINGS, name)
}

function readHttps(s: Snapshot): Settings<HttpsSettings> {
  const missing = missingOf(s, 'https')
  if (missing) return { ok: false, problems: missing }
  return { ok: true, value: { appid: s.WX_APPID!, secret: s.WX_APPSECRET!, baseUrl: given(s.WX_API_BASE) ?? DEFAULT_API_BASE } }
}

/**
 * WX_COMPONENT_APPID, WX_COMPONENT_APPSECRET, WX_COMPONENT_TOKEN, WX_COMPONENT_AES_KEY,
 * TOKEN_STORE_KEY, and the optional COMPONENT_STORE_COLLECTION, AUTHORIZER_APPIDS, WX_API_BASE.
 * Every problem is named; no value is quoted back.
 */
export function readComponent(s: Snapshot): Settings<ComponentSettings> {
  const missing = missingOf(s, 'component')
  if (missing) return { ok: false, problems: missing }
  const problems = new Problems()
  const aesKey = aesKeyOf(s.WX_COMPONENT_AES_KEY!)
  if (typeof aesKey === 'string') problems.add(problem('WX_COMPONENT_AES_KEY', aesKey, 'Copy the EncodingAESKey (消息加解密Key) from the platform settings.'))
  const previousRaw = given(s.WX_COMPONENT_AES_KEY_PREVIOUS)
  const previousAesKey = previousRaw === undefined ? undefined : aesKeyOf(previousRaw)
  if (typeof previousAesKey === 'string') {
    problems.add(
      problem(
        'WX_COMPONENT_AES_KEY_PREVIOUS',
        previousAesKey.replace('WX_COMPONENT_AES_KEY', 'WX_COMPONENT_AES_KEY_PREVIOUS'),
        'Set it to the EncodingAESKey used before the change, or remove it once the change has settled.',
      ),
    )
  }
  const sealer = sealerFrom(s.TOKEN_STORE_KEY)
  if (typeof sealer === 'string') problems.add(problem('TOKEN_STORE_KEY', sealer, 'Generate one with openssl rand -hex 32 and keep it: refresh tokens sealed under another key cannot be read.'))
  const collection = given(s.COMPONENT_STORE_COLLECTION) ?? DEFAULT_COMPONENT_COLLECTION
  if (!COLLECTION_NAME.test(collection))
    problems.add(problem('COMPONENT_STORE_COLLECTION', 'COMPONENT_STORE_COLLECTION is not a collection name.', 'Use letters, digits, _ and -, starting with a letter.'))
  let allowed: Set<string> | undefined
  const authorizers = given(s.AUTHORIZER_APPIDS)
  if (authorizers !== undefined) {
    const list = authorizers.split(',').map((x) => x.trim())
    if (list.some((a) => !/^wx[0-9A-Za-z]{16}$/.test(a))) {
      problems.add(
        problem('AUTHORIZER_APPIDS', 'AUTHORIZER_APPIDS has an entry that is not an AppID.', 'Set a comma-separated list of merchant AppIDs, or remove it to serve every authorized merchant.'),
      )
    }
    allowed = new Set(list)
  }
  const baseUrl = given(s.WX_API_BASE)
  return problems.settle(() => ({
    appid: s.WX_COMPONENT_APPID!,
    secret: s.WX_COMPONENT_APPSECRET!,
    token: s.WX_COMPONENT_TOKEN!,
    aesKey: aesKey as Buffer,
    ...(previousAesKey instanceof Buffer ? { previousAesKey } : {}),
    sealer: sealer as Sealer,
    collection,
    ...(allowed ? { allowed } : {}),
    ...(baseUrl ? { baseUrl } : {}),
  }))
}

const NEEDS_HINT: Record<'https' | 'component', string> = {
  https: "Set WX_APPID and WX_APPSECRET (the mini program's AppID and AppSecret) on the function, or use WX_TRANSPORT=cloud.",
  component: "Set the third-party platform's AppID, AppSecret, message token and EncodingAESKey (开发资料), and TOKEN_STORE_KEY (openssl rand -hex 32) on the function.",
}

/** One problem per missing variable, each naming what the transport needs it for. */
function missingOf(s: Snapshot, name: 'https' | 'component'): SettingProblem[] | undefined {
  const missing = TRANSPORT_SETTINGS[name].required.filter((k) => given(s[k]) === undefined)
  if (missing.length === 0) return undefined
  return missing.map((variable) => problem(variable, `WX_TRANSPORT=${name} needs ${variable}, which is not set.`, NEEDS_HINT[name]))
}

function map<A, B>(read: Settings<A>, f: (a: A) => B): Settings<B> {
  return read.ok ? { ok: true, value: f(read.value) } : read
}
