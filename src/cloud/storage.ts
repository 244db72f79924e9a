import type { Clock } from '../clock/budget'
import type { LabelSettings } from '../label/settings'
import { type DatabaseLike, cloudRecords } from '../label/records'
import { cloudFiles, type CloudStorageLike } from '../label/storage'
import { labelStore, type LabelStorage } from '../label/store'

/**
 * Labels in the environment's cloud storage, recorded in its database, living `settings.ttlMs`.
 *
 * @example
 * const storage = cloudLabelStorage(cloud, { ttlMs: 24 * 3600_000, collection: 'getorder_labels' })
 */
export function cloudLabelStorage(sdk: CloudStorageLike & { database(): DatabaseLike }, settings: LabelSettings, clock?: Clock): LabelStorage {
  return labelStore({
    files: cloudFiles(sdk),
    records: cloudRecords(sdk.database(), settings.collection),
    ttlMs: settings.ttlMs,
    ...(settings.ownerSecret !== undefined ? { ownerSecret: settings.ownerSecret } : {}),
    ...(clock ? { clock } : {}),
  })
}
