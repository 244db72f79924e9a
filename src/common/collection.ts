import { sdkErrorParts } from '../errors/upstream'

/** wx-server-sdk's DATABASE_COLLECTION_NOT_EXIST. */
export const COLLECTION_MISSING = -502005

/**
 * Database steps on a collection that is created on first use: a step that finds it missing
 * creates it and runs once more. Every failure goes out through `fail(what, err)`, which decides
 * what of it may be told (a database message can quote a query).
 */
export function onCollection(db: { createCollection(name: string): Promise<unknown> }, collection: string, fail: (what: string, err: unknown) => Error) {
  let created = false
  return async function run<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op()
    } catch (err) {
      if (created || sdkErrorParts(err).errCode !== COLLECTION_MISSING) throw fail(what, err)
    }
    try {
      await db.createCollection(collection)
    } catch (err) {
      // Two instances may create it at once; the retry below tells whether it exists now.
      if (sdkErrorParts(err).errCode === undefined) throw fail(what, err)
    }
    created = true
    try {
      return await op()
    } catch (err) {
      throw fail(what, err)
    }
  }
}
