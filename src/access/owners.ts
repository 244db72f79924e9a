import { createHash } from 'crypto'
import { sdkErrorParts } from '../errors/upstream'
import { storageError } from '../errors/storage'

/**
 * Who owns which order, from data the merchant controls. WeChat's `openid` parameter is for
 * service notifications, not an access check, so a plain user reads an order only when the
 * merchant's own order flow recorded that user as its owner.
 */
export interface OrderOwners {
  /**
   * true when a record names `openid` as an owner of the order (carrier ids compared without
   * regard to case). `appid`: a cross-account caller's FROM_APPID, which the record must name too;
   * without it, only records of this account's own users (no `appid`) count.
   */
  owns(order: { orderId: string; deliveryId: string }, openid: string, appid?: string): Promise<boolean>
}

/** One ownership record, as the merchant's order flow writes it. */
export interface OrderOwnerRecord {
  orderId: string
  deliveryId: string
  openid: string
  /** a cross-account caller's own account (FROM_APPID), when the owner is that account's user */
  appid?: string
}

/** The slice of wx-server-sdk's `cloud.database()` the ownership records use. */
export interface OwnersDatabaseLike {
  collection(name: string): {
    doc(id: string): { set(options: { data: Record<string, unknown> }): Promise<unknown> }
    where(query: Record<string, unknown>): { limit(n: number): { get(): Promise<{ data: unknown[] }> } }
  }
}

/** Records of one order id read at most; an order has one owner record per carrier, usually one. */
const READ_LIMIT = 20

/**
 * Ownership records in a CloudBase database collection (`ORDER_OWNERS_COLLECTION`), looked up by
 * `orderId`, then matched by `deliveryId` (any case) and `openid`.
 *
 * @example
 * const owners = cloudOrderOwners(cloud.database(), 'order_owners')
 * await owners.owns({ orderId: 'A1', deliveryId: 'SF' }, openid) // true once recordOrderOwner ran for it
 */
export function cloudOrderOwners(db: OwnersDatabaseLike, collection: string): OrderOwners {
  return {
    async owns(order, openid, appid) {
      let got: { data: unknown[] }
      try {
        got = await db.collection(collection).where({ orderId: order.orderId }).limit(READ_LIMIT).get()
      } catch (err) {
        // A missing collection proves nothing and is the operator's to fix; the code says which.
        const { errCode } = sdkErrorParts(err)
        throw storageError(`Reading the order's ownership record from ${collection} failed`, errCode === undefined ? undefined : { errCode })
      }
      const carrier = order.deliveryId.toUpperCase()
      return got.data.some((doc) => {
        const d = doc as Record<string, unknown>
        return d.orderId === order.orderId && typeof d.deliveryId === 'string' && d.deliveryId.toUpperCase() === carrier && d.openid === openid && (d.appid ?? undefined) === appid
      })
    },
  }
}

/**
 * Records `openid` as the owner of an order, for the merchant's own order flow to call when the
 * order is placed (in a cloud function, with `cloud.database()`). One document per order and
 * carrier: recording again replaces the owner.
 *
 * @example
 * await recordOrderOwner(cloud.database(), 'order_owners', { orderId: 'A1', deliveryId: 'SF', openid: OPENID })
 */
export async function recordOrderOwner(db: OwnersDatabaseLike, collection: string, record: OrderOwnerRecord): Promise<void> {
  for (const key of ['orderId', 'deliveryId', 'openid'] as const) {
    if (typeof record[key] !== 'string' || record[key] === '') throw new TypeError(`recordOrderOwner: ${key} must be a non-empty string`)
  }
  await db
    .collection(collection)
    .doc(ownerRecordId(record))
    .set({ data: { orderId: record.orderId, deliveryId: record.deliveryId, openid: record.openid, ...(record.appid ? { appid: record.appid } : {}) } })
}

/** The document id of an order's ownership record: one per order id and carrier (and account, for another account's order). */
export function ownerRecordId(order: { orderId: string; deliveryId: string; appid?: string }): string {
  return createHash('sha256')
    .update(`${order.orderId}\u0000${order.deliveryId.toUpperCase()}${order.appid ? `\u0000${order.appid}` : ''}`)
    .digest('hex')
    .slice(0, 32)
}
