import { createPushReceiver, type PushRequest } from '../component/push'
import type { StoreDatabaseLike } from '../component/store'
import { readComponentConfig } from '../config/read'
import type { Env } from '../config/variables'
import type { Logger } from '../log/logger'
import { platformOf } from '../registry/component'
import { functionLogger } from './logger'

/** What the CloudBase HTTP access service (an API-gateway-shaped event) hands a function. */
export interface HttpAccessEvent {
  httpMethod?: string
  path?: string
  headers?: Record<string, string>
  queryStringParameters?: Record<string, string>
  body?: string
  isBase64Encoded?: boolean
}

export interface HttpAccessResult {
  statusCode: number
  headers: Record<string, string>
  body: string
  isBase64Encoded: false
}

/** The parts of wx-server-sdk the push receiver uses. */
export interface ComponentSdk {
  DYNAMIC_CURRENT_ENV: unknown
  init(options: { env: unknown }): void
  database(): StoreDatabaseLike
  logger(): { info(o: object): void; error(o: object): void }
}

/**
 * `cloudfunctions/wxComponent`: the platform's authorization event URL, through the CloudBase HTTP
 * access service. It answers `success` to every push it accepted and refuses the rest; it never
 * throws to the platform and never logs a ticket, a token or a key.
 */
export function createComponentMain(sdk: ComponentSdk, env: Env = process.env, options: { logger?: Logger } = {}) {
  const logger: Logger = options.logger ?? functionLogger(sdk, env)
  let receive: ((req: PushRequest) => Promise<{ status: number; body: string }>) | undefined
  const answer = (statusCode: number, body: string): HttpAccessResult => ({ statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body, isBase64Encoded: false })

  return async function main(event: HttpAccessEvent): Promise<HttpAccessResult> {
    try {
      if (typeof event !== 'object' || event === null || (event.httpMethod ?? 'POST').toUpperCase() !== 'POST') return answer(405, 'POST only')
      if (!receive) {
        const read = readComponentConfig(env)
        if (!read.ok) {
          logger.error({ msg: 'componentPush', outcome: 'config', why: read.problems.map((p) => p.message).join(' ') })
          return answer(500, 'not configured')
        }
        sdk.init({ env: sdk.DYNAMIC_CURRENT_ENV })
        const c = read.value
        const platform = platformOf(sdk.database(), c)
        receive = createPushReceiver({ platform, token: c.token, aesKey: c.aesKey, ...(c.previousAesKey ? { previousAesKey: c.previousAesKey } : {}), logger })
      }
      const body = typeof event.body === 'string' ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : ''
      const got = await receive({ query: event.queryStringParameters ?? {}, body })
      return answer(got.status, got.body)
    } catch (err) {
      logger.error({ msg: 'componentPush internal error', stack: err instanceof Error ? err.stack : String(err) })
      return answer(500, 'error')
    }
  }
}
