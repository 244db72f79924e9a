import { createHash, createHmac, randomBytes } from 'crypto'
import { type Clock, systemClock } from '../clock/budget'
import { UpstreamError } from '../errors/upstream'
import type { PrintHtmlFile, PurgeReport, SelfTestCheck } from '../types'
import type { LabelRecord, LabelRecords } from './records'
import type { LabelFiles } from './storage'

/** Records read per purge round; the purge goes on while its time allows. */
export const PURGE_PAGE = 100
/** Failed deletions after which the purge reports a record as stuck; it still retries it, daily. */
export const PURGE_STUCK_AFTER = 6
const HOUR = 3_600_000

/**
 * The longest a temporary URL is issued for: the platform documents a default of one day
 * (`maxAge` "有效期时长,单位秒,默认86400":
 * developers.weixin.qq.com/minigame/dev/wxcloudrun/src/development/storage/h5/gettempurl.html).
 */
export const MAX_TEMP_URL_SECONDS = 86_400

/** Who a session stores for: the caller's OPENID when there is one, else its role. */
export interface LabelOwner {
  openid?: string
  role: string
}

/**
 * Where labels go when they travel as files, and how they leave again. A label is personal data
 * (names, phones, addresses): every stored file is recorded before it is written, lives at most
 * the TTL, and is deleted by the purge after that.
 */
export interface LabelStorage {
  readonly ttlMs: number
  /** the labels of one invocation, stored for `owner` (kept as a keyed hash, see `ownerKey`) */
  session(owner: LabelOwner): LabelSession
  /** deletes expired files and their records until `deadline` (ms since the epoch) */
  purge(deadline: number): Promise<PurgeReport>
  /**
   * The deployment self-test's storage rows: the records collection answers a read, and a file of
   * its own goes through write → temporary URL → delete. Nothing is left behind that it wrote.
   */
  selfCheck(): Promise<SelfTestCheck[]>
}

export interface LabelSession {
  /** stores the label, or reuses a kept copy stored for the same owner while it has life left */
  save(html: string): Promise<PrintHtmlFile>
  /**
   * Closes the session: the files `keep` names are marked kept (an answer points to them), and
   * every other file the session stored is deleted. Paths are the session's own, so nothing else
   * can point to them; reused files are never deleted. What cannot be deleted is marked expired,
   * so the next purge takes it. `rollback()` is `settle(new Set())`.
   */
  settle(keep: ReadonlySet<string>): Promise<{ deleted: number; left: number }>
  rollback(): Promise<{ deleted: number; left: number }>
  /** files this session stored, reused ones not counted */
  readonly stored: number
}

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
export function labelStore(deps: { files: LabelFiles; records: LabelRecords; ttlMs: number; clock?: Clock; ownerSecret?: string }): LabelStorage {
  const { files, records, ttlMs } = deps
  const clock = deps.clock ?? systemClock
  const half = ttlMs / 2
  const ttlTag = `${Math.round(ttlMs / 60_000)}m`
  // The owner hash is keyed, so a path cannot be linked to an openid by anyone holding a candidate.
  let secret: Promise<Buffer> | undefined
  const ownerSecret = () => {
    if (secret === undefined) {
      const read = deps.ownerSecret !== undefined ? Promise.resolve(Buffer.from(deps.ownerSecret, 'utf8')) : records.secret().then((hex) => Buffer.from(hex, 'hex'))
      // A failed read is tried again by the next save, not remembered.
      read.catch(() => {
        if (secret === read) secret = undefined
      })
      secret = read
    }
    return secret
  }
  // Saves started together (a batch stores dozens at once) share one record lookup: one round trip
  // of `key in [...]` instead of one each.
  let lookups: { keys: string[]; resolve(found: LabelRecord[]): void; reject(err: unknown): void }[] | undefined
  const lookup = (keys: string[]) =>
    new Promise<LabelRecord[]>((resolve, reject) => {
      if (lookups === undefined) {
        lookups = []
        setImmediate(flush)
      }
      lookups.push({ keys, resolve, reject })
    })
  const flush = async () => {
    const batch = lookups!
    lookups = undefined
    const all = [...new Set(batch.flatMap((l) => l.keys))]
    try {
      const pages = await Promise.all(Array.from({ length: Math.ceil(all.length / 50) }, (_, i) => records.find(all.slice(i * 50, i * 50 + 50))))
      const found = pages.flat()
      for (const l of batch) l.resolve(found.filter((r) => l.keys.includes(r.key)))
    } catch (err) {
      for (const l of batch) l.reject(err)
    }
  }
  // Every fileID is `cloud://<env>.<bucket>/<cloudPath>`: once one upload has shown the prefix,
  // a record can name its file before the upload returns.
  let prefix: string | undefined
  const learn = (fileID: string, cloudPath: string) => {
    if (fileID.endsWith(`/${cloudPath}`)) prefix = fileID.slice(0, fileID.length - cloudPath.length)
  }

  return {
    ttlMs,
    session(caller) {
      const memo = new Map<string, Promise<PrintHtmlFile>>()
      type Entry = { record: LabelRecord; written: Promise<unknown>; finished: boolean; dropped: boolean }
      const created: Entry[] = []
      // A save abandoned at the deadline goes on in the background; once the session is rolling
      // back, it must not start writing what nothing would delete.
      let closed = false
      let owner: Promise<string> | undefined
      return {
        get stored() {
          return created.length
        },
        save(html) {
          const bytes = Buffer.from(html, 'utf8')
          const now = clock.now()
          const bucket = Math.floor(now / half)
          const hash = sha256(bytes).slice(0, 40)
          // Identical labels within one invocation are stored once.
          const memoKey = `${bucket}/${hash}`
          let saved = memo.get(memoKey)
          if (saved === undefined) {
            saved = store(bucket, hash, bytes, now)
            memo.set(memoKey, saved)
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
          const [first] = await Promise.all([drop(finished, keep), markKept(finished, keep)])
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

      /** Records the files an answer points to as kept; a failure only means they are not reused. */
      async function markKept(entries: Entry[], keep: ReadonlySet<string>): Promise<void> {
        const kept = entries.filter((c) => c.record.fileID !== null && keep.has(c.record.fileID))
        try {
          await records.markKept(kept.map((c) => c.record._id))
        } catch {
          // The file still lives its TTL and the purge still finds it; it is just not shared.
        }
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

      async function store(bucket: number, hash: string, bytes: Buffer, now: number): Promise<PrintHtmlFile> {
        const who = await (owner ??= ownerSecret().then((key) => ownerKey(caller, key)))
        const key = contentKey(who, bucket, hash)
        const previousKey = contentKey(who, bucket - 1, hash)
        const found = await lookup([key, previousKey])
        const life = (r: LabelRecord) => r.expiresAt - now
        const existing = found
          .filter((r) => r.kept && r.fileID !== null && life(r) >= (r.key === key ? 1 : ttlMs / 4))
          .sort((a, b) => b.expiresAt - a.expiresAt)[0]
        let fileID: string
        let expiresAt: number
        if (existing !== undefined) {
          fileID = existing.fileID!
          expiresAt = existing.expiresAt
        } else {
          if (closed) throw new UpstreamError('timeout', "Label storage did not answer inside the function's time budget.")
          expiresAt = (bucket + 2) * half
          const id = randomBytes(16).toString('hex')
          const cloudPath = `waybills/${who}/${ttlTag}-${bucket}/${hash}-${id.slice(0, 12)}.html`
          // The record comes first, so no file is ever written that the purge cannot find; the
          // write is registered before it starts, so a rollback waits for it.
          const record: LabelRecord = { _id: id, key, cloudPath, fileID: prefix === undefined ? null : prefix + cloudPath, owner: who, expiresAt, createdAt: now, bytes: bytes.length, kept: false }
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
        const maxAgeSec = Math.max(1, Math.min(MAX_TEMP_URL_SECONDS, Math.floor((expiresAt - clock.now()) / 1000)))
        const tempFileURL = await files.tempUrl(fileID, maxAgeSec)
        return { fileID, tempFileURL, bytes: bytes.length, expiresAt: new Date(expiresAt).toISOString() }
      }
    },

    async purge(deadline) {
      const report: PurgeReport = { deleted: 0, failed: 0, stuck: 0, more: false }
      const now = clock.now()
      while (clock.now() < deadline) {
        const page = await records.expired(now, PURGE_PAGE)
        for (const r of page) if (r.fileID !== null) learn(r.fileID, r.cloudPath)
        // A record written before an upload that never came back names no file: learn the prefix.
        if (prefix === undefined && page.some((r) => r.fileID === null)) await probePrefix()
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
    },
    selfCheck,
  }

  async function selfCheck(): Promise<SelfTestCheck[]> {
    const checks: SelfTestCheck[] = []
    try {
      await records.expired(0, 1)
      checks.push({ name: 'records', ok: true, detail: 'The label records collection answered a read.' })
    } catch (err) {
      checks.push({ name: 'records', ok: false, detail: `The label records collection did not answer: ${describe(err)}.`, fix: 'Check LABEL_RECORDS_COLLECTION and that the database is enabled in the environment; the function creates the collection on first use.', ...codeOf(err) })
    }
    const cloudPath = `waybills/_selftest/${randomBytes(8).toString('hex')}.txt`
    let fileID: string | undefined
    let step = 'write'
    try {
      fileID = await files.upload(cloudPath, Buffer.from('getOrder self-test\n'))
      learn(fileID, cloudPath)
      step = 'temporary URL'
      await files.tempUrl(fileID, 60)
      step = 'delete'
      const { failed } = await files.remove([fileID])
      if (failed.length > 0) throw new UpstreamError('network', 'Cloud storage did not delete the file.')
      checks.push({ name: 'storage', ok: true, detail: 'Cloud storage took a file, issued a temporary URL for it and deleted it.' })
    } catch (err) {
      if (fileID !== undefined && step !== 'delete') await files.remove([fileID]).catch(() => undefined)
      const left = step === 'delete' ? ` The file ${fileID} is left: delete it in the console.` : ''
      checks.push({ name: 'storage', ok: false, detail: `Cloud storage failed at the ${step} step: ${describe(err)}.${left}`, fix: 'Check that cloud storage is enabled in the environment and that the function runs with its own credentials (deployed, not copied).', ...codeOf(err) })
    }
    return checks
  }

  /** Learns the fileID prefix from an empty file of its own, written and deleted at once. */
  async function probePrefix(): Promise<void> {
    const cloudPath = `waybills/_probe/${randomBytes(8).toString('hex')}.txt`
    try {
      const fileID = await files.upload(cloudPath, Buffer.alloc(0))
      learn(fileID, cloudPath)
      await files.remove([fileID])
    } catch {
      // Storage is failing: those records wait for the next run.
    }
  }

  function contentKey(who: string, bucket: number, hash: string): string {
    return sha256(`${who}/${ttlTag}-${bucket}/${hash}`).slice(0, 32)
  }
}

/**
 * The storage prefix of a caller: an HMAC of the openid under the environment's secret, so no
 * openid appears in a path or a record, and none can be confirmed from one without the secret.
 */
export function ownerKey(caller: LabelOwner, secret: Buffer): string {
  return caller.openid === undefined ? caller.role : `u${createHmac('sha256', secret).update(caller.openid, 'utf8').digest('hex').slice(0, 20)}`
}

function describe(err: unknown): string {
  return err instanceof UpstreamError ? err.message.replace(/\.$/, '') : 'an unexpected error'
}

function codeOf(err: unknown): { wxErrCode?: number } {
  return err instanceof UpstreamError && err.wxErrCode !== undefined ? { wxErrCode: err.wxErrCode } : {}
}

function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex')
}
