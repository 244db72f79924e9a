import { lastGoodRead } from '../env/lastGood'
import { COLLECTION_NAME } from '../access/policy'
import { build } from '../errors/toOrderError'
import type { OrderError } from '../types'

export const DEFAULT_LABEL_TTL_HOURS = 24
/** The shortest life: the store's naming keeps at least half of it for a reused file. */
export const MIN_LABEL_TTL_HOURS = 1
export const MAX_LABEL_TTL_HOURS = 720
export const DEFAULT_RECORDS_COLLECTION = 'getorder_labels'

/** How long stored labels live and where they are recorded (`LABEL_TTL_HOURS`, `LABEL_RECORDS_COLLECTION`). */
export interface LabelSettings {
  ttlMs: number
  collection: string
  /** keys the owner hash in paths and records (`LABEL_OWNER_SECRET`); unset: a secret the store creates and keeps with its records */
  ownerSecret?: string
}

export type LabelSettingsResult = { ok: true; settings: LabelSettings } | { ok: false; error: OrderError }

/** LABEL_TTL_HOURS and LABEL_RECORDS_COLLECTION, checked. */
export const readLabelSettings = lastGoodRead(['LABEL_TTL_HOURS', 'LABEL_RECORDS_COLLECTION', 'LABEL_OWNER_SECRET'], parseLabelSettings)

/** A keyed hash wants a key that cannot be guessed: 32 characters at least. */
const MIN_SECRET_CHARS = 32

function parseLabelSettings(env: Record<string, string | undefined>): LabelSettingsResult {
  const rawTtl = env.LABEL_TTL_HOURS
  const hours = rawTtl === undefined || rawTtl === '' ? DEFAULT_LABEL_TTL_HOURS : /^\d+(\.\d+)?$/.test(rawTtl.trim()) ? Number(rawTtl) : Number.NaN
  if (!(hours >= MIN_LABEL_TTL_HOURS && hours <= MAX_LABEL_TTL_HOURS)) {
    return {
      ok: false,
      error: build(
        'CONFIG_ERROR',
        `LABEL_TTL_HOURS is "${String(rawTtl).slice(0, 40)}", which is not a number of hours from ${MIN_LABEL_TTL_HOURS} to ${MAX_LABEL_TTL_HOURS}.`,
        `Set LABEL_TTL_HOURS to how long a stored label may live, in hours (default ${DEFAULT_LABEL_TTL_HOURS}), or remove it.`,
      ),
    }
  }
  const collection = env.LABEL_RECORDS_COLLECTION === undefined || env.LABEL_RECORDS_COLLECTION === '' ? DEFAULT_RECORDS_COLLECTION : env.LABEL_RECORDS_COLLECTION
  if (!COLLECTION_NAME.test(collection)) {
    return {
      ok: false,
      error: build(
        'CONFIG_ERROR',
        `LABEL_RECORDS_COLLECTION is "${collection.slice(0, 40)}", which is not a collection name.`,
        `Use letters, digits, _ and -, starting with a letter (default ${DEFAULT_RECORDS_COLLECTION}), or remove it.`,
      ),
    }
  }
  const secret = env.LABEL_OWNER_SECRET === undefined || env.LABEL_OWNER_SECRET === '' ? undefined : env.LABEL_OWNER_SECRET
  if (secret !== undefined && secret.length < MIN_SECRET_CHARS) {
    // Never quoted: it is a secret, even a bad one.
    return {
      ok: false,
      error: build('CONFIG_ERROR', `LABEL_OWNER_SECRET is shorter than ${MIN_SECRET_CHARS} characters.`, 'Set it to a long random string (e.g. 64 hex digits), or remove it to let the function create and keep one.'),
    }
  }
  return { ok: true, settings: { ttlMs: Math.round(hours * 3_600_000), collection, ...(secret !== undefined ? { ownerSecret: secret } : {}) } }
}
