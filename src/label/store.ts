import { type StoreDeps, storeContext } from './context'
import { purgeExpired } from './purge'
import { selfCheck } from './selfCheck'
import { openSession } from './session'
import type { LabelStorage } from './types'

export type { LabelOwner, LabelSession, LabelStorage } from './types'
export { ownerKey } from './context'
export { MAX_TEMP_URL_SECONDS } from './session'
export { PURGE_PAGE, PURGE_STUCK_AFTER } from './purge'

/**
 * The label store over cloud storage and a record collection.
 *
 * Every stored file has a path of its own: `waybills/<owner>/<ttl>-<bucket>/<sha256>-<id>.html`,
 * where the bucket is half the TTL and the file expires at the end of the next bucket. An
 * invocation that fails deletes only the files it wrote, which no other answer can point to; a
 * file becomes reusable (`kept`) only once an answer that points to it has gone out. A label asked
 * for again reuses a kept file of the same content, owner and bucket, or of the previous bucket
 * while at least a quarter of the TTL is left of it. The purge deletes by record, and a path is
 * never written twice, so the purge never deletes a file that a later invocation wrote.
 *
 * @example
 * const store = labelStore({ files: cloudFiles(cloud), records: cloudRecords(cloud.database(), 'getorder_labels'), ttlMs: 24 * 3600_000 })
 * const session = store.session({ openid, role: 'user' })
 * const file = await session.save('<html>…</html>')   // { fileID, tempFileURL, bytes, expiresAt }
 * await session.settle(new Set([file.fileID]))          // the answer points to it: keep it
 */
export function labelStore(deps: StoreDeps): LabelStorage {
  const ctx = storeContext(deps)
  return {
    ttlMs: ctx.ttlMs,
    session: (caller) => openSession(ctx, caller),
    purge: (deadline) => purgeExpired(ctx, deadline),
    selfCheck: () => selfCheck(ctx),
    notePurge: (note) => ctx.records.notePurge(note),
    lastPurge: () => ctx.records.lastPurge(),
  }
}
