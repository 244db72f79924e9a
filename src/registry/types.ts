import type { OwnersDatabaseLike } from '../access/owners'
import type { TicketDatabaseLike } from '../access/tickets'
import type { TicketBook } from '../access/tickets'
import type { StoreDatabaseLike } from '../component/store'
import type { TransportChoice, TransportName } from '../config/transports'
import type { GetOrderDeps, GetOrderHandler } from '../core/handler'
import type { DatabaseLike } from '../label/records'
import type { CloudStorageLike } from '../label/storage'
import type { CloudLike } from '../transport/cloud'
import type { InvocationContext, SelfTestResult } from '../types'

/** The parts of wx-server-sdk the cloud function uses. */
export type WxServerSdk = CloudLike &
  CloudStorageLike & {
    DYNAMIC_CURRENT_ENV: unknown
    init(options: { env: unknown; timeout?: number }): void
    getWXContext(): unknown
    logger(): { info(o: object): void; error(o: object): void }
    database(): DatabaseLike & OwnersDatabaseLike & StoreDatabaseLike & TicketDatabaseLike
  }

/** What every transport's handler shares: the caller, the access rules, storage, logging, limits. */
export type CommonDeps = Omit<GetOrderDeps, 'transport' | 'component' | 'crossAccount'> & {
  /** the doctor's one-time self-test tickets */
  tickets?: TicketBook
}

/** A transport wired for the function: its getOrder handler and its self-test. */
export interface Wired {
  handler: GetOrderHandler
  selfTest(event: { selfTest: true }, context?: InvocationContext): Promise<SelfTestResult>
}

/**
 * One transport of the registry: what it needs and how it is built. The function, the doctor and
 * the harness all look transports up here, so a new one is added in one place.
 */
export interface TransportEntry<N extends TransportName> {
  name: N
  /** one line for the doctor and the README */
  summary: string
  /** the variables it needs, besides the common ones (config/transports.ts reads them) */
  variables: readonly string[]
  /** why it cannot run without CloudBase credentials, and what to do; undefined: it can */
  needsCloud?: { message: string; hint: string }
  /** functions deployed beside getOrder that must carry the same values of `shared` */
  companions: readonly { name: string; shared: readonly string[] }[]
  build(choice: Extract<TransportChoice, { name: N }>, sdk: WxServerSdk, common: CommonDeps): Wired
}
