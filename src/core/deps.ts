import type { CallerIdentity } from '../access/identity'
import type { OrderOwners } from '../access/owners'
import type { AccessConfigResult } from '../access/policy'
import type { Clock } from '../clock/budget'
import type { RetryPolicy } from '../clock/retry'
import type { LabelStorage } from '../label/store'
import type { Logger } from '../log/logger'
import type { Transport } from '../transport/types'
import type { InvocationContext, Result } from '../types'

export interface GetOrderDeps {
  transport: Transport
  /**
   * Who is calling, as the platform vouches for it: a `CallerIdentity` (from `callerIdentity(
   * cloud.getWXContext())`), or just an OPENID, or undefined for no caller at all.
   */
  caller: (context?: InvocationContext) => CallerIdentity | string | undefined
  /** the access rules' settings, read per invocation */
  access: () => AccessConfigResult
  /**
   * The ownership records of `ORDER_OWNERS_COLLECTION` (the access settings' `ownersCollection`),
   * which a plain user's read needs (`ACCESS_POLICY=own`). Without it no plain user is served.
   */
  owners?: (collection: string | undefined) => OrderOwners | undefined
  /**
   * A third-party platform (`WX_TRANSPORT=component`): every event names the merchant it reads for
   * (`authorizerAppid`), admins and trusted servers only, and the call goes out with that
   * merchant's token. `allowed` (`AUTHORIZER_APPIDS`) restricts which merchants.
   */
  component?: { transportFor(authorizerAppid: string): Transport; allowed?: ReadonlySet<string> }
  /**
   * The transport that makes the call as another account (`cloud.openapi({ appid })`), for a
   * trusted cross-account caller. Without it such callers are refused.
   */
  crossAccount?: (appid: string) => Transport
  storage?: LabelStorage
  logger?: Logger
  clock?: Clock
  random?: () => number
  retry?: RetryPolicy
  batchConcurrency?: number
  /** label uploads in flight at most (default 48) */
  storageConcurrency?: number
  /**
   * The largest label a batch item may carry, in base64 characters (`BATCH_MAX_LABEL_KB` × 1024;
   * default 5 M, a label of 3.75 MB). Batch chunks are sized as if every label in them were this large,
   * since the SDK parses a whole answer before anything can be measured; a larger label fails its
   * item with RESULT_TOO_LARGE. Lower it when your labels are small, for fewer calls.
   */
  batchMaxLabelChars?: number
  /**
   * Largest result, in bytes, before labels are offloaded to storage. Default: just under the
   * 1 MB callFunction limit. A Node server that returns results over its own channel can pass
   * `Infinity`.
   */
  resultLimitBytes?: number
}

export type GetOrderHandler = (event: unknown, context?: InvocationContext) => Promise<Result>
