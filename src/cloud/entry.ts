import { randomUUID } from 'crypto'
import { callerIdentity, describeSource } from '../access/identity'
import { cloudOrderOwners, type OrderOwners, type OwnersDatabaseLike } from '../access/owners'
import { readAccessConfig } from '../access/policy'
import { type Clock, timeLimitMs } from '../clock/budget'
import { contextRequestId, createGetOrderHandler, DEFAULT_BATCH_CONCURRENCY, type GetOrderHandler } from '../core/handler'
import { createPurgeHandler } from '../core/purge'
import { createSelfTestHandler, isSelfTestEvent } from '../core/selfTest'
import { build, internalError, toOrderError } from '../errors/toOrderError'
import { UpstreamError } from '../errors/upstream'
import { isTimerEvent, type TimerEvent } from '../event/timer'
import { cloudRecords, type DatabaseLike } from '../label/records'
import { type LabelSettings, readLabelSettings } from '../label/settings'
import { cloudFiles, type CloudStorageLike } from '../label/storage'
import { labelStore, type LabelStorage } from '../label/store'
import { cloudLogger, jsonLogger, type Logger } from '../log/logger'
import { cloudTransport, type CloudLike } from '../transport/cloud'
import { httpsTransportFromEnv } from '../transport/fromEnv'
import { httpsTransport } from '../transport/https'
import { readComponentEnv } from '../component/fromEnv'
import { componentPlatform, type ComponentPlatform } from '../component/platform'
import { cloudTokenStore, type StoreDatabaseLike } from '../component/store'
import type { SelfTestCheck } from '../types'
import type { Transport } from '../transport/types'
import type { InvocationContext, PurgeResult, Result, SelfTestResult } from '../types'

/** The parts of wx-server-sdk the cloud function uses. */
export type WxServerSdk = CloudLike &
  CloudStorageLike & {
    DYNAMIC_CURRENT_ENV: unknown
    init(options: { env: unknown; timeout?: number }): void
    getWXContext(): unknown
    logger(): { info(o: object): void; error(o: object): void }
    database(): DatabaseLike & OwnersDatabaseLike & StoreDatabaseLike
  }

/**
 * Labels in the environment's cloud storage, recorded in its database, living `settings.ttlMs`.
 *
 * @example
 * const storage = cloudLabelStorage(cloud, { ttlMs: 24 * 3600_000, collection: 'getorder_labels' })
 */
export function cloudLabelStorage(sdk: CloudStorageLike & { database(): DatabaseLike }, settings: LabelSettings, clock?: Clock): LabelStorage {
  return labelStore({
    files: cloudFiles(sdk),
    records: cloudRecords(sdk.database(), settings.collection),
    ttlMs: settings.ttlMs,
    ...(settings.ownerSecret !== undefined ? { ownerSecret: settings.ownerSecret } : {}),
    ...(clock ? { clock } : {}),
  })
}

/**
 * The cloud function's `main`, wired to a wx-server-sdk (the real one in the bundle, the
 * in-process fake in unit tests). Everything per invocation comes from the event, the context
 * and the environment the platform sets; nothing here throws to the platform.
 */
export function createCloudMain(sdk: WxServerSdk, env: NodeJS.ProcessEnv = process.env, options: { clock?: Clock; logger?: Logger } = {}) {
  // The CloudBase logger takes flat string records and warns on every use off the cloud.
  const logger: Logger = options.logger ?? (env._SCF_TCB_LOG === '1' ? cloudLogger(sdk.logger()) : jsonLogger)
  const clock = options.clock
  let initializedFor: string | undefined
  let cloudHandler: GetOrderHandler | undefined
  let httpsHandler: GetOrderHandler | undefined
  let httpsTransportOf: Transport | undefined
  let componentHandler: GetOrderHandler | undefined
  let componentPlatformOf: ComponentPlatform | undefined
  let componentTransportOf: Transport | undefined
  let storage: LabelStorage | undefined

  // The function's settings, read at most once a second: each read of process.env is a native
  // lookup (a dozen a call cost 3–5 µs on Node 18.15), and the platform gives a changed
  // configuration new instances. Identity is never kept: it is read for every invocation.
  let read: { at: number; labels: ReturnType<typeof readLabelSettings>; access: ReturnType<typeof readAccessConfig>; transportName: string; inCloud: boolean } | undefined
  const settings = () => {
    const now = Date.now()
    if (read === undefined || now - read.at >= SETTINGS_FOR_MS || now < read.at) {
      const transport = env.WX_TRANSPORT
      read = { at: now, labels: readLabelSettings(env), access: readAccessConfig(env), transportName: transport === undefined || transport === '' ? 'cloud' : transport, inCloud: hasCloudCredentials(env) }
    }
    return read
  }

  const uploads = storageConcurrency(env.STORAGE_CONCURRENCY)
  // The ownership records live in the environment's database, read by the cloud call's SDK.
  let owners: { collection: string; records: OrderOwners } | undefined
  const common = {
    caller: (context?: InvocationContext) => platformIdentity(sdk, env, context),
    access: () => settings().access,
    owners: (collection: string | undefined) => {
      // Off the cloud the real SDK's database fails with an unhandled rejection: no records there.
      if (collection === undefined || !settings().inCloud) return undefined
      if (owners?.collection !== collection) owners = { collection, records: cloudOrderOwners(sdk.database(), collection) }
      return owners.records
    },
    logger,
    batchConcurrency: batchConcurrency(env.BATCH_CONCURRENCY),
    ...(uploads !== undefined ? { storageConcurrency: uploads } : {}),
    ...(clock ? { clock } : {}),
  }

  const selfTestWith = (transport: Transport) => createSelfTestHandler({ ...common, transport, ...(storage ? { storage } : {}) })

  /**
   * The function's own timer trigger gets the purge's answer, `{ selfTest: true }` the
   * self-test's; every other event a `Result`.
   */
  function main(event: TimerEvent, context?: InvocationContext): Promise<PurgeResult>
  function main(event: { selfTest: true }, context?: InvocationContext): Promise<SelfTestResult>
  function main(event: unknown, context?: InvocationContext): Promise<Result>
  async function main(event: unknown, context?: InvocationContext): Promise<Result | PurgeResult | SelfTestResult> {
    const requestId = contextRequestId(context)
    try {
      const { labels, transportName, inCloud } = settings()
      if (!labels.ok) return refuse(labels.error.message, labels.error.hint!, requestId, context)
      // The SDK's own timeout (15 s by default) must never be what ends a call: give it the
      // platform's whole limit, so that our deadline (the limit less a margin) always comes first.
      const limit = timeLimitMs(context)
      const key = `${limit}|${labels.settings.ttlMs}|${labels.settings.collection}|${labels.settings.ownerSecret ?? ''}`
      if (inCloud && initializedFor !== key) {
        sdk.init({ env: sdk.DYNAMIC_CURRENT_ENV, timeout: limit })
        initializedFor = key
        // Labels go to the environment's cloud storage whatever the transport.
        storage = cloudLabelStorage(sdk, labels.settings, clock)
        cloudHandler = undefined
        httpsHandler = undefined
        httpsTransportOf = undefined
        componentHandler = undefined
      }
      if (isTimerEvent(event)) return await createPurgeHandler({ caller: common.caller, logger, ...(storage ? { storage } : {}), ...(clock ? { clock } : {}) })(event, context)
      if (transportName === 'https') {
        if (!httpsHandler) {
          const built = httpsTransportFromEnv(env)
          if ('error' in built) return refuse(built.error, built.hint, requestId, context)
          httpsTransportOf = built
          httpsHandler = createGetOrderHandler({ ...common, transport: built, ...(storage ? { storage } : {}) })
        }
        if (isSelfTestEvent(event)) return await selfTestWith(httpsTransportOf!)(event, context)
        return await httpsHandler(event, context)
      }
      if (transportName === 'component') {
        if (!inCloud) return refuse('No CloudBase credentials: the component flow keeps its tokens in the environment\'s database.', 'Deploy the function to CloudBase, or set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY for a local run.', requestId, context)
        if (!componentHandler) {
          const read = readComponentEnv(env)
          if (!read.ok) return refuse(read.error, read.hint, requestId, context)
          const c = read.settings
          const platform = componentPlatform({ appid: c.appid, secret: c.secret, store: cloudTokenStore(sdk.database(), c.collection), sealer: c.sealer, ...(c.baseUrl ? { baseUrl: c.baseUrl } : {}) })
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
          const named: Transport = { name: 'component', getOrder: unnamed, batchGetOrder: unnamed }
          componentTransportOf = named
          componentPlatformOf = platform
          componentHandler = createGetOrderHandler({ ...common, transport: named, component: { transportFor, ...(c.allowed ? { allowed: c.allowed } : {}) }, ...(storage ? { storage } : {}) })
        }
        if (isSelfTestEvent(event)) {
          const platform = componentPlatformOf!
          return await createSelfTestHandler({ ...common, transport: componentTransportOf!, permission: () => componentTokenCheck(platform), ...(storage ? { storage } : {}) })(event, context)
        }
        return await componentHandler(event, context)
      }
      if (transportName !== 'cloud') {
        return refuse(`WX_TRANSPORT is "${transportName.slice(0, 40)}", which is not a transport.`, 'Set WX_TRANSPORT to "cloud" (the default), "https" or "component".', requestId, context)
      }
      if (!inCloud) {
        // Off the cloud the SDK would reject and also raise an unhandled rejection that ends the process.
        return refuse(
          'No CloudBase credentials: TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY are not set, so the cloud call cannot be made.',
          'Deploy the function to CloudBase (the platform sets them), set them for a local run, or use WX_TRANSPORT=https.',
          requestId,
          context,
        )
      }
      if (isSelfTestEvent(event)) return await selfTestWith(cloudTransport(sdk))(event, context)
      cloudHandler ??= createGetOrderHandler({ ...common, transport: cloudTransport(sdk), crossAccount: (appid) => cloudTransport(sdk, { appid }), ...(storage ? { storage } : {}) })
      return await cloudHandler(event, context)
    } catch (err) {
      logger.error({ msg: 'getOrder internal error', requestId, stack: err instanceof Error ? err.stack : String(err) })
      return { ok: false, error: internalError(), requestId: requestId ?? randomUUID() }
    }
  }

  return main

  function refuse(message: string, hint: string, requestId: string | undefined, context: InvocationContext | undefined): Result {
    const result: Result = { ok: false, error: build('CONFIG_ERROR', message, hint), requestId: requestId ?? randomUUID() }
    // Refused before the handler runs, the line still says who asked and through what.
    let source = '(unknown)'
    try {
      source = describeSource(platformIdentity(sdk, env, context))
    } catch {
      // getWXContext reads the environment; it does not fail, but a log line must not depend on it
    }
    logger.info({ msg: 'getOrder', requestId: result.requestId, outcome: 'error', code: 'CONFIG_ERROR', source })
    return result
  }
}


/**
 * The caller as the platform describes it. wx-server-sdk's getWXContext() returns `{}` before it
 * reads TCB_SOURCE whenever WX_CONTEXT_KEYS is unset, so the chain is read from TCB_SOURCE too:
 * the same variable, so no less trustworthy, and a call with no identity keys keeps its source.
 */
export function platformIdentity(sdk: Pick<WxServerSdk, 'getWXContext'>, env: NodeJS.ProcessEnv, context?: InvocationContext) {
  // The invocation's own environment, when the platform passes it (`context.environ`, which the
  // runtime copies into process.env without clearing what an earlier invocation set there): a warm
  // instance must not lend one caller's OPENID or source to the next.
  const own = environOf(context)
  if (own !== undefined) return callerIdentity(wxContextFrom(own))
  const ctx = sdk.getWXContext()
  const fromSdk = typeof ctx === 'object' && ctx !== null ? (ctx as Record<string, unknown>) : {}
  return callerIdentity({ SOURCE: env.TCB_SOURCE, TRIGGER_SRC: env.TRIGGER_SRC, ...fromSdk })
}

/** How long the settings read from the environment are kept (one instance, one configuration). */
export const SETTINGS_FOR_MS = 1000

/** The self-test's permission row for a third-party platform: the component token can be had. */
async function componentTokenCheck(platform: ComponentPlatform): Promise<SelfTestCheck> {
  try {
    await platform.componentToken.getToken({ signal: AbortSignal.timeout(5000) })
    return { name: 'permission', ok: true, detail: 'The component_access_token was got (the ticket, AppSecret and IP whitelist are in order).' }
  } catch (err) {
    const e = toOrderError(err)
    return { name: 'permission', ok: false, detail: `The component_access_token could not be got: ${e.message}`, ...(e.hint ? { fix: e.hint } : {}), ...(e.wxErrCode !== undefined ? { wxErrCode: e.wxErrCode } : {}) }
  }
}

/** The platform sets the API key in the cloud; without it the real SDK cannot be used. */
function hasCloudCredentials(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.TENCENTCLOUD_SECRETID && env.TENCENTCLOUD_SECRETKEY)
}

/** `context.environ` (`k=v;k=v`, as the runtime splits it), or undefined when the platform gave none. */
function environOf(context: InvocationContext | undefined): Record<string, string> | undefined {
  const raw = context?.environ
  if (typeof raw !== 'string' || raw === '') return undefined
  const vars: Record<string, string> = {}
  for (const pair of raw.split(';')) {
    const at = pair.indexOf('=')
    if (at > 0) vars[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return vars
}

/** What wx-server-sdk's getWXContext() makes of an environment: WX_CONTEXT_KEYS without `WX_`, and SOURCE. */
function wxContextFrom(vars: Record<string, string>): Record<string, string> {
  const ctx: Record<string, string> = {}
  for (const key of (vars.WX_CONTEXT_KEYS ?? '').split(',')) {
    if (key !== '' && vars[key] !== undefined) ctx[key.startsWith('WX_') ? key.slice(3) : key] = vars[key]!
  }
  if (vars.TCB_SOURCE !== undefined) ctx.SOURCE = vars.TCB_SOURCE
  if (vars.TRIGGER_SRC !== undefined) ctx.TRIGGER_SRC = vars.TRIGGER_SRC
  return ctx
}

/** STORAGE_CONCURRENCY: label uploads in flight, 1–64 (default 48). */
export function storageConcurrency(raw: string | undefined): number | undefined {
  const n = raw === undefined ? NaN : Number(raw)
  return Number.isInteger(n) && n >= 1 && n <= 64 ? n : undefined
}

/** BATCH_CONCURRENCY: batchGetOrder calls in flight, 1–10 (default 3). */
export function batchConcurrency(raw: string | undefined): number {
  return batchConcurrencyRaw(raw) ?? DEFAULT_BATCH_CONCURRENCY
}

/** BATCH_CONCURRENCY as set, or undefined when it is unset or not 1–10 (and so ignored). */
export function batchConcurrencyRaw(raw: string | undefined): number | undefined {
  const n = raw === undefined ? NaN : Number(raw)
  return Number.isInteger(n) && n >= 1 && n <= 10 ? n : undefined
}
