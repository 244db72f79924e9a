import { randomBytes } from 'crypto'
import { onCollection } from '../common/collection'
import { sdkErrorParts } from '../errors/upstream'
import { storageError } from '../errors/storage'
import type { PurgeNote } from '../types'

/** What is kept about one stored label: never the label, only where it is and when it goes. */
export interface LabelRecord {
  /** unique per stored file: every invocation writes a path of its own */
  _id: string
  /** the content's address: one owner, one time bucket, one label; what reuse looks up */
  key: string
  cloudPath: string
  /** null while the upload that the record announces has not come back */
  fileID: string | null
  /** a hash of the caller the file was stored for, never an openid */
  owner: string
  /**
   * ms since the epoch: when the purge deletes the file. A record whose deletion failed is given
   * a later one (and `kept: false`), so that it steps aside for the rest.
   */
  expiresAt: number
  createdAt: number
  bytes: number
  /**
   * An answer that went out points to the file. Only kept files are reused: a file whose
   * invocation may still fail and delete it is nobody else's to point to.
   */
  kept: boolean
  /** deletions of this file the purge has tried and failed */
  purgeFailures?: number
}

/** The record of every stored label, so that the purge can find what to delete. */
export interface LabelRecords {
  /** the kept records whose content address is among `keys` */
  find(keys: string[]): Promise<LabelRecord[]>
  /** writes the whole record (creates or replaces) */
  put(record: LabelRecord): Promise<void>
  /** marks the records kept: answers that went out point to their files */
  markKept(ids: string[]): Promise<void>
  /**
   * The environment's secret for keying owner hashes, created on first use and stored with the
   * records (never logged, never in a path).
   */
  secret(): Promise<string>
  remove(ids: string[]): Promise<void>
  /** records whose label has expired by `now`, soonest first */
  expired(now: number, limit: number): Promise<LabelRecord[]>
  /** keeps the last purge run's (or refused timer event's) outcome where the doctor reads it */
  notePurge(note: PurgeNote): Promise<void>
  /** the last run, with the last refusal when it came after it; null when none is recorded */
  lastPurge(): Promise<PurgeNote | null>
}

/** The slice of wx-server-sdk's `cloud.database()` the records use. */
export interface DatabaseLike {
  command: { lte(v: unknown): unknown; in(list: unknown[]): unknown }
  createCollection(name: string): Promise<unknown>
  collection(name: string): {
    doc(id: string): { set(options: { data: Record<string, unknown> }): Promise<unknown> }
    where(query: Record<string, unknown>): QueryLike
  }
}
interface QueryLike {
  orderBy(field: string, direction: 'asc' | 'desc'): QueryLike
  limit(n: number): QueryLike
  get(): Promise<{ data: unknown[] }>
  remove(): Promise<unknown>
  update(options: { data: Record<string, unknown> }): Promise<unknown>
}

/** The document that holds the owner-hash secret; it has no `expiresAt`, so no purge reads it. */
export const SECRET_DOC = '_owner_secret'
/** The last purge run's outcome, and the last refused timer event's: no `expiresAt` either. */
export const PURGE_RUN_DOC = '_purge_last_run'
export const PURGE_REFUSED_DOC = '_purge_last_refused'

/**
 * Label records in a CloudBase database collection, created on first use. Records are read with
 * `where(...)`, one round trip for several keys, and because `doc(id).get()` throws for a missing
 * document.
 */
export function cloudRecords(db: DatabaseLike, collection: string): LabelRecords {
  const coll = () => db.collection(collection)
  const run = onCollection(db, collection, recordError)

  return {
    async find(keys) {
      const got = await run('Reading label records', () =>
        coll()
          .where({ key: db.command.in(keys), kept: true })
          .limit(100)
          .get(),
      )
      return got.data.map(asRecord)
    },
    async markKept(ids) {
      // 100 ids a query, as the reads go: one `in` list of a whole batch's labels is too long a query.
      const pages = Array.from({ length: Math.ceil(ids.length / 100) }, (_, i) => ids.slice(i * 100, i * 100 + 100))
      await Promise.all(
        pages.map((page) =>
          run('Marking label records kept', () =>
            coll()
              .where({ _id: db.command.in(page) })
              .update({ data: { kept: true } }),
          ),
        ),
      )
    },
    async secret() {
      const read = async () => {
        const got = await run('Reading the owner-hash secret', () => coll().where({ _id: SECRET_DOC }).limit(1).get())
        const s = (got.data[0] as { secret?: unknown } | undefined)?.secret
        return typeof s === 'string' && /^[0-9a-f]{64}$/.test(s) ? s : undefined
      }
      const existing = await read()
      if (existing !== undefined) return existing
      await run('Creating the owner-hash secret', () =>
        coll()
          .doc(SECRET_DOC)
          .set({ data: { secret: randomBytes(32).toString('hex') } }),
      )
      // Two instances may create it at once: whichever write landed last is the one every instance reads.
      const stored = await read()
      if (stored === undefined) throw storageError('The owner-hash secret could not be read back from the database', undefined)
      return stored
    },
    async put(record) {
      const { _id, ...data } = record
      await run('Writing the label record', () => coll().doc(_id).set({ data }))
    },
    async remove(ids) {
      if (ids.length === 0) return
      await run('Removing label records', () =>
        coll()
          .where({ _id: db.command.in(ids) })
          .remove(),
      )
    },
    async notePurge(note) {
      const { lastRefused: _ignored, ...data } = note
      await run('Recording the purge', () =>
        coll()
          .doc(note.outcome === 'refused' ? PURGE_REFUSED_DOC : PURGE_RUN_DOC)
          .set({ data }),
      )
    },
    async lastPurge() {
      const got = await run('Reading the last purge', () =>
        coll()
          .where({ _id: db.command.in([PURGE_RUN_DOC, PURGE_REFUSED_DOC]) })
          .limit(2)
          .get(),
      )
      const docs = got.data as Record<string, unknown>[]
      const note = (id: string) => {
        const d = docs.find((x) => x._id === id)
        return d === undefined || typeof d.at !== 'number' ? undefined : asNote(d)
      }
      const ran = note(PURGE_RUN_DOC)
      const refused = note(PURGE_REFUSED_DOC)
      if (ran === undefined) return refused ?? null
      return refused !== undefined && refused.at > ran.at ? { ...ran, lastRefused: { at: refused.at, why: refused.why ?? '' } } : ran
    },
    async expired(now, limit) {
      const got = await run('Reading expired label records', () =>
        coll()
          .where({ expiresAt: db.command.lte(now) })
          .orderBy('expiresAt', 'asc')
          .limit(limit)
          .get(),
      )
      return got.data.map(asRecord)
    },
  }
}

function asRecord(doc: unknown): LabelRecord {
  const d = doc as Record<string, unknown>
  return {
    _id: String(d._id),
    key: String(d.key ?? ''),
    cloudPath: String(d.cloudPath ?? ''),
    fileID: typeof d.fileID === 'string' && d.fileID !== '' ? d.fileID : null,
    owner: String(d.owner ?? ''),
    expiresAt: Number(d.expiresAt),
    createdAt: Number(d.createdAt),
    bytes: Number(d.bytes),
    kept: d.kept === true,
    ...(typeof d.purgeFailures === 'number' ? { purgeFailures: d.purgeFailures } : {}),
  }
}

function asNote(d: Record<string, unknown>): PurgeNote {
  const outcome = d.outcome === 'refused' || d.outcome === 'failed' ? d.outcome : 'ran'
  const num = (k: string) => (typeof d[k] === 'number' ? { [k]: d[k] as number } : {})
  return {
    at: d.at as number,
    outcome,
    ...num('deleted'),
    ...num('failed'),
    ...num('stuck'),
    ...(typeof d.more === 'boolean' ? { more: d.more } : {}),
    ...(typeof d.why === 'string' ? { why: d.why.slice(0, 300) } : {}),
  }
}

function recordError(what: string, err: unknown) {
  // Database messages can quote a query; only the code goes on.
  const { errCode } = sdkErrorParts(err)
  return storageError(`${what} in the database failed`, errCode === undefined ? undefined : { errCode })
}
