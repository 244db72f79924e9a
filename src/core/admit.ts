import { type CallerIdentity, describeSource, toIdentity } from '../access/identity'
import { type Decision, decideAccess } from '../access/policy'
import type { Budget } from '../clock/budget'
import { build, configError, toOrderError } from '../errors/toOrderError'
import { UpstreamError } from '../errors/upstream'
import { validateEvent, type Validation } from '../event/validate'
import type { LogRecord } from '../log/logger'
import { maskOpenid } from '../log/mask'
import type { InvocationContext, OrderError } from '../types'
import { callBefore } from './deadline'
import type { GetOrderDeps } from './deps'

export type Admitted =
  { ok: true; valid: Extract<Validation, { ok: true }>; decision: Extract<Decision, { ok: true }>; identity: CallerIdentity; authorizer?: string } | { ok: false; error: OrderError }

/**
 * Everything decided before anything goes upstream: the event is valid, the caller may read
 * this, for this merchant, and (a plain user) owns the order. A refusal here never reaches WeChat.
 */
export async function admit(deps: GetOrderDeps, event: unknown, context: InvocationContext | undefined, on: { budget: Budget; line: LogRecord }): Promise<Admitted> {
  const { line } = on
  const valid = validateEvent(event)
  if (!valid.ok) return valid
  const identity = toIdentity(deps.caller(context))
  line.caller = maskOpenid(identity.openid)
  line.source = describeSource(identity)
  if (identity.fromOpenid !== undefined) line.fromOpenid = maskOpenid(identity.fromOpenid)
  if (identity.fromAppid !== undefined) line.fromAppid = identity.fromAppid
  const settings = deps.access()
  if (!settings.ok) return { ok: false, error: configError(settings.problems) }
  const asked: { openid?: string; batch: boolean } = { batch: valid.kind === 'batch' }
  if (valid.kind === 'single' && valid.event.openid !== undefined) asked.openid = valid.event.openid
  const authorizer = valid.event.authorizerAppid
  const merchant = merchantRule(deps, authorizer)
  if (merchant !== undefined) return { ok: false, error: merchant }
  const decision = decideAccess(identity, asked, settings.value)
  line.role = decision.role
  if (!decision.ok) return decision
  if (authorizer !== undefined) {
    line.authorizerAppid = authorizer
    if (decision.role !== 'admin' && decision.role !== 'server') {
      return {
        ok: false,
        error: build(
          'PERMISSION_DENIED',
          'Reading for a merchant (authorizerAppid) is for admins and trusted server callers only.',
          "Call from the platform's own server, or as an OPENID listed in ADMIN_OPENIDS.",
        ),
      }
    }
    if (deps.component!.allowed !== undefined && !deps.component!.allowed.has(authorizer)) {
      return { ok: false, error: build('PERMISSION_DENIED', `Merchant ${authorizer} is not in AUTHORIZER_APPIDS.`, 'Add the AppID to AUTHORIZER_APPIDS on the function if this deployment serves it.') }
    }
  }
  if (decision.role === 'user' && valid.kind === 'single') {
    const refused = await proveOwnership(deps, valid.event, { openid: decision.openid! }, settings.value.ownersCollection, on)
    if (refused !== undefined) return { ok: false, error: refused }
  }
  // Another account's user under ACCESS_POLICY=own reads only what is recorded for it, with its account.
  if (decision.role === 'cross-account' && settings.value.policy === 'own') {
    if (decision.openid === undefined) {
      return {
        ok: false,
        error: build(
          'PERMISSION_DENIED',
          'A cross-account call with no FROM_OPENID cannot be matched to an ownership record.',
          "Call from the other account's mini program, which carries its user's FROM_OPENID.",
        ),
      }
    }
    const refused = await proveOwnership(deps, valid.event as { orderId: string; deliveryId: string }, { openid: decision.openid, appid: decision.actAs }, settings.value.ownersCollection, on)
    if (refused !== undefined) return { ok: false, error: refused }
  }
  return { ok: true, valid, decision, identity, ...(authorizer !== undefined ? { authorizer } : {}) }
}

/** `authorizerAppid` goes with a third-party platform, and a third-party platform always names one. */
function merchantRule(deps: GetOrderDeps, authorizer: string | undefined): OrderError | undefined {
  if (authorizer !== undefined && !deps.component) {
    return {
      ...build(
        'INVALID_ARGUMENT',
        'authorizerAppid applies only to a third-party platform (WX_TRANSPORT=component).',
        'Leave authorizerAppid out, or set WX_TRANSPORT=component with the platform settings.',
      ),
      field: 'authorizerAppid',
    }
  }
  if (authorizer === undefined && deps.component) {
    return {
      ...build('INVALID_ARGUMENT', 'authorizerAppid is required: with WX_TRANSPORT=component every read is for a merchant.', "Pass the merchant's AppID as authorizerAppid."),
      field: 'authorizerAppid',
    }
  }
  return undefined
}

/** A plain user reads only an order the merchant recorded as theirs; WeChat is not asked otherwise. */
async function proveOwnership(
  deps: GetOrderDeps,
  order: { orderId: string; deliveryId: string },
  who: { openid: string; appid?: string },
  collection: string | undefined,
  on: { budget: Budget; line: LogRecord },
): Promise<OrderError | undefined> {
  const owners = deps.owners?.(collection)
  if (owners === undefined) {
    return build(
      'CONFIG_ERROR',
      'Plain users may read orders only with ownership records, and none are configured.',
      'Set ORDER_OWNERS_COLLECTION (and ACCESS_POLICY=own), or pass owners to the handler.',
    )
  }
  let owned: boolean
  try {
    owned = await callBefore(on.budget, () => owners.owns(order, who.openid, who.appid), 'owners')
  } catch (err) {
    if (!(err instanceof UpstreamError)) throw err
    const error = toOrderError(err)
    if (err.kind !== 'timeout') error.hint = `Check that the database collection ${collection ?? '(ORDER_OWNERS_COLLECTION)'} exists and that the function may read it.`
    return error
  }
  on.line.owner = owned ? 'proven' : 'none'
  if (owned) return undefined
  return build(
    'PERMISSION_DENIED',
    "The order is not recorded as the caller's, so it may not be read.",
    "Orders are readable by the user the merchant's order flow recorded as owner (recordOrderOwner into ORDER_OWNERS_COLLECTION); check the order id and carrier, or read as an admin.",
  )
}
