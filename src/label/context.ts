import { createHash, createHmac } from 'crypto'
import { type Clock, systemClock } from '../clock/budget'
import type { LabelRecord, LabelRecords } from './records'
import type { LabelFiles } from './storage'
import type { LabelOwner } from './types'

export interface StoreDeps {
  files: LabelFiles
  records: LabelRecords
  ttlMs: number
  clock?: Clock
  /** keys the owner hash (LABEL_OWNER_SECRET); unset: a secret kept with the records */
  ownerSecret?: string
}

/** What the store's parts (sessions, the purge, the self-check) share for one store. */
export interface StoreContext {
  files: LabelFiles
  records: LabelRecords
  ttlMs: number
  clock: Clock
  /** half the TTL: a file's bucket, and so its path, changes every half TTL */
  half: number
  ttlTag: string
  ownerSecret(): Promise<Buffer>
  /** records of these content keys; saves started together share one round trip */
  lookup(keys: string[]): Promise<LabelRecord[]>
  /** `cloud://<env>.<bucket>/` once an upload has shown it */
  prefix(): string | undefined
  learn(fileID: string, cloudPath: string): void
  contentKey(who: string, bucket: number, hash: string): string
}

export function storeContext(deps: StoreDeps): StoreContext {
  const { records, ttlMs } = deps
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
  // Every fileID is `cloud://<env>.<bucket>/<cloudPath>`: once one upload has shown the prefix,
  // a record can name its file before the upload returns.
  let prefix: string | undefined
  return {
    files: deps.files,
    records,
    ttlMs,
    clock: deps.clock ?? systemClock,
    half: ttlMs / 2,
    ttlTag,
    ownerSecret,
    lookup: batchedLookup(records),
    prefix: () => prefix,
    learn(fileID, cloudPath) {
      if (fileID.endsWith(`/${cloudPath}`)) prefix = fileID.slice(0, fileID.length - cloudPath.length)
    },
    contentKey: (who, bucket, hash) => sha256(`${who}/${ttlTag}-${bucket}/${hash}`).slice(0, 32),
  }
}

/**
 * Saves started together (a batch stores dozens at once) share one record lookup: one round trip
 * of `key in [...]`, 50 keys a page, instead of one each.
 */
function batchedLookup(records: LabelRecords): (keys: string[]) => Promise<LabelRecord[]> {
  let waiting: { keys: string[]; resolve(found: LabelRecord[]): void; reject(err: unknown): void }[] | undefined
  const flush = async () => {
    const batch = waiting!
    waiting = undefined
    const all = [...new Set(batch.flatMap((l) => l.keys))]
    try {
      const pages = await Promise.all(Array.from({ length: Math.ceil(all.length / 50) }, (_, i) => records.find(all.slice(i * 50, i * 50 + 50))))
      const found = pages.flat()
      for (const l of batch) l.resolve(found.filter((r) => l.keys.includes(r.key)))
    } catch (err) {
      for (const l of batch) l.reject(err)
    }
  }
  return (keys) =>
    new Promise<LabelRecord[]>((resolve, reject) => {
      if (waiting === undefined) {
        waiting = []
        setImmediate(flush)
      }
      waiting.push({ keys, resolve, reject })
    })
}

/**
 * The storage prefix of a caller: an HMAC of the openid under the environment's secret, so no
 * openid appears in a path or a record, and none can be confirmed from one without the secret.
 */
export function ownerKey(caller: LabelOwner, secret: Buffer): string {
  return caller.openid === undefined ? caller.role : `u${createHmac('sha256', secret).update(caller.openid, 'utf8').digest('hex').slice(0, 20)}`
}

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex')
}
