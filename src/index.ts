/**
 * The getOrder library: the same core the cloud function runs, for any Node program. What is
 * exported here is what the README documents; everything else is internal. Label rendering is
 * its own entry point, `wx-getorder/render`, so that this one needs no browser.
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
// The handler and the cloud function around it
export { createGetOrderHandler, type GetOrderDeps, type GetOrderHandler } from './core/handler'
export { createCloudMain, type WxServerSdk } from './cloud/entry'
export { cloudLabelStorage } from './cloud/storage'
export type { LabelStorage } from './label/store'
// Settings, read as the function reads them
export { readConfig, readAccessConfig, type Config } from './config'
export { trustServerCallers, type AccessConfig } from './access/policy'
export { callerIdentity, type CallerIdentity } from './access/identity'
export { recordOrderOwner, cloudOrderOwners, type OrderOwners, type OrderOwnerRecord } from './access/owners'
// Transports
export { cloudTransport, type CloudLike } from './transport/cloud'
export { httpsTransport, DEFAULT_API_BASE, type HttpsTransportOptions } from './transport/https'
export { stableTokenProvider, tokenProvider, type TokenProvider, type StableTokenOptions } from './transport/tokens'
export type { Transport, CallOptions } from './transport/types'
// The label, decoded yourself
export { decodePrintHtml, type LabelResult } from './decode/decode'
// Logging
export { jsonLogger, silentLogger, type Logger, type LogRecord } from './log/logger'
// Third-party platforms
export { componentPlatform, type ComponentPlatform, type Merchant } from './component/platform'
export { createPushReceiver, type PushRequest, type PushAnswer } from './component/push'
export { componentPushHandler } from './component/node'
export { memoryTokenStore, redisTokenStore, cloudTokenStore, type TokenStore, type RedisLike } from './component/store'
export { sealerFrom, type Sealer } from './component/seal'
export { aesKeyOf } from './component/crypto'
