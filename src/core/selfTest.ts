import { randomBytes, randomUUID } from 'crypto'
import { type CallerIdentity, describeSource, toIdentity } from '../access/identity'
import type { OrderOwners } from '../access/owners'
import { type AccessConfig, type AccessConfigResult, decideAccess } from '../access/policy'
import type { TicketBook, TicketUse } from '../access/tickets'
import type { SelfTestEvent } from '../event/selfTest'
import { type Budget, budgetFor, type Clock, systemClock } from '../clock/budget'
import { build, configError, internalError, toOrderError } from '../errors/toOrderError'
import type { LabelStorage } from '../label/store'
import { type Logger, type LogRecord, silentLogger } from '../log/logger'
import { maskOpenid } from '../log/mask'
import type { Transport } from '../transport/types'
import type { CallSeen, InvocationContext, OrderError, SelfTestCheck, SelfTestResult } from '../types'
import { callBefore } from './deadline'
import { contextRequestId } from './handler'
import { upstreamCall } from './upstreamCall'

/** The carrier the permission probe asks for: WeChat's own test carrier (`TEST`), so no carrier is bothered. */
export const SELF_TEST_CARRIER = 'TEST'

export interface SelfTestDeps {
  transport: Transport
  caller: (context?: InvocationContext) => CallerIdentity | string | undefined
  access: () => AccessConfigResult
  owners?: (collection: string | undefined) => OrderOwners | undefined
  storage?: LabelStorage
  logger?: Logger
  clock?: Clock
  /** the permission row made another way (a third-party platform checks its component token) */
  permission?: () => Promise<SelfTestCheck>
  /** the doctor's one-time tickets (DOCTOR_COLLECTION); without them a ticket is refused */
  tickets?: TicketBook
}

/**
 * `{ selfTest: true }`: the deployment checks that can only be made inside the platform, without
 * side effects. Served to admins and trusted servers only; anyone else is refused before anything
 * is called or stored.
 *
 * - `permission`: a lookup of an order that cannot exist. -604101 means `permissions.openapi`
 *   did not reach the platform; any WeChat errcode means the call went through.
 * - `storage`: a file of its own written, given a temporary URL and deleted.
 * - `records`: the label records collection answers a read.
 * - `owners`: with `ACCESS_POLICY=own`, the ownership collection answers a read.
 *
 * @example
 * const selfTest = createSelfTestHandler({ transport, caller, access: () => readAccessConfig(process.env), storage })
 * const { selfTest: report } = await selfTest({ selfTest: true }, context)   // report.healthy, report.checks
 */
export function createSelfTestHandler(deps: SelfTestDeps) {
  const clock = deps.clock ?? systemClock
  const logger = deps.logger ?? silentLogger
  return async function selfTest(event: SelfTestEvent, context?: InvocationContext): Promise<SelfTestResult> {
    const requestId = contextRequestId(context) ?? randomUUID()
    const budget = budgetFor(context, clock)
    const line: LogRecord = { msg: 'selfTest', requestId, transport: deps.transport.name }
    let result: SelfTestResult
    try {
      result = await run()
    } catch (err) {
      logger.error({ msg: 'selfTest internal error', requestId, stack: err instanceof Error ? err.stack : String(err) })
      result = { ok: false, error: internalError(), requestId }
    }
    line.outcome = result.ok ? (result.selfTest.healthy ? 'healthy' : 'unhealthy') : 'error'
    if (result.ok) line.checks = result.selfTest.checks.map((c) => `${c.name}:${c.ok ? 'ok' : 'failed'}`).join(',')
    else line.code = result.error.code
    line.ms = clock.now() - budget.startedAt
    logger.info(line)
    return result

    async function run(): Promise<SelfTestResult> {
      const identity = toIdentity(deps.caller(context))
      line.caller = maskOpenid(identity.openid)
      line.source = describeSource(identity)
      const settings = deps.access()
      if (!settings.ok) return { ok: false, error: configError(settings.problems), requestId }
      const admitted = await admitSelfTest(deps, identity, event, settings.value, budget)
      line.role = admitted.role
      if (!admitted.ok) return { ok: false, error: admitted.error, requestId }
      const seen = callSeen(identity, admitted.role)
      const probeId = `selftest-${randomBytes(8).toString('hex')}`
      const checks: SelfTestCheck[] = [deps.permission ? await deps.permission() : await permission(deps, { budget, clock }, probeId)]
      if (deps.storage) {
        checks.push(
          ...(await callBefore(budget, () => deps.storage!.selfCheck(), 'storage').catch((err): SelfTestCheck[] => [
            { name: 'storage', ok: false, detail: `Cloud storage did not finish in time: ${toOrderError(err).message}` },
          ])),
        )
      } else {
        checks.push({
          name: 'storage',
          ok: false,
          detail: 'No label storage is configured, so labels over 1 MB and printHtmlAs "file" cannot be served.',
          fix: 'Deploy the function to CloudBase, or pass storage to the handler.',
        })
      }
      if (settings.value.policy === 'own') checks.push(await ownersCheck(deps, budget, probeId, settings.value.ownersCollection))
      const lastPurge = deps.storage ? await callBefore(budget, () => deps.storage!.lastPurge(), 'storage').catch(() => null) : null
      return { ok: true, requestId, selfTest: { healthy: checks.every((c) => c.ok), transport: deps.transport.name, checks, seen, lastPurge } }
    }
  }
}

export { isSelfTestEvent } from '../event/selfTest'

const TICKET_REFUSED: Record<Exclude<TicketUse, 'used'>, string> = {
  unknown: 'no such ticket (never written, or already used)',
  expired: 'the ticket has expired',
  client: "the ticket was written by a client, not with the environment's admin credentials",
}

/**
 * Who may run the self-test: with a ticket, whoever shows one the doctor wrote (the platform's
 * source for a management invoke is documented nowhere); without, admins and trusted servers, the
 * same callers as a batch. Anyone else is refused before anything is called or stored.
 */
async function admitSelfTest(
  deps: SelfTestDeps,
  identity: CallerIdentity,
  event: SelfTestEvent,
  access: AccessConfig,
  budget: Budget,
): Promise<{ ok: true; role: string } | { ok: false; role: string; error: OrderError }> {
  if (event.ticket !== undefined) {
    if (deps.tickets === undefined)
      return { ok: false, role: 'ticket', error: build('PERMISSION_DENIED', 'This deployment keeps no self-test tickets.', 'Deploy the function to CloudBase, where the doctor writes them.') }
    let use: TicketUse
    try {
      use = await callBefore(budget, () => deps.tickets!.use(event.ticket!), 'storage')
    } catch (err) {
      return { ok: false, role: 'ticket', error: toOrderError(err) }
    }
    if (use === 'used') return { ok: true, role: 'ticket' }
    return {
      ok: false,
      role: 'ticket',
      error: build('PERMISSION_DENIED', `The self-test ticket is refused: ${TICKET_REFUSED[use]}.`, 'Run npm run doctor again: it writes a fresh ticket for each check.'),
    }
  }
  const decision = decideAccess(identity, { batch: true }, access)
  if (decision.ok && (decision.role === 'admin' || decision.role === 'server')) return { ok: true, role: decision.role }
  const why = decision.ok ? '' : ` ${decision.error.message}`
  return {
    ok: false,
    role: decision.role,
    error: build(
      'PERMISSION_DENIED',
      `The deployment self-test is for admins and trusted server callers only.${why}`,
      'Run it with npm run doctor (it proves itself with a one-time ticket), or as an OPENID listed in ADMIN_OPENIDS.',
    ),
  }
}

/** How the function saw the call: the chain and the marks present, the OPENID masked. */
function callSeen(identity: CallerIdentity, admittedAs: string): CallSeen {
  const markers = [
    ...(identity.openid !== undefined ? ['OPENID'] : []),
    ...(identity.fromOpenid !== undefined ? ['FROM_OPENID'] : []),
    ...(identity.fromAppid !== undefined ? ['FROM_APPID'] : []),
    ...(identity.triggerSrc !== undefined ? [`TRIGGER_SRC=${identity.triggerSrc.slice(0, 20)}`] : []),
  ]
  return { source: describeSource(identity), markers, ...(identity.openid !== undefined ? { caller: maskOpenid(identity.openid) } : {}), admittedAs }
}

/** A lookup of an order that cannot exist: any WeChat errcode means the call is permitted. */
async function permission(deps: SelfTestDeps, on: { budget: Budget; clock: Clock }, orderId: string): Promise<SelfTestCheck> {
  const { budget, clock } = on
  const calls = { budget, clock, random: Math.random, attempts: { count: 0 } }
  try {
    await upstreamCall(calls, (options) => deps.transport.getOrder({ order_id: orderId, delivery_id: SELF_TEST_CARRIER }, options))
    return { name: 'permission', ok: true, detail: 'WeChat answered a getOrder call.' }
  } catch (err) {
    const e = toOrderError(err)
    const code = e.wxErrCode !== undefined ? { wxErrCode: e.wxErrCode } : {}
    if (e.code === 'WECHAT_ERROR' || e.code === 'RATE_LIMITED') {
      return { name: 'permission', ok: true, detail: `WeChat answered errcode ${e.wxErrCode ?? '?'} for an order that does not exist: the call is permitted.`, ...code }
    }
    if (e.wxErrCode === -604101) {
      return {
        name: 'permission',
        ok: false,
        detail: 'The platform refused the cloud call with -604101: the function has no permission for logistics.getOrder.',
        fix: 'cloudfunctions/getOrder/config.json lists it under permissions.openapi, which devtools uploads apply (the CLI does not read the file): upload getOrder once from WeChat devtools (right-click → 上传并部署：云端安装依赖), then wait about 10 minutes.',
        ...code,
      }
    }
    return { name: 'permission', ok: false, detail: `The getOrder call failed: ${e.code}: ${e.message}`, ...(e.hint ? { fix: e.hint } : {}), ...code }
  }
}

/** With ACCESS_POLICY=own, the ownership collection answers a read. */
async function ownersCheck(deps: SelfTestDeps, budget: Budget, orderId: string, collection: string | undefined): Promise<SelfTestCheck> {
  const owners = deps.owners?.(collection)
  if (owners === undefined)
    return {
      name: 'owners',
      ok: false,
      detail: 'ACCESS_POLICY=own, but no ownership records are configured.',
      fix: 'Set ORDER_OWNERS_COLLECTION to the collection your order flow writes owners to.',
    }
  try {
    await callBefore(budget, () => owners.owns({ orderId, deliveryId: SELF_TEST_CARRIER }, orderId), 'owners')
    return { name: 'owners', ok: true, detail: `The ownership collection ${collection ?? ''} answered a read.` }
  } catch (err) {
    return {
      name: 'owners',
      ok: false,
      detail: `The ownership collection ${collection ?? ''} did not answer: ${toOrderError(err).message}`,
      fix: 'Create the collection in the CloudBase console (your order flow writes { orderId, deliveryId, openid } to it).',
    }
  }
}
