/**
 * Who is calling, as the platform vouches for it through `cloud.getWXContext()`: the OPENID
 * (set only for calls from the mini program itself), the source chain, and the marks of a
 * cross-account call. Nothing here comes from the event.
 */
export interface CallerIdentity {
  /** the caller's OPENID; undefined when the platform gave none (an empty string is none) */
  openid?: string
  /** `SOURCE`, split: `['wx_client', 'scf']` for a mini program calling a function calling us */
  source: string[]
  /**
   * The chain has an empty or padded hop (`wx_trigger,,scf`, `" wx_trigger"`, `wx_trigger,`).
   * The platform never sends one, so such a call is refused, never normalised.
   */
  sourceMalformed?: true
  /** cross-account calls: the calling account's user and AppID */
  fromOpenid?: string
  fromAppid?: string
  /**
   * `TRIGGER_SRC`, which the platform sets to `timer` when a timer trigger invokes the function
   * (node-sdk picks the timer's own token by it: `if (TRIGGER_SRC === 'timer')` in its wx adapter)
   */
  triggerSrc?: string
}

/** Reads a `getWXContext()` answer. The SDK turns digits-only values into numbers; they are read back. */
export function callerIdentity(wxContext: unknown): CallerIdentity {
  const ctx = typeof wxContext === 'object' && wxContext !== null ? (wxContext as Record<string, unknown>) : {}
  const source = sourceChain(ctx.SOURCE)
  const identity: CallerIdentity = { source }
  if (source.some((hop) => !SOURCE_HOP.test(hop))) identity.sourceMalformed = true
  const openid = text(ctx.OPENID)
  const fromOpenid = text(ctx.FROM_OPENID)
  const fromAppid = text(ctx.FROM_APPID)
  const triggerSrc = text(ctx.TRIGGER_SRC)
  if (triggerSrc !== undefined) identity.triggerSrc = triggerSrc
  if (openid !== undefined) identity.openid = openid
  if (fromOpenid !== undefined) identity.fromOpenid = fromOpenid
  if (fromAppid !== undefined) identity.fromAppid = fromAppid
  return identity
}

/** What a handler's `caller` gives: an identity, just an OPENID, or nothing. */
export function toIdentity(caller: CallerIdentity | string | undefined): CallerIdentity {
  if (caller === undefined) return { source: [] }
  if (typeof caller === 'string') return caller === '' ? { source: [] } : { openid: caller, source: [] }
  return caller
}

/** The chain as the log and messages show it. */
export function describeSource(identity: CallerIdentity): string {
  if (identity.source.length === 0) return '(none)'
  const chain = identity.source.join(',')
  // Quoted when malformed, so the log shows the padding; bounded, since it is the caller's text.
  return identity.sourceMalformed ? JSON.stringify(chain.slice(0, 80)) : chain
}

export function isCrossAccount(identity: CallerIdentity): boolean {
  return identity.fromOpenid !== undefined || identity.fromAppid !== undefined
}

/** One hop of a source chain, as the platform names them and as TRUSTED_SOURCES takes them. */
export const SOURCE_HOP = /^[A-Za-z0-9_.-]{1,64}$/

function sourceChain(raw: unknown): string[] {
  const s = text(raw)
  return s === undefined ? [] : s.split(',')
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return undefined
}
