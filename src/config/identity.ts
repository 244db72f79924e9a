import type { InvocationContext } from '../types'
import type { Env } from './variables'

/**
 * The caller's platform context for one invocation: read every time, never cached. The
 * invocation's own environment comes first, so a warm instance never lends one caller's OPENID or
 * source to the next: `context.environment` (a JSON object, the platform's newer architecture,
 * which node-sdk's parseContext reads before anything else), else `context.environ` (`k=v;k=v`,
 * which the runtime copies into process.env without clearing what an earlier invocation set
 * there). Once either is present, process.env is not read for identity. Otherwise wx-server-sdk's getWXContext(), with
 * the chain from TCB_SOURCE too: getWXContext() returns `{}` before it reads TCB_SOURCE whenever
 * WX_CONTEXT_KEYS is unset, and it is the same variable, so no less trustworthy.
 */
export function wxContextOf(env: Env, context: InvocationContext | undefined, fromSdk: () => unknown): Record<string, unknown> {
  const own = environmentOf(context) ?? environOf(context)
  if (own !== undefined) return wxContextFrom(own)
  const ctx = fromSdk()
  const sdk = typeof ctx === 'object' && ctx !== null ? (ctx as Record<string, unknown>) : {}
  return { SOURCE: env.TCB_SOURCE, TRIGGER_SRC: env.TRIGGER_SRC, ...sdk }
}

/** `context.environment`, a JSON object of string values, or undefined when the platform gave none (or not JSON). */
function environmentOf(context: InvocationContext | undefined): Record<string, string> | undefined {
  const raw = context?.environment
  if (typeof raw !== 'string' || raw === '') return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined
  const vars: Record<string, string> = {}
  for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') vars[k] = v
  return vars
}

/** `context.environ` (`k=v;k=v`, as the runtime splits it), or undefined when the platform gave none. */
function environOf(context: InvocationContext | undefined): Record<string, string> | undefined {
  const raw = context?.environ
  if (typeof raw !== 'string' || raw === '') return undefined
  const vars: Record<string, string> = {}
  for (const pair of raw.split(';')) {
    const at = pair.indexOf('=')
    if (at > 0) vars[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return vars
}

/** What wx-server-sdk's getWXContext() makes of an environment: WX_CONTEXT_KEYS without `WX_`, and SOURCE. */
function wxContextFrom(vars: Record<string, string>): Record<string, string> {
  const ctx: Record<string, string> = {}
  for (const key of (vars.WX_CONTEXT_KEYS ?? '').split(',')) {
    if (key !== '' && vars[key] !== undefined) ctx[key.startsWith('WX_') ? key.slice(3) : key] = vars[key]!
  }
  if (vars.TCB_SOURCE !== undefined) ctx.SOURCE = vars.TCB_SOURCE
  if (vars.TRIGGER_SRC !== undefined) ctx.TRIGGER_SRC = vars.TRIGGER_SRC
  return ctx
}
