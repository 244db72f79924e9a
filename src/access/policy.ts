import { build } from '../errors/toOrderError'
import type { OrderError, Settings } from '../types'
import { type CallerIdentity, describeSource, isCrossAccount } from './identity'

/** The server-side sources a function may trust by default: the HTTP API, timers, sibling functions. */
export const DEFAULT_TRUSTED_SOURCES: readonly string[] = ['wx_http', 'wx_trigger', 'scf']

/** Sources that mean a person's device or a tool started the chain, not a server of the operator's. */
const CLIENT_SOURCES: ReadonlySet<string> = new Set(['wx_client', 'wx_devtools', 'wx_unknown', 'wx_localdebug', 'wx_crawler'])

/** Deployment settings of the access rules, read from the environment. */
export interface AccessConfig {
  adminOpenids: ReadonlySet<string>
  policy: 'own' | 'admin-only'
  /**
   * The collection of `{ orderId, deliveryId, openid }` documents that prove a plain user's
   * ownership of an order (`ORDER_OWNERS_COLLECTION`); required by `policy: 'own'`.
   */
  ownersCollection?: string
  trustServerCallers: boolean
  /**
   * Sources a call with no OPENID may come through (`TRUSTED_SOURCES`). `'any'` is for a Node
   * program that is its own only caller (`trustServerCallers`): there is no platform to ask.
   */
  trustedSources: ReadonlySet<string> | 'any'
  /** AppIDs whose cross-account calls are served (`TRUSTED_FROM_APPIDS`); none by default */
  trustedFromAppids: ReadonlySet<string>
}

export type AccessConfigResult = Settings<AccessConfig>

/**
 * Access for a Node program that is its own only caller: no platform identity, any order. Not for
 * a cloud function, where the platform says who calls (`readAccessConfig(process.env)`, which reads ADMIN_OPENIDS, ACCESS_POLICY and the rest).
 */
export const trustServerCallers = (): AccessConfigResult => ({
  ok: true,
  value: { adminOpenids: new Set(), policy: 'admin-only', trustServerCallers: true, trustedSources: 'any', trustedFromAppids: new Set() },
})

/** What the caller claims to be, for the log line whether or not it is served. */
export type Role = 'admin' | 'user' | 'server' | 'cross-account' | 'anonymous'

export type Decision =
  /**
   * allowed; `openid` is what goes upstream (undefined: none). A plain `user` is allowed only
   * subject to proof of ownership of the order, which the handler looks up before WeChat is called.
   */
  | { ok: true; openid: string | undefined; role: 'admin' | 'user' | 'server' }
  /**
   * A trusted cross-account caller acts for its own account: the cloud call goes out as `actAs`
   * (its FROM_APPID), for its own user (FROM_OPENID), as the environment-sharing guide documents
   * (developers.weixin.qq.com/miniprogram/dev/wxcloud/guide/resource-sharing/openapi.html:
   * `cloud.openapi({ appid: 'A小程序AppID' })`, `touser: cloud.getWXContext().FROM_OPENID`).
   */
  | { ok: true; openid: string | undefined; role: 'cross-account'; actAs: string }
  | { ok: false; error: OrderError; role: Role }

/**
 * Decides who may read what, from the caller's platform identity only (never the event).
 * `request.openid` is the event's `openid`; `batch` marks a batch event.
 *
 * - An OPENID is a mini program user: an admin (ADMIN_OPENIDS) reads anything. Anyone else reads
 *   nothing under ACCESS_POLICY=admin-only (the default); under `own`, single orders with its own
 *   OPENID, and only those an ownership record names it for (checked by the handler).
 * - No OPENID is not a server by that fact. It is one only with TRUST_SERVER_CALLERS=1 and every
 *   source of the chain in TRUSTED_SOURCES.
 * - A cross-account call (FROM_OPENID / FROM_APPID) is refused unless its AppID is listed in
 *   TRUSTED_FROM_APPIDS.
 */
export function decideAccess(identity: CallerIdentity, request: { openid?: string; batch: boolean }, config: AccessConfig): Decision {
  const source = describeSource(identity)
  if (identity.sourceMalformed) {
    return deny(
      identity.openid !== undefined ? 'user' : 'anonymous',
      `The call's source chain ${source} has an empty or padded hop, which the platform never sends.`,
      'Call through the platform: it names each source of the chain exactly (wx_client, scf, wx_trigger, …).',
    )
  }
  if (isCrossAccount(identity) && !(identity.fromAppid !== undefined && config.trustedFromAppids.has(identity.fromAppid))) {
    return deny(
      'cross-account',
      `The call comes from another account (FROM_APPID ${identity.fromAppid ?? 'not given'}, source ${source}), and cross-account callers are not trusted.`,
      'List the calling AppID in TRUSTED_FROM_APPIDS on the function if that account should read orders here.',
    )
  }
  if (isCrossAccount(identity)) {
    // Listed in TRUSTED_FROM_APPIDS (checked above): it reads for its own account, never as a server here.
    if (request.batch) {
      return deny(
        'cross-account',
        `A cross-account caller (FROM_APPID ${identity.fromAppid}) reads its own orders one at a time; batch reads are for this account's admins and servers.`,
        'Read the orders one at a time.',
      )
    }
    const own = identity.fromOpenid
    if (own !== undefined && request.openid !== undefined && request.openid !== own) {
      return deny('cross-account', "A cross-account caller reads only its own user's orders: openid is not the caller's FROM_OPENID.", "Leave openid out to read with the calling user's own.")
    }
    return { ok: true, openid: request.openid ?? own, role: 'cross-account', actAs: identity.fromAppid! }
  }
  const caller = identity.openid
  if (caller === undefined) return decideServer(identity, request, config, source)
  if (config.adminOpenids.has(caller)) return { ok: true, openid: request.openid ?? caller, role: 'admin' }
  if (config.policy === 'admin-only') {
    return deny(
      'user',
      'Only admins may read orders here (ACCESS_POLICY=admin-only, the default).',
      "To let users read their own orders, record each order's owner ({ orderId, deliveryId, openid }, see recordOrderOwner) in a collection named by ORDER_OWNERS_COLLECTION and set ACCESS_POLICY=own; or add the caller's OPENID to ADMIN_OPENIDS.",
    )
  }
  if (request.batch) {
    return deny('user', 'Batch reads are for admins and trusted server callers only.', "Read the orders one at a time, or add the caller's OPENID to ADMIN_OPENIDS.")
  }
  if (request.openid !== undefined && request.openid !== caller) {
    return deny('user', "A caller may only read its own orders: openid is not the caller's.", "Leave openid out to read with the caller's own OPENID.")
  }
  return { ok: true, openid: caller, role: 'user' }
}

function decideServer(identity: CallerIdentity, request: { openid?: string }, config: AccessConfig, source: string): Decision {
  const role: Role = isCrossAccount(identity) ? 'cross-account' : 'anonymous'
  if (!config.trustServerCallers) {
    return deny(
      role,
      `The call has no caller OPENID (source ${source}), and server callers are not trusted.`,
      'Call from a mini program, or set TRUST_SERVER_CALLERS=1 on the function if server-side callers are intended.',
    )
  }
  if (config.trustedSources !== 'any') {
    if (identity.source.length === 0) {
      return deny(
        role,
        'The call has no caller OPENID and the platform named no source for it, so it cannot be trusted as a server.',
        'Call through the server-side HTTP API, a timer or another function of this environment.',
      )
    }
    const trusted = config.trustedSources
    const untrusted = identity.source.filter((s) => !trusted.has(s))
    if (untrusted.length > 0) {
      const first = identity.source[0]!
      const why = CLIENT_SOURCES.has(first)
        ? `it starts at a client (${first}), which is not a server`
        : !first.startsWith('wx_')
          ? `its source ${untrusted[0]} is not a WeChat trigger (the CloudBase HTTP access service or the Web SDK can be anonymous)`
          : `its source ${untrusted[0]} is not trusted`
      return deny(
        role,
        `The call has no caller OPENID and came through ${source}: ${why}.`,
        `Only chains whose every source is in TRUSTED_SOURCES (now ${[...trusted].join(',') || 'empty'}) are served as servers; add ${untrusted[0]} there only if every caller through it is yours.`,
      )
    }
  }
  return { ok: true, openid: request.openid, role: 'server' }
}

function deny(role: Role, message: string, hint: string): Decision {
  return { ok: false, role, error: build('PERMISSION_DENIED', message, hint) }
}
