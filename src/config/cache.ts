import type { Settings } from '../types'
import type { Config } from './read'
import { parse } from './read'
import { ALL_NAMES, type Env, type Snapshot, snapshot } from './variables'

/** How long a read of the environment is kept (one instance, one configuration). */
export const SETTINGS_FOR_MS = 1000

/**
 * The function's one settings cache. The environment is read at most once a second (a dozen
 * `process.env` reads a call cost 3–5 µs on Node 18.15; the platform gives a changed configuration
 * new instances, a test or a local run may change it in place), and parsed again only when a
 * value changed, so a warm instance keeps the same `Config` object, and what is built from it.
 */
export function configCache(env: Env, now: () => number = () => Date.now()): () => Settings<Config> {
  let at = -Infinity
  let raw: Snapshot | undefined
  let read: Settings<Config> | undefined
  return () => {
    const t = now()
    if (read !== undefined && t - at < SETTINGS_FOR_MS && t >= at) return read
    at = t
    const next = snapshot(env)
    if (read === undefined || !same(raw!, next)) {
      raw = next
      read = parse(next)
    }
    return read
  }
}

function same(a: Snapshot, b: Snapshot): boolean {
  for (const name of ALL_NAMES) if (a[name] !== b[name]) return false
  return true
}
