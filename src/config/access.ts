import { SOURCE_HOP } from '../access/identity'
import { type AccessConfig, DEFAULT_TRUSTED_SOURCES } from '../access/policy'
import type { Settings } from '../types'
import { COLLECTION_NAME, listOf, Problems, problem } from './problems'
import { given, type Snapshot } from './variables'

const APPID = /^[A-Za-z0-9_-]{1,64}$/

/** ACCESS_POLICY, ORDER_OWNERS_COLLECTION, TRUSTED_SOURCES, TRUSTED_FROM_APPIDS, ADMIN_OPENIDS, TRUST_SERVER_CALLERS. */
export function readAccess(s: Snapshot): Settings<AccessConfig> {
  const problems = new Problems()
  const policy = given(s.ACCESS_POLICY) ?? 'admin-only'
  if (policy !== 'own' && policy !== 'admin-only') {
    problems.add(
      problem('ACCESS_POLICY', `ACCESS_POLICY is "${policy.slice(0, 40)}", which is not a policy.`, 'Set ACCESS_POLICY to "admin-only" (the default) or "own" (with ORDER_OWNERS_COLLECTION).'),
    )
  }
  const owners = given(s.ORDER_OWNERS_COLLECTION)
  if (owners !== undefined && !COLLECTION_NAME.test(owners)) {
    problems.add(problem('ORDER_OWNERS_COLLECTION', `ORDER_OWNERS_COLLECTION is "${owners.slice(0, 40)}", which is not a collection name.`, 'Use letters, digits, _ and -, starting with a letter.'))
  }
  if (policy === 'own' && owners === undefined) {
    problems.add(
      problem(
        'ORDER_OWNERS_COLLECTION',
        'ACCESS_POLICY is "own" but ORDER_OWNERS_COLLECTION is not set, so no order can be proven to be a user\'s.',
        'Set ORDER_OWNERS_COLLECTION to the database collection where your order flow records { orderId, deliveryId, openid } (see recordOrderOwner), or set ACCESS_POLICY to "admin-only".',
      ),
    )
  }
  // An empty TRUSTED_SOURCES is a mistake, not the default: it would silently trust the default chain.
  const sources = s.TRUSTED_SOURCES === undefined ? { ok: true as const, list: [...DEFAULT_TRUSTED_SOURCES] } : listOf(s.TRUSTED_SOURCES, SOURCE_HOP)
  if (!sources.ok) {
    problems.add(
      problem(
        'TRUSTED_SOURCES',
        `TRUSTED_SOURCES is malformed: ${sources.why}.`,
        `Set TRUSTED_SOURCES to a comma-separated list of sources such as "${DEFAULT_TRUSTED_SOURCES.join(',')}" (the default), or remove it.`,
      ),
    )
  }
  const appidsRaw = given(s.TRUSTED_FROM_APPIDS)
  const appids = appidsRaw === undefined ? { ok: true as const, list: [] } : listOf(appidsRaw, APPID)
  if (!appids.ok) {
    problems.add(problem('TRUSTED_FROM_APPIDS', `TRUSTED_FROM_APPIDS is malformed: ${appids.why}.`, 'Set TRUSTED_FROM_APPIDS to a comma-separated list of AppIDs, or remove it.'))
  }
  return problems.settle(() => ({
    adminOpenids: new Set(
      (s.ADMIN_OPENIDS ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== ''),
    ),
    policy: policy as AccessConfig['policy'],
    ...(owners !== undefined ? { ownersCollection: owners } : {}),
    trustServerCallers: s.TRUST_SERVER_CALLERS === '1',
    trustedSources: new Set(sources.ok ? sources.list : []),
    trustedFromAppids: new Set(appids.ok ? appids.list : []),
  }))
}
