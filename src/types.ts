/**
 * The public shapes of docs/contract.md §2–§7. Field names here are the interface: rename nothing.
 */

export type PrintType = 0 | 1
export type PrintHtmlAs = 'text' | 'file' | 'none'

/** One order of a batch event (docs/contract.md §6). */
export interface BatchOrderInput {
  orderId: string
  deliveryId: string
  waybillId?: string
}

/** A valid single-order event, after validation (`userInfo` dropped). */
export interface SingleEvent {
  orderId: string
  deliveryId: string
  waybillId?: string
  openid?: string
  printType?: PrintType
  customRemark?: string
  printHtmlAs?: PrintHtmlAs
  /** the merchant a third-party platform reads for (`WX_TRANSPORT=component`) */
  authorizerAppid?: string
}

/** A valid batch event, after validation: `orders` and `printHtmlAs`, nothing else. */
export interface BatchEvent {
  orders: BatchOrderInput[]
  printHtmlAs?: PrintHtmlAs
  /** the merchant a third-party platform reads for (`WX_TRANSPORT=component`) */
  authorizerAppid?: string
}

export type GetOrderEvent = SingleEvent | BatchEvent

export type OrderStatus = 'normal' | 'cancelled' | 'unknown'

/** A label stored in cloud storage. It holds personal data, so it lives a bounded time. */
export interface PrintHtmlFile {
  fileID: string
  /** a temporary URL, issued to stop working no later than the file goes */
  tempFileURL: string
  bytes: number
  /** when the file is deleted (ISO 8601); set by LABEL_TTL_HOURS */
  expiresAt: string
}

export interface Order {
  orderId: string
  deliveryId: string
  waybillId: string | null
  /** order_status 0 / 1 / anything else */
  status: OrderStatus
  /** the raw order_status */
  statusCode: number | null
  /** the decoded label HTML (docs/contract.md §4) */
  printHtml: string | null
  printHtmlFile?: PrintHtmlFile
  /** waybill_data as key → value (the last value wins for a repeated key) */
  waybillData: Record<string, string>
  /** the same, in upstream order */
  waybillDataList: { key: string; value: string }[]
}

export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'PERMISSION_DENIED',
  'CONFIG_ERROR',
  'AUTH_ERROR',
  'RATE_LIMITED',
  'UPSTREAM_UNAVAILABLE',
  'TIMEOUT',
  'BAD_RESPONSE',
  'WECHAT_ERROR',
  'RESULT_TOO_LARGE',
  'INTERNAL',
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

export interface OrderError {
  code: ErrorCode
  /** one readable English sentence */
  message: string
  /** what to do about it */
  hint?: string
  retryable: boolean
  /** INVALID_ARGUMENT: the offending field */
  field?: string
  /** the upstream errcode / platform code, when there was one */
  wxErrCode?: number
  wxErrMsg?: string
  /**
   * The carrier's own code and reason, when WeChat passes them on (`delivery_resultcode` /
   * `delivery_resultmsg`, e.g. with 9300501). Over the cloud call a failed single order loses
   * them: wx-server-sdk throws only errCode and errMsg. Batch items keep them on any transport.
   */
  deliveryResultCode?: number
  deliveryResultMsg?: string
}

export const WARNING_CODES = ['PRINT_HTML_MISSING', 'PRINT_HTML_INVALID_BASE64', 'PRINT_HTML_NOT_HTML', 'PRINT_HTML_OFFLOADED', 'UNKNOWN_ORDER_STATUS', 'ORDER_CANCELLED'] as const
export type WarningCode = (typeof WARNING_CODES)[number]

export interface Warning {
  code: WarningCode
  message: string
}

export type BatchItem = { ok: true; order: Order; warnings: Warning[] } | { ok: false; orderId: string; deliveryId: string; error: OrderError }

export type SingleSuccess = { ok: true; order: Order; warnings: Warning[]; requestId: string }
export type BatchSuccess = { ok: true; orders: BatchItem[]; warnings: Warning[]; requestId: string }
export type Failure = { ok: false; error: OrderError; requestId: string }

export type Result = SingleSuccess | BatchSuccess | Failure

/** What one run of the label purge did (the hourly timer's answer). */
export interface PurgeReport {
  /** files deleted (or found already gone) whose records were removed */
  deleted: number
  /** files whose deletion failed; their records step aside and are tried again later */
  failed: number
  /** of those, the ones that have failed PURGE_STUCK_AFTER (6) times or more: look at them */
  stuck: number
  /** expired records still waiting: time ran out, or deletions failed */
  more: boolean
}

/** The function's answer to its own timer trigger. Not a `Result`: no mini program reads it. */
export type PurgeResult = { ok: true; purge: PurgeReport; requestId: string } | Failure

/** One row of the deployment self-test (`{ selfTest: true }`, run by `npm run doctor`). */
export interface SelfTestCheck {
  /** `permission`: the cloud call's permission; `storage`: write → temp URL → delete; `records`: the label records collection; `owners`: ORDER_OWNERS_COLLECTION */
  name: 'permission' | 'storage' | 'records' | 'owners'
  ok: boolean
  /** what was seen, in one sentence */
  detail: string
  /** what to do about it, when `ok` is false */
  fix?: string
  wxErrCode?: number
}

/** What the self-test found. It leaves nothing behind: the one file it writes is deleted again. */
export interface SelfTestReport {
  /** every check passed */
  healthy: boolean
  transport: string
  checks: SelfTestCheck[]
  /** how the function saw the call that asked for it: what the platform sends a management invoke */
  seen: CallSeen
  /** the last run of the label purge the function recorded, or null when none is recorded */
  lastPurge: PurgeNote | null
}

/** A call as the function saw it: never an OPENID in full. */
export interface CallSeen {
  /** the source chain (`SOURCE`), `(none)` when the platform named none */
  source: string
  /** which identity marks the platform set: OPENID, FROM_OPENID, FROM_APPID, TRIGGER_SRC=… */
  markers: string[]
  /** the OPENID, masked, when there was one */
  caller?: string
  /** how the call was let in: `ticket`, `admin` or `server` */
  admittedAs: string
}

/** The outcome of one purge run, or of one timer-shaped event refused, as recorded for the doctor. */
export interface PurgeNote {
  /** when, ms since the epoch */
  at: number
  outcome: 'ran' | 'refused' | 'failed'
  deleted?: number
  failed?: number
  stuck?: number
  more?: boolean
  /** why it was refused or failed */
  why?: string
  /** the last refused timer-shaped event, when it came after this run */
  lastRefused?: { at: number; why: string }
}

/** The function's answer to `{ selfTest: true }`: `ok` says the self-test ran, `healthy` what it found. */
export type SelfTestResult = { ok: true; selfTest: SelfTestReport; requestId: string } | Failure

/** What the platform passes as the second argument of `main`. */
export interface InvocationContext {
  request_id?: string
  time_limit_in_ms?: number
  /** the function's memory, in MB (SCF passes it; the CLI's runtime as a string) */
  memory_limit_in_mb?: number | string
  [key: string]: unknown
}

/** One thing wrong with the function's settings: which variable, what, and what to do. Never quotes a secret. */
export interface SettingProblem {
  variable: string
  message: string
  hint: string
}

/** The one shape every settings read answers in: the value, or every problem at once. */
export type Settings<T> = { ok: true; value: T } | { ok: false; problems: SettingProblem[] }
