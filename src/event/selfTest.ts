/** A doctor's one-time ticket: the `_id` it wrote, 32–128 hex digits. */
export const SELF_TEST_TICKET = /^[0-9a-f]{32,128}$/i

/** The deployment self-test's event: `{ selfTest: true }`, or with the doctor's one-time `ticket`. */
export interface SelfTestEvent {
  selfTest: true
  ticket?: string
}

/** Exactly `{ selfTest: true }` or `{ selfTest: true, ticket }` (and the `userInfo` WeChat adds to client events). */
export function isSelfTestEvent(event: unknown): event is SelfTestEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return false
  const e = event as Record<string, unknown>
  const keys = Object.keys(e).filter((k) => e[k] !== undefined && k !== 'userInfo')
  if (e.selfTest !== true) return false
  if (keys.length === 1) return true
  return keys.length === 2 && typeof e.ticket === 'string' && SELF_TEST_TICKET.test(e.ticket)
}
