import type { ErrorCode } from '../types'

export interface ErrcodeEntry {
  code: ErrorCode
  /** what the errcode means, completing "WeChat answered errcode N: …" */
  meaning: string
  hint?: string
}

const PERMISSION_HINT =
  'Add "logistics.getOrder" (and "logistics.batchGetOrder") to permissions.openapi in ' +
  'cloudfunctions/getOrder/config.json and upload the function again from WeChat devtools ' +
  '("upload and deploy"); permission changes take about 10 minutes to apply, and a deploy ' +
  'with the CloudBase CLI may not apply config.json at all.'
const AUTH_HINT =
  'The AppSecret used to get the access_token is wrong, or the token is not valid: check the ' +
  'AppSecret, and that the token belongs to the account you are calling for.'
const RATE_HINT = 'Slow down: the API or the environment is over its call quota. Retry later, with backoff.'
const RETRY_HINT = 'A passing fault upstream; retrying later usually succeeds.'

/**
 * Every errcode and platform code this function treats specially (CONTRACT §7). Anything not
 * here is a `WECHAT_ERROR` carrying the upstream code and message.
 */
export const ERRCODE_TABLE: Readonly<Record<number, ErrcodeEntry>> = {
  [-604101]: { code: 'CONFIG_ERROR', meaning: 'this function has no permission to call the API', hint: PERMISSION_HINT },
  48001: { code: 'CONFIG_ERROR', meaning: 'the account is not authorized for this API', hint: 'Check that the mini program has the logistics assistant (物流助手) enabled and, for a third-party platform, that permission set 45 or 71 is authorized.' },
  [-601004]: { code: 'CONFIG_ERROR', meaning: 'the cloud call was refused by the environment', hint: 'Check that the function runs in the cloud environment of the mini program it calls for, and that cloud calls are enabled for it.' },
  [-602018]: { code: 'CONFIG_ERROR', meaning: 'the cloud environment is not usable for this call', hint: 'Check the environment id the function was deployed to, and its status in the CloudBase console.' },
  40164: { code: 'CONFIG_ERROR', meaning: 'the calling IP address is not in the API IP whitelist', hint: 'Add the server\'s outbound IP address to the API IP whitelist (接口IP白名单) in the mini program\'s settings, or use the cloud transport.' },
  40013: { code: 'CONFIG_ERROR', meaning: 'the AppID is invalid', hint: 'Check WX_APPID: it must be the mini program\'s own AppID.' },
  40125: { code: 'CONFIG_ERROR', meaning: 'the AppSecret is invalid', hint: 'Check WX_APPSECRET against the mini program\'s settings (开发管理 → 开发设置); reset it there if unsure.' },
  40001: { code: 'AUTH_ERROR', meaning: 'the access_token is invalid or not the latest', hint: AUTH_HINT },
  40014: { code: 'AUTH_ERROR', meaning: 'the access_token is invalid', hint: AUTH_HINT },
  42001: { code: 'AUTH_ERROR', meaning: 'the access_token has expired', hint: AUTH_HINT },
  45009: { code: 'RATE_LIMITED', meaning: 'the daily API call quota is used up', hint: RATE_HINT },
  45011: { code: 'RATE_LIMITED', meaning: 'API calls are too frequent', hint: RATE_HINT },
  9300509: { code: 'RATE_LIMITED', meaning: 'the logistics API is limiting calls', hint: RATE_HINT },
  9300537: { code: 'RATE_LIMITED', meaning: 'the logistics API is limiting calls', hint: RATE_HINT },
  [-501003]: { code: 'RATE_LIMITED', meaning: 'the CloudBase environment is over its call quota', hint: RATE_HINT },
  [-501004]: { code: 'RATE_LIMITED', meaning: 'the CloudBase environment is limiting calls', hint: RATE_HINT },
  [-1]: { code: 'UPSTREAM_UNAVAILABLE', meaning: 'the WeChat system is busy', hint: RETRY_HINT },
  [-601001]: { code: 'UPSTREAM_UNAVAILABLE', meaning: 'the WeChat server had an internal error', hint: RETRY_HINT },
  [-604102]: { code: 'UPSTREAM_UNAVAILABLE', meaning: 'the cloud call timed out', hint: RETRY_HINT },
  [-604103]: { code: 'UPSTREAM_UNAVAILABLE', meaning: 'the cloud call failed in the platform', hint: RETRY_HINT },
  [-501001]: { code: 'UPSTREAM_UNAVAILABLE', meaning: 'the CloudBase resource system failed', hint: RETRY_HINT },
  [-501002]: { code: 'UPSTREAM_UNAVAILABLE', meaning: 'the CloudBase resource server timed out', hint: RETRY_HINT },
  47001: { code: 'WECHAT_ERROR', meaning: 'the request data is malformed', hint: 'Check orderId, deliveryId and waybillId against the order as it was added (addOrder).' },
  40003: { code: 'WECHAT_ERROR', meaning: 'the openid is invalid', hint: 'Pass the openid of a user of this mini program, or leave it out to use the caller\'s.' },
}

/** Codes whose failure may pass if the same call is made again (CONTRACT §7 "retryable"). */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['UPSTREAM_UNAVAILABLE', 'TIMEOUT'])

/** Errcodes after which the HTTPS transport refreshes its token once and tries again. */
export const TOKEN_ERRCODES: ReadonlySet<number> = new Set([40001, 40014, 42001])

export function lookupErrcode(errcode: number): ErrcodeEntry | undefined {
  return Object.prototype.hasOwnProperty.call(ERRCODE_TABLE, errcode) ? ERRCODE_TABLE[errcode] : undefined
}
