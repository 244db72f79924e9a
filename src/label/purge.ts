import { randomBytes } from 'crypto'
import type { PurgeReport } from '../types'
import type { StoreContext } from './context'
import type { LabelRecord } from './records'

/** Records read per purge round; the purge goes on while its time allows. */
export const PURGE_PAGE = 100
/** Failed deletions after which the purge reports a record as stuck; it still retries it, daily. */
export const PURGE_STUCK_AFTER = 6
const HOUR = 3_600_000

/** Deletes expired files and their records until `deadline` (ms since the epoch). */
export async function purgeExpired(ctx: StoreContext, deadline: number): Promise<PurgeReport> {
  const { clock, records, files } = ctx
  const report: PurgeReport = { deleted: 0, failed: 0, stuck: 0, more: false }
  const now = clock.now()
  while (clock.now() < deadline) {
    const page = await records.expired(now, PURGE_PAGE)
    for (const r of page) if (r.fileID !== null) ctx.learn(r.fileID, r.cloudPath)
    // A record written before an upload that never came back names no file: learn the prefix.
    if (ctx.prefix() === undefined && page.some((r) => r.fileID === null)) await probePrefix(ctx)
    const prefix = ctx.prefix()
    const named = page.map((r) => ({ r, fileID: r.fileID ?? (prefix === undefined ? null : prefix + r.cloudPath) }))
    const withFile = named.filter((n): n is { r: LabelRecord; fileID: string } => n.fileID !== null)
    const { deleted } = await files.remove(withFile.map((n) => n.fileID))
    const gone = new Set(deleted)
    const done = withFile.filter((n) => gone.has(n.fileID)).map((n) => n.r._id)
    await records.remove(done)
    report.deleted += done.length
    // What could not be deleted steps aside (tried again later, less often each time), so it
    // never stands between the purge and the rest of the expired labels.
    const doneIds = new Set(done)
    const failed = page.filter((r) => !doneIds.has(r._id))
    report.failed += failed.length
    const stepped = await Promise.allSettled(
      failed.map((r) => {
        const failures = (r.purgeFailures ?? 0) + 1
        if (failures >= PURGE_STUCK_AFTER) report.stuck++
        return records.put({ ...r, kept: false, purgeFailures: failures, expiresAt: now + Math.min(24, 2 ** (failures - 1)) * HOUR })
      }),
    )
    if (page.length < PURGE_PAGE) {
      report.more = failed.length > 0
      return report
    }
    // Nothing deleted and nothing moved aside: the next read would return the same page.
    if (done.length === 0 && stepped.every((s) => s.status === 'rejected')) break
  }
  report.more = true
  return report
}

/** Learns the fileID prefix from an empty file of its own, written and deleted at once. */
async function probePrefix(ctx: StoreContext): Promise<void> {
  const cloudPath = `waybills/_probe/${randomBytes(8).toString('hex')}.txt`
  try {
    const fileID = await ctx.files.upload(cloudPath, Buffer.alloc(0))
    ctx.learn(fileID, cloudPath)
    await ctx.files.remove([fileID])
  } catch {
    // Storage is failing: those records wait for the next run.
  }
}
