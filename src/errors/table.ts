import type { ErrorCode } from '../types'

export interface ErrcodeEntry {
  code: ErrorCode
  /** what the errcode means, completing "WeChat answered errcode N: …" */
  meaning: string
  hint?: string
}

// Sources, cited by key beside each row. Every row that maps to something other than WECHAT_ERROR,
// or gives a hint, names where its meaning comes from.
//  [doc]   the API's own page: developers.weixin.qq.com/miniprogram/dev/server/API/express/express-by-business/api_getorder.html
//  [comm]  WeChat's common error codes: developers.weixin.qq.com/doc/store/API/basics/commErrCode.html
//  [glob]  WeChat's global return codes, logistics block (93005xx); reproduced e.g. in the 微擎 (we7)
//          framework's errcode table: "9300501 快递侧逻辑错误，详细原因需要看 delivery_resultcode",
//          "9300503 delivery_id 不存在", "9300507 Token 不正确", "9300526 字段长度不正确"
//  [sdk]   wx-server-sdk 4.0.2's own ERR_CODE table (index.js in the npm package), for platform codes
//  [c501]  real 9300501 bodies with delivery_resultcode/delivery_resultmsg, WeChat developer community:
//          developers.weixin.qq.com/community/develop/doc/00046040e3cae8bca1580f6d25a400 (staff: "快递侧返回的逻辑错误")
//  [c528]  a real getOrder answer {"errcode":9300528,"errmsg":"invalid waybill_id rid: …"} for an order whose
//          addOrder had failed, with cancelOrder answering 930563 "order not exists":
//          developers.weixin.qq.com/community/develop/doc/00000c29f24070553bbe4afac56c00
//  [c563]  930563 "order not exists" in the same order service, staff answer "930563返回码含义是订单不存在":
//          developers.weixin.qq.com/community/develop/doc/0004e239824cd8883f5e864a656000
//  [c164]  40164 "invalid ip … not in whitelist": WeChat's global return codes (调用接口的IP地址不在白名单中)
//  [tok]   stable_token errors: developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-access-token/getStableAccessToken.html
//  [c520]  a real answer {"errcode":9300520,"errmsg":"invalid delivery id hint: …"} to a delivery_id sent as a list:
//          developers.weixin.qq.com/community/develop/doc/000406290640909d01caa7d8a56800
//  [add]   the addOrder page's errcode table (developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/express/express-by-business/addOrder.html),
//          as a public logistics client reproduces it: "9300502 delivery side sys error 快递公司系统错误，请稍后重试",
//          "930559 invalid openid 沙盒环境 openid 无效", "930564 quota run out 沙盒环境调用配额已用完"
//          (its table cites "官方文档《生成运单》错误码表"; the page itself was not in reach to read)
//  [c61004] a real api_component_token answer {"errcode":61004,"errmsg":"access clientip is not registered requestIP: …"},
//          staff: add the IP under 第三方平台 → 开发资料 → 白名单配置:
//          developers.weixin.qq.com/community/develop/doc/000042d408c098e39bcfe69bd51c00
//  [ctok]  api_component_token's own return codes: "61005 component ticket is expired", "61006 component ticket is
//          invalid" (developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/ThirdParty/token/component_access_token.html);
//          a stopped ticket push is restarted with api_start_push_ticket (component_verify_ticket_troubleshooting.html there)
//  [c61023] a real api_authorizer_token answer {"errcode":61023,"errmsg":"refresh_token is invalid rid: …"} after the
//          refresh token was replaced: developers.weixin.qq.com/community/develop/doc/0002869cb3415047f6ccccbb85a400;
//          "用户重新授权后，之前的刷新令牌会失效" (api_query_auth: developers.weixin.qq.com/doc/oplatform/openApi/ticket-token/api_getauthorizerrefreshtoken)
//  [contract] no public source found; mapped because the project's contract lists the code (see docs/contract.md)

const PERMISSION_HINT =
  'Add "logistics.getOrder" (and "logistics.batchGetOrder") to permissions.openapi in ' +
  'cloudfunctions/getOrder/config.json and upload the function again from WeChat devtools ' +
  '("upload and deploy"); permission changes take about 10 minutes to apply, and a deploy ' +
  'with the CloudBase CLI does not apply config.json at all.'
// The API documentation's own remedy for 40001 [doc].
const AUTH_HINT = 'The AppSecret used to get the access_token is wrong, or the token is not valid: check the ' + 'AppSecret, and that the token belongs to the account you are calling for.'
const RATE_HINT = 'Slow down: the API or the environment is over its call quota. Retry later, with backoff.'
const RETRY_HINT = 'A passing fault upstream; retrying later usually succeeds.'
const NO_ORDER_HINT = 'WeChat has no waybill for this order: check orderId, deliveryId and waybillId against the order as addOrder created it, ' + 'and that addOrder succeeded for this mini program.'

/**
 * Every errcode and platform code this function treats specially (docs/contract.md, errors). Anything
 * not here is a `WECHAT_ERROR` carrying the upstream code and message.
 */
export const ERRCODE_TABLE: Readonly<Record<number, ErrcodeEntry>> = {
  [-604101]: { code: 'CONFIG_ERROR', meaning: 'this function has no permission to call the API', hint: PERMISSION_HINT }, // [sdk] "function has no permission to call this API"
  48001: {
    code: 'CONFIG_ERROR',
    meaning: 'the account is not authorized for this API',
    hint: 'Check that the mini program has the logistics assistant (物流助手) enabled and, for a third-party platform, that permission set 45 or 71 is authorized.',
  }, // [comm] "api unauthorized"; sets 45/71 [doc]
  [-601004]: {
    code: 'CONFIG_ERROR',
    meaning: 'the cloud call was refused: API permission denied',
    hint: 'Check that the function runs in the cloud environment of the mini program it calls for, and that cloud calls are enabled for it.',
  }, // [sdk] "api permission denied"
  [-602018]: {
    code: 'CONFIG_ERROR',
    meaning: 'the API is not authorized for this environment',
    hint: 'Check the environment id the function was deployed to, and its status in the CloudBase console.',
  }, // [sdk] "unauthorized API"
  40164: {
    code: 'CONFIG_ERROR',
    meaning: 'the calling IP address is not in the API IP whitelist',
    hint: "Add the server's outbound IP address to the API IP whitelist (接口IP白名单) in the mini program's settings (a cloud function has one only once CloudBase's 固定出口 IP is enabled for the environment), or use the cloud transport.",
  }, // [c164]
  40013: { code: 'CONFIG_ERROR', meaning: 'the AppID is invalid', hint: "Check WX_APPID: it must be the mini program's own AppID." }, // [comm] "invalid appid"
  40125: { code: 'CONFIG_ERROR', meaning: 'the AppSecret is invalid', hint: "Check WX_APPSECRET against the mini program's settings (开发管理 → 开发设置); reset it there if unsure." }, // [tok] "invalid appsecret"
  40001: { code: 'AUTH_ERROR', meaning: 'the access_token is invalid or not the latest', hint: AUTH_HINT }, // [doc], [comm]
  40014: { code: 'AUTH_ERROR', meaning: 'the access_token is invalid', hint: AUTH_HINT }, // [glob] "不合法的access_token"
  42001: { code: 'AUTH_ERROR', meaning: 'the access_token has expired', hint: AUTH_HINT }, // [comm] "access_token expired"
  45009: { code: 'RATE_LIMITED', meaning: 'the daily API call quota is used up', hint: RATE_HINT }, // [comm] "reach max api daily quota limit"
  45011: { code: 'RATE_LIMITED', meaning: 'API calls are too frequent', hint: RATE_HINT }, // [comm] "api minute-quota reach limit"
  9300509: { code: 'RATE_LIMITED', meaning: 'the logistics API is limiting calls', hint: RATE_HINT }, // [contract]
  9300537: { code: 'RATE_LIMITED', meaning: 'the logistics API is limiting calls', hint: RATE_HINT }, // [contract]
  [-501003]: { code: 'RATE_LIMITED', meaning: 'the CloudBase environment is over its request limit', hint: RATE_HINT }, // [sdk] "exceed request limit"
  [-501004]: { code: 'RATE_LIMITED', meaning: 'the CloudBase environment is over its concurrent request limit', hint: RATE_HINT }, // [sdk] "exceed concurrent request limit"
  [-1]: { code: 'UPSTREAM_UNAVAILABLE', meaning: 'the WeChat system is busy', hint: RETRY_HINT }, // [comm] "system error … 系统繁忙"
  [-601001]: { code: 'UPSTREAM_UNAVAILABLE', meaning: 'the WeChat server had an internal error', hint: RETRY_HINT }, // [sdk] "system error"
  [-604102]: { code: 'UPSTREAM_UNAVAILABLE', meaning: 'the cloud call timed out', hint: RETRY_HINT }, // [sdk] "call open API timeout"
  [-604103]: { code: 'UPSTREAM_UNAVAILABLE', meaning: 'the cloud call failed in the platform', hint: RETRY_HINT }, // [sdk] "call open API system error"
  [-501001]: { code: 'UPSTREAM_UNAVAILABLE', meaning: 'the CloudBase resource system failed', hint: RETRY_HINT }, // [sdk] "resource system error"
  [-501002]: { code: 'UPSTREAM_UNAVAILABLE', meaning: 'the CloudBase resource server timed out', hint: RETRY_HINT }, // [sdk] "resource server timeout"
  47001: { code: 'WECHAT_ERROR', meaning: 'the request data is malformed', hint: 'Check orderId, deliveryId and waybillId against the order as it was added (addOrder).' }, // [comm] "data format error"
  40003: { code: 'WECHAT_ERROR', meaning: 'the openid is invalid', hint: "Pass the openid of a user of this mini program, or leave it out to use the caller's." }, // [comm] "invalid openid"
  9300501: {
    code: 'WECHAT_ERROR',
    meaning: 'the carrier refused the request',
    hint: "The carrier's own reason is in deliveryResultCode and deliveryResultMsg; fix what it names (an account password, a sender's details …).",
  }, // [glob], [c501]
  // The carrier's own system failed: another try inside the budget often succeeds.
  9300502: { code: 'UPSTREAM_UNAVAILABLE', meaning: "the carrier's system had an error", hint: "A passing fault in the carrier's system; retrying later usually succeeds." }, // [add]
  9300520: { code: 'WECHAT_ERROR', meaning: 'the delivery_id is invalid', hint: 'Send deliveryId as one carrier id string from getAllDelivery (e.g. "SF"), spelled as WeChat lists it.' }, // [c520]
  930559: {
    code: 'WECHAT_ERROR',
    meaning: 'the sandbox refused the openid',
    hint: "In the sandbox (delivery_id TEST) pass the openid of a user of this mini program, or leave openid out to use the caller's.",
  }, // [add]
  930564: { code: 'RATE_LIMITED', meaning: "the sandbox's call quota is used up", hint: "The test carrier's (TEST) quota is spent; try again another day, or test against the local harness." }, // [add]
  9300503: { code: 'WECHAT_ERROR', meaning: 'the delivery_id does not exist', hint: 'Use a carrier id from getAllDelivery (e.g. SF, YTO, ZTO), spelled as WeChat lists it.' }, // [glob]
  9300526: { code: 'WECHAT_ERROR', meaning: 'a field is longer than the API allows', hint: 'Shorten orderId, waybillId or customRemark.' }, // [glob] "字段长度不正确"
  9300528: { code: 'WECHAT_ERROR', meaning: 'the waybill_id is invalid, or the order has no waybill', hint: NO_ORDER_HINT }, // [c528]
  930563: { code: 'WECHAT_ERROR', meaning: 'the order does not exist', hint: NO_ORDER_HINT }, // [c563], [c528]
  61004: {
    code: 'CONFIG_ERROR',
    meaning: "the calling IP is not in the third-party platform's whitelist",
    hint: "Add the server's outbound IP under 第三方平台 → 开发资料 → 白名单配置 (a cloud function has one only with CloudBase's 固定出口 IP).",
  }, // [c61004]
  61005: {
    code: 'CONFIG_ERROR',
    meaning: 'the component_verify_ticket has expired',
    hint: 'WeChat pushes a new ticket to the authorization event URL (wxComponent) every 10 minutes; if none arrives, ask for one now: npm run component -- ticket --env <envId> (api_start_push_ticket), and check wxComponent answers success.',
  }, // [ctok]
  61006: {
    code: 'CONFIG_ERROR',
    meaning: 'the component_verify_ticket is invalid (expired or replaced): a new push is due',
    hint: 'WeChat pushes a new ticket to the authorization event URL (wxComponent) every 10 minutes; if none arrives, ask for one now: npm run component -- ticket --env <envId> (api_start_push_ticket), and check wxComponent answers success.',
  }, // [ctok]
  61023: {
    code: 'AUTH_ERROR',
    meaning: "the merchant's refresh token is invalid: the authorization was revoked or replaced",
    hint: 'The merchant must authorize the platform again (the authorization link); it is marked unauthorized until then.',
  }, // [c61023]
}

/** Codes whose failure may pass if the same call is made again (docs/contract.md §7 "retryable"). */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['UPSTREAM_UNAVAILABLE', 'TIMEOUT'])

/** Errcodes after which the HTTPS transport refreshes its token once and tries again. */
export const TOKEN_ERRCODES: ReadonlySet<number> = new Set([40001, 40014, 42001])

export function lookupErrcode(errcode: number): ErrcodeEntry | undefined {
  return Object.prototype.hasOwnProperty.call(ERRCODE_TABLE, errcode) ? ERRCODE_TABLE[errcode] : undefined
}
