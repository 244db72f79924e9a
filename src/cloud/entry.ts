import { randomUUID } from 'crypto'
import { describeSource } from '../access/identity'
import { type Clock, timeLimitMs } from '../clock/budget'
import { configCache } from '../config/cache'
import type { Config } from '../config/read'
import type { Env } from '../config/variables'
import { contextRequestId } from '../core/handler'
import { isSelfTestEvent } from '../core/selfTest'
import { configError, internalError } from '../errors/toOrderError'
import { isTimerEvent, type TimerEvent } from '../event/timer'
import type { Logger } from '../log/logger'
import type { WxServerSdk } from '../registry/types'
import type { InvocationContext, OrderError, PurgeResult, Result, SelfTestResult } from '../types'
import { platformIdentity } from './identity'
import { functionLogger } from './logger'
import { wire, type Wiring } from './wire'

export type { WxServerSdk } from '../registry/types'

/**
 * The cloud function's `main`, wired to a wx-server-sdk (the real one in the bundle, the
 * in-process fake in unit tests). Settings come from config/ (read at most once a second), the
 * transport from the registry; identity is read for every invocation. Nothing here throws to the
 * platform.
 *
 * @example
 * import cloud = require('wx-server-sdk')
 * export const main = createCloudMain(cloud, process.env)
 */
export function createCloudMain(sdk: WxServerSdk, env: Env = process.env, options: { clock?: Clock; logger?: Logger } = {}) {
  const logger = options.logger ?? functionLogger(sdk, env)
  const settings = configCache(env)
  let wired: { config: Config; limit: number; wiring: ReturnType<typeof wire> } | undefined

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
      const read = settings()
      if (!read.ok) return refuse(configError(read.problems), requestId, context)
      const limit = timeLimitMs(context)
      // Rebuilt only when the configuration or the platform's time limit changed: a warm instance keeps its tokens and caches.
      if (wired?.config !== read.value || wired.limit !== limit)
        wired = { config: read.value, limit, wiring: wire(sdk, env, read.value, limit, { logger, ...(options.clock ? { clock: options.clock } : {}) }) }
      const w: Wiring = wired.wiring
      if (isTimerEvent(event)) return await w.purge(event, context)
      const t = w.transport
      if (!t.ok) return refuse(configError(t.problems), requestId, context)
      if (isSelfTestEvent(event)) return await t.selfTest(event, context)
      return await t.handler(event, context)
    } catch (err) {
      logger.error({ msg: 'getOrder internal error', requestId, stack: err instanceof Error ? err.stack : String(err) })
      return { ok: false, error: internalError(), requestId: requestId ?? randomUUID() }
    }
  }

  /** Refused before a handler runs, the log line still says who asked and through what. */
  function refuse(error: OrderError, requestId: string | undefined, context: InvocationContext | undefined): Result {
    const result: Result = { ok: false, error, requestId: requestId ?? randomUUID() }
    let source = '(unknown)'
    try {
      source = describeSource(platformIdentity(sdk, env, context))
    } catch {
      // getWXContext reads the environment; it does not fail, but a log line must not depend on it
    }
    logger.info({ msg: 'getOrder', requestId: result.requestId, outcome: 'error', code: 'CONFIG_ERROR', source })
    return result
  }

  return main
}
