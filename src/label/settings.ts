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
