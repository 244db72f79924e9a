import { build } from '../errors/toOrderError'
import type { OrderError } from '../types'

/** Deployment settings of CONTRACT §5, read from the environment. */
export interface AccessConfig {
  adminOpenids: ReadonlySet<string>
  policy: 'own' | 'admin-only'
  trustServerCallers: boolean
}

export type AccessConfigResult = { ok: true; config: AccessConfig } | { ok: false; error: OrderError }

export function readAccessConfig(env: Record<string, string | undefined>): AccessConfigResult {
  const policy = env.ACCESS_POLICY === undefined || env.ACCESS_POLICY === '' ? 'own' : env.ACCESS_POLICY
  if (policy !== 'own' && policy !== 'admin-only') {
    return {
      ok: false,
      error: build('CONFIG_ERROR', `ACCESS_POLICY is "${policy.slice(0, 40)}", which is not a policy.`, 'Set ACCESS_POLICY to "own" (the default) or "admin-only".'),
    }
  }
  const adminOpenids = new Set(
    (env.ADMIN_OPENIDS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  )
  return { ok: true, config: { adminOpenids, policy, trustServerCallers: env.TRUST_SERVER_CALLERS === '1' } }
}

export type Decision =
  /** allowed; `openid` is what goes upstream (undefined: none) */
  | { ok: true; openid: string | undefined; role: 'admin' | 'server' | 'user' }
  | { ok: false; error: OrderError }

/**
 * Decides who may read what, from the caller's platform identity only (never the event).
 * `requestedOpenid` is the event's `openid`; `batch` marks a batch event.
 */
export function decideAccess(
  caller: string | undefined,
  request: { openid?: string; batch: boolean },
  config: AccessConfig,
): Decision {
  if (caller === undefined) {
    if (config.trustServerCallers) return { ok: true, openid: request.openid, role: 'server' }
    return deny(
      'The call has no caller OPENID (console, another function or an HTTP trigger), and server callers are not trusted.',
      'Call from a mini program, or set TRUST_SERVER_CALLERS=1 on the function if server-side callers are intended.',
    )
  }
  if (config.adminOpenids.has(caller)) return { ok: true, openid: request.openid ?? caller, role: 'admin' }
  if (config.policy === 'admin-only') {
    return deny('Only admins may read orders here (ACCESS_POLICY=admin-only).', 'Add the caller\'s OPENID to ADMIN_OPENIDS.')
  }
  if (request.batch) {
    return deny('Batch reads are for admins and trusted server callers only.', 'Read the orders one at a time, or add the caller\'s OPENID to ADMIN_OPENIDS.')
  }
  if (request.openid !== undefined && request.openid !== caller) {
    return deny('A caller may only read its own orders: openid is not the caller\'s.', 'Leave openid out to read with the caller\'s own OPENID.')
  }
  return { ok: true, openid: caller, role: 'user' }
}

/** The caller's OPENID from a getWXContext() answer; the SDK turns digit-only values into numbers. */
export function callerOpenid(wxContext: unknown): string | undefined {
  if (typeof wxContext !== 'object' || wxContext === null) return undefined
  const v = (wxContext as { OPENID?: unknown }).OPENID
  if (typeof v === 'string') return v === '' ? undefined : v
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return undefined
}

function deny(message: string, hint: string): Decision {
  return { ok: false, error: build('PERMISSION_DENIED', message, hint) }
}
