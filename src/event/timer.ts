/**
 * The event a timer trigger passes (Tencent SCF timer trigger: `{ Type: "timer", TriggerName,
 * Time, Message }`, tencentcloud.com/document/product/583/9708). The shape alone proves nothing:
 * anyone can send it, so the source chain decides (see core/purge.ts).
 */
export interface TimerEvent {
  Type: string
  TriggerName: string
  Time: string
  Message?: string
}

/** The name of the hourly trigger in config.json. */
export const PURGE_TRIGGER = 'purgeLabels'
/** Every hour, on the hour: second minute hour day month weekday year. */
export const PURGE_CRON = '0 0 * * * * *'

const TIMER_KEYS = new Set(['Type', 'TriggerName', 'Time', 'Message', 'userInfo'])

/** Timer-shaped: `userInfo`, which WeChat adds to a mini program's events, does not change the shape. */
export function isTimerEvent(event: unknown): event is TimerEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return false
  const e = event as Record<string, unknown>
  if (!Object.keys(e).every((k) => TIMER_KEYS.has(k))) return false
  return typeof e.Type === 'string' && e.Type.toLowerCase() === 'timer' && typeof e.TriggerName === 'string' && typeof e.Time === 'string'
}
