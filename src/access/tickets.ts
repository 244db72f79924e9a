import type { Clock } from '../clock/budget'
import { storageError } from '../errors/storage'
import { sdkErrorParts } from '../errors/upstream'
import { COLLECTION_MISSING } from '../common/collection'

/** The collection the doctor writes its one-time tickets to, unless DOCTOR_COLLECTION says otherwise. */
export const DEFAULT_DOCTOR_COLLECTION = 'getorder_doctor'

/** What became of a ticket shown to the function. Only `used` lets the self-test run. */
export type TicketUse = 'used' | 'unknown' | 'expired' | 'client'

/**
 * The doctor's one-time proof that the environment's admin asked for a self-test: a document
 * whose `_id` is the ticket, with `expiresAt` (ms) a few minutes ahead, written with the
 * environment's admin credentials. A document a client creates always carries `_openid`, so such a
 * document proves nothing. A ticket works once: it is deleted as it is used, and only the call
 * whose delete removed it is served.
 */
export interface TicketBook {
  use(ticket: string): Promise<TicketUse>
}

/** The slice of wx-server-sdk's `cloud.database()` the tickets use. */
export interface TicketDatabaseLike {
  collection(name: string): {
    where(query: Record<string, unknown>): { get(): Promise<{ data: unknown[] }>; remove(): Promise<unknown> }
  }
}

export function cloudTickets(db: TicketDatabaseLike, collection: string, clock: Clock): TicketBook {
  return {
    async use(ticket) {
      const coll = db.collection(collection)
      let doc: Record<string, unknown> | undefined
      try {
        doc = (await coll.where({ _id: ticket }).get()).data[0] as Record<string, unknown> | undefined
      } catch (err) {
        // A missing collection means no ticket was ever written.
        if (sdkErrorParts(err).errCode === COLLECTION_MISSING) return 'unknown'
        throw storageError(`Reading the self-test ticket from ${collection} failed`, err)
      }
      if (doc === undefined) return 'unknown'
      if (doc._openid !== undefined) return 'client'
      const expired = typeof doc.expiresAt !== 'number' || doc.expiresAt <= clock.now()
      let removed: number
      try {
        const answer = (await coll.where({ _id: ticket }).remove()) as { stats?: { removed?: unknown } }
        removed = typeof answer?.stats?.removed === 'number' ? answer.stats.removed : 0
      } catch (err) {
        throw storageError(`Deleting the used self-test ticket from ${collection} failed`, err)
      }
      if (expired) return 'expired'
      // Two calls with one ticket: only the one whose delete took it is served.
      return removed === 1 ? 'used' : 'unknown'
    },
  }
}
