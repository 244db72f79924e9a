import { type OrderOwnerRecord, ownerRecordId } from '../access/owners'
import { demoOrders } from './backend'
import type { DocStore } from './docstore'

/** The harness's demo callers: a user who owns every demo order, and an admin. */
export const DEMO_USER = 'oDEMO-user-0000000000001'
export const DEMO_ADMIN = 'oDEMO-admin-000000000001'

/** The ownership collection of the harness: every demo order recorded for one demo user. */
export const DEMO_OWNERS_COLLECTION = 'getorder_demo_owners'

/** The settings under which plain users read the orders recorded as theirs. */
export const OWNERSHIP_ENV: Readonly<Record<string, string>> = { ACCESS_POLICY: 'own', ORDER_OWNERS_COLLECTION: DEMO_OWNERS_COLLECTION }

/** Every demo order, recorded as `openid`'s, as a merchant's order flow would record them. */
export function demoOwnerRecords(openid: string): OrderOwnerRecord[] {
  return demoOrders().map((d) => ({ orderId: d.order_id, deliveryId: d.delivery_id, openid }))
}

/** Writes ownership records into a fake database, as `recordOrderOwner` writes them. */
export function seedOwners(db: DocStore, records: OrderOwnerRecord[], collection = DEMO_OWNERS_COLLECTION): void {
  db.create(collection)
  for (const r of records) db.set(collection, ownerRecordId(r), { ...r })
}
