/**
 * The getOrder library: the same core the cloud function runs, for any Node program.
 *
 * @example
 * import { createGetOrderHandler, httpsTransport, stableTokenProvider, trustServerCallers } from 'wx-getorder'
 *
 * const getOrder = createGetOrderHandler({
 *   transport: httpsTransport({ tokens: stableTokenProvider({ appid: process.env.WX_APPID!, secret: process.env.WX_APPSECRET! }) }),
 *   caller: () => undefined,
 *   access: trustServerCallers,
 * })
 * const result = await getOrder({ orderId: '01234567890123456789', deliveryId: 'SF' })
 * if (result.ok && 'order' in result) console.log(result.order.status, result.order.waybillData)
 */
export * from './types'
export { createGetOrderHandler, type GetOrderDeps, type GetOrderHandler, BATCH_CHUNK, DEFAULT_BATCH_CONCURRENCY } from './core/handler'
export { createCloudMain, cloudLabelStorage, type WxServerSdk } from './cloud/entry'
export { createPurgeHandler, type PurgeDeps } from './core/purge'
export { createSelfTestHandler, isSelfTestEvent, type SelfTestDeps } from './core/selfTest'
export { isTimerEvent, type TimerEvent, PURGE_TRIGGER } from './event/timer'
export { cloudTransport, type CloudLike } from './transport/cloud'
export { httpsTransport, DEFAULT_API_BASE, type HttpsTransportOptions } from './transport/https'
export { httpsTransportFromEnv } from './transport/fromEnv'
export { stableTokenProvider, tokenProvider, type TokenProvider, type TokenRequest, type StableTokenOptions } from './transport/tokens'
export type { Transport, CallOptions } from './transport/types'
export { cloudFiles, type LabelFiles, type CloudStorageLike } from './label/storage'
export { cloudRecords, type LabelRecords, type LabelRecord, type DatabaseLike } from './label/records'
export { labelStore, ownerKey, type LabelStorage, type LabelSession } from './label/store'
export { readLabelSettings, DEFAULT_LABEL_TTL_HOURS, type LabelSettings } from './label/settings'
export { decodePrintHtml, bytesToText, type LabelResult } from './label/decode'
export { decodeBase64 } from './label/base64'
export { validateEvent, type Validation } from './event/validate'
export { readAccessConfig, decideAccess, trustServerCallers, DEFAULT_TRUSTED_SOURCES, type AccessConfig, type Decision, type Role } from './access/policy'
export { callerIdentity, type CallerIdentity } from './access/identity'
export { cloudOrderOwners, recordOrderOwner, type OrderOwners, type OrderOwnerRecord, type OwnersDatabaseLike } from './access/owners'
export { normalizeOrder } from './upstream/normalize'
export { ERRCODE_TABLE } from './errors/table'
export { UpstreamError } from './errors/upstream'
export { jsonLogger, silentLogger, type Logger, type LogRecord } from './log/logger'
export { OPENAPI } from './upstream/wire'
export { componentPlatform, GETORDER_FUNC_SETS, type ComponentPlatform, type ComponentSettings, type Merchant } from './component/platform'
export { createPushReceiver, type PushRequest, type PushAnswer } from './component/push'
export { componentPushHandler } from './component/node'
export { memoryTokenStore, redisTokenStore, cloudTokenStore, type TokenStore, type RedisLike, type StoreDatabaseLike } from './component/store'
export { sealerFrom, type Sealer } from './component/seal'
export { aesKeyOf, msgSignature, decryptMessage, encryptMessage } from './component/crypto'
export { readComponentEnv, DEFAULT_COMPONENT_COLLECTION } from './component/fromEnv'
export { sharedToken } from './component/shared'
