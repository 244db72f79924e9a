import { createHash } from 'crypto'
import { type Clock, systemClock } from '../clock/budget'
import { UpstreamError } from '../errors/upstream'
import type { PrintHtmlFile, PurgeReport } from '../types'
import type { LabelRecord, LabelRecords } from './records'
import type { LabelFiles } from './storage'

/** Records read per purge round; the purge goes on while its time allows. */
export const PURGE_PAGE = 100

/**
 * Where labels go when they travel as files, and how they leave again. A label is personal data
 * (names, phones, addresses): every stored file is recorded before it is written, lives at most
 * the TTL, and is deleted by the purge after that.
 */
export interface LabelStorage {
  readonly ttlMs: number
  /** the labels of one invocation, stored for `owner` (a hash of the caller, see `ownerKey`) */
  session(owner: string): LabelSession
  /** deletes expired files and their records until `deadline` (ms since the epoch) */
  purge(deadline: number): Promise<PurgeReport>
}

export interface LabelSession {
  /** stores the label, or reuses the copy stored for the same owner while it has life left */
  save(html: string): Promise<PrintHtmlFile>
  /**
   * Closes the session, then deletes every file it stored that `keep` does not name (never those
   * it reused: another answer may point to them). What cannot be deleted is marked expired, so the
   * next purge takes it. `rollback()` is `settle(new Set())`.
   */
  settle(keep: ReadonlySet<string>): Promise<{ deleted: number; left: number }>
  rollback(): Promise<{ deleted: number; left: number }>
  /** files this session stored, reused ones not counted */
  readonly stored: number
}

/**
 * The label store over cloud storage and a record collection.
 *
 * Names are content addresses inside a time bucket of half the TTL:
 * `waybills/<owner>/<ttl>-<bucket>/<sha256>.html`, expiring at the end of the next bucket. So
 * every writer of the same label in the same bucket agrees on the path and the expiry to the
 * millisecond, and a path is never written again once it has expired: the purge and a writer
 * never race for one file. A label asked for again reuses the file of the current bucket, or the
 * previous bucket's while at least a quarter of the TTL is left of it (reuse only reads).
 *
 * @example
 * const store = labelStore({ files: cloudFiles(cloud), records: cloudRecords(cloud.database(), 'getorder_labels'), ttlMs: 24 * 3600_000 })
 * const session = store.session(ownerKey({ openid }))
 * const file = await session.save('<html>…</html>')   // { fileID, tempFileURL, bytes, expiresAt }
 */
export function labelStore(deps: { files: LabelFiles; records: LabelRecords; ttlMs: number; clock?: Clock }): LabelStorage {
  const { files, records, ttlMs } = deps
  const clock = deps.clock ?? systemClock
  const half = ttlMs / 2
  const ttlTag = `${Math.round(ttlMs / 60_000)}m`
  // Every fileID is `cloud://<env>.<bucket>/<cloudPath>`: once one upload has shown the prefix,
  // a record can name its file before the upload returns.
  // Saves started together (a batch stores dozens at once) share one record lookup: one round trip
  // of `_id in [...]` instead of one each.
  let lookups: { ids: string[]; resolve(found: LabelRecord[]): void; reject(err: unknown): void }[] | undefined
  const lookup = (ids: string[]) =>
    new Promise<LabelRecord[]>((resolve, reject) => {
      if (lookups === undefined) {
        lookups = []
        setImmediate(flush)
      }
      lookups.push({ ids, resolve, reject })
    })
  const flush = async () => {
    const batch = lookups!
    lookups = undefined
    const all = [...new Set(batch.flatMap((l) => l.ids))]
    try {
      const pages = await Promise.all(Array.from({ length: Math.ceil(all.length / 100) }, (_, i) => records.get(all.slice(i * 100, i * 100 + 100))))
      const byId = new Map(pages.flat().map((r) => [r._id, r]))
      for (const l of batch) l.resolve(l.ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : [])))
    } catch (err) {
      for (const l of batch) l.reject(err)
    }
  }
  let prefix: string | undefined
  const learn = (fileID: string, cloudPath: string) => {
    if (fileID.endsWith(`/${cloudPath}`)) prefix = fileID.slice(0, fileID.length - cloudPath.length)
  }

  return {
    ttlMs,
    session(owner) {
      const memo = new Map<string, Promise<PrintHtmlFile>>()
      type Entry = { record: LabelRecord; written: Promise<unknown>; finished: boolean; dropped: boolean }
      const created: Entry[] = []
      // A save abandoned at the deadline goes on in the background; once the session is rolling
      // back, it must not start writing what nothing would delete.
      let closed = false
      return {
        get stored() {
          return created.length
        },
        save(html) {
          const bytes = Buffer.from(html, 'utf8')
          const now = clock.now()
          const bucket = Math.floor(now / half)
          const hash = sha256(bytes).slice(0, 40)
          const cloudPath = pathOf(bucket, hash)
          const id = sha256(cloudPath).slice(0, 32)
          // Identical labels within one invocation are stored once.
          let saved = memo.get(id)
          if (saved === undefined) {
            saved = store(id, cloudPath, sha256(pathOf(bucket - 1, hash)).slice(0, 32), bytes, (bucket + 2) * half, now)
            memo.set(id, saved)
          }
          return saved
        },
        rollback() {
          return this.settle(new Set())
        },
        async settle(keep) {
          closed = true
          // Split before anything is awaited: a write may end while the first deletions run.
          const finished = created.filter((c) => c.finished)
          const unfinished = created.filter((c) => !c.finished)
          const first = await drop(finished, keep)
          if (unfinished.length === 0) return first
          // Writes still under way are waited for and dropped too: the platform may freeze the
          // instance the moment the answer is out, and what is written after that stays until
          // the purge. The caller bounds this wait by the cleanup deadline; past it, this goes
          // on in the background and drops each write as it ends.
          await Promise.allSettled(unfinished.map((c) => c.written))
          const second = await drop(unfinished, keep)
          return { deleted: first.deleted + second.deleted, left: first.left + second.left }
        },
      }

      function pathOf(bucket: number, hash: string): string {
        return `waybills/${owner}/${ttlTag}-${bucket}/${hash}.html`
      }

      /** Deletes the files (and records) of finished writes that `keep` does not name. */
      async function drop(entries: Entry[], keep: ReadonlySet<string>): Promise<{ deleted: number; left: number }> {
        const dropped = entries.filter((c) => !c.dropped && (c.record.fileID === null || !keep.has(c.record.fileID)))
        for (const c of dropped) c.dropped = true
        if (dropped.length === 0) return { deleted: 0, left: 0 }
        const named = dropped.filter((c) => c.record.fileID !== null)
        const { deleted } = await files.remove(named.map((c) => c.record.fileID!))
        const gone = new Set(deleted)
        const done = named.filter((c) => gone.has(c.record.fileID!)).map((c) => c.record._id)
        try {
          await records.remove(done)
        } catch {
          // The files are gone; the purge removes these records when they expire.
        }
        const left = dropped.filter((c) => !done.includes(c.record._id))
        const now = clock.now()
        await Promise.allSettled(left.map((c) => records.put({ ...c.record, expiresAt: now })))
        return { deleted: done.length, left: left.length }
      }

      async function store(id: string, cloudPath: string, previousId: string, bytes: Buffer, expiresAt: number, now: number): Promise<PrintHtmlFile> {
        let fileID: string
        const found = await lookup([id, previousId])
        const reusable = (r: LabelRecord | undefined, minLife: number) => r !== undefined && r.fileID !== null && r.expiresAt - now >= minLife
        const current = found.find((r) => r._id === id)
        const previous = found.find((r) => r._id === previousId)
        const existing = reusable(current, 1) ? current : reusable(previous, ttlMs / 4) ? previous : undefined
        if (existing !== undefined) {
          fileID = existing.fileID!
          expiresAt = existing.expiresAt
        } else {
          if (closed) throw new UpstreamError('timeout', "Label storage did not answer inside the function's time budget.")
          // The record comes first, so no file is ever written that the purge cannot find; the
          // write is registered before it starts, so a rollback waits for it.
          const record: LabelRecord = { _id: id, cloudPath, fileID: prefix === undefined ? null : prefix + cloudPath, owner, expiresAt, createdAt: now, bytes: bytes.length }
          const written = (async () => {
            await records.put(record)
            const uploaded = await files.upload(cloudPath, bytes)
            learn(uploaded, cloudPath)
            if (record.fileID !== uploaded) {
              record.fileID = uploaded
              await records.put(record)
            }
            return uploaded
          })()
          const entry: Entry = { record, written, finished: false, dropped: false }
          created.push(entry)
          written.then(
            () => (entry.finished = true),
            () => (entry.finished = true),
          )
          fileID = await written
        }
        const maxAgeSec = Math.max(1, Math.floor((expiresAt - clock.now()) / 1000))
        const tempFileURL = await files.tempUrl(fileID, maxAgeSec)
        return { fileID, tempFileURL, bytes: bytes.length, expiresAt: new Date(expiresAt).toISOString() }
      }
    },

    async purge(deadline) {
      const report: PurgeReport = { deleted: 0, failed: 0, more: false }
      const now = clock.now()
      while (clock.now() < deadline) {
        const page = await records.expired(now, PURGE_PAGE)
        for (const r of page) if (r.fileID !== null) learn(r.fileID, r.cloudPath)
        const named = page.map((r) => ({ r, fileID: r.fileID ?? (prefix === undefined ? null : prefix + r.cloudPath) }))
        const withFile = named.filter((n): n is { r: LabelRecord; fileID: string } => n.fileID !== null)
        const { deleted, failed } = await files.remove(withFile.map((n) => n.fileID))
        const gone = new Set(deleted)
        const done = withFile.filter((n) => gone.has(n.fileID)).map((n) => n.r._id)
        await records.remove(done)
        report.deleted += done.length
        report.failed += failed.length
        if (page.length < PURGE_PAGE) {
          report.more = done.length < page.length
          return report
        }
        // A full page none of which could be deleted would be read again at once: stop for now.
        if (done.length === 0) break
      }
      report.more = true
      return report
    },
  }
}

/** The storage prefix of a caller: a hash, so no openid appears in a path or a record. */
export function ownerKey(caller: { openid?: string; role: string }): string {
  return caller.openid === undefined ? caller.role : `u${sha256(Buffer.from(caller.openid, 'utf8')).slice(0, 20)}`
}

function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex')
}
