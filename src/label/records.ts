import { sdkErrorParts } from '../errors/upstream'
import { storageError } from './storage'

/** What is kept about one stored label: never the label, only where it is and when it goes. */
export interface LabelRecord {
  _id: string
  cloudPath: string
  /** null while the upload that the record announces has not come back */
  fileID: string | null
  /** a hash of the caller the file was stored for, never an openid */
  owner: string
  /** ms since the epoch */
  expiresAt: number
  createdAt: number
  bytes: number
}

/** The record of every stored label, so that the purge can find what to delete. */
export interface LabelRecords {
  /** the records among `ids` that exist */
  get(ids: string[]): Promise<LabelRecord[]>
  /** writes the whole record (creates or replaces) */
  put(record: LabelRecord): Promise<void>
  remove(ids: string[]): Promise<void>
  /** records whose label has expired by `now`, soonest first */
  expired(now: number, limit: number): Promise<LabelRecord[]>
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
}

/** wx-server-sdk's DATABASE_COLLECTION_NOT_EXIST. */
const COLLECTION_MISSING = -502005

/**
 * Label records in a CloudBase database collection, created on first use. Records are read with
 * `where({ _id: in(ids) })`, one round trip for several, and because `doc(id).get()` throws for
 * a missing document.
 */
export function cloudRecords(db: DatabaseLike, collection: string): LabelRecords {
  let created = false
  const coll = () => db.collection(collection)
  async function run<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op()
    } catch (err) {
      if (created || sdkErrorParts(err).errCode !== COLLECTION_MISSING) throw recordError(what, err)
    }
    try {
      await db.createCollection(collection)
    } catch (err) {
      // Two instances may create it at once; the retry below tells whether it exists now.
      if (sdkErrorParts(err).errCode === undefined) throw recordError(what, err)
    }
    created = true
    try {
      return await op()
    } catch (err) {
      throw recordError(what, err)
    }
  }
  return {
    async get(ids) {
      const got = await run('Reading label records', () => coll().where({ _id: db.command.in(ids) }).limit(ids.length).get())
      return got.data.map(asRecord)
    },
    async put(record) {
      const { _id, ...data } = record
      await run('Writing the label record', () => coll().doc(_id).set({ data }))
    },
    async remove(ids) {
      if (ids.length === 0) return
      await run('Removing label records', () => coll().where({ _id: db.command.in(ids) }).remove())
    },
    async expired(now, limit) {
      const got = await run('Reading expired label records', () => coll().where({ expiresAt: db.command.lte(now) }).orderBy('expiresAt', 'asc').limit(limit).get())
      return got.data.map(asRecord)
    },
  }
}

function asRecord(doc: unknown): LabelRecord {
  const d = doc as Record<string, unknown>
  return {
    _id: String(d._id),
    cloudPath: String(d.cloudPath ?? ''),
    fileID: typeof d.fileID === 'string' && d.fileID !== '' ? d.fileID : null,
    owner: String(d.owner ?? ''),
    expiresAt: Number(d.expiresAt),
    createdAt: Number(d.createdAt),
    bytes: Number(d.bytes),
  }
}

function recordError(what: string, err: unknown) {
  // Database messages can quote a query; only the code goes on.
  const { errCode } = sdkErrorParts(err)
  return storageError(`${what} in the database failed`, errCode === undefined ? undefined : { errCode })
}
