/**
 * The CloudBase database as far as this project uses it, in memory: collections that must be
 * created before use, documents by `_id`, and queries with equality and the `$lt` `$lte` `$gt`
 * `$gte` `$in` `$eq` operators, ordered and limited. The fake gateway serves it over node-sdk's
 * wire (EJSON in `database.*` actions); the in-process fake SDK serves it directly.
 */
export type Doc = Record<string, unknown> & { _id: string }
export type Query = Record<string, unknown>

export class CollectionMissing extends Error {
  override readonly name = 'CollectionMissing'
  constructor(readonly collection: string) {
    super(`Db or Table not exist: ${collection}`)
  }
}

export interface DocStore {
  readonly collections: Map<string, Map<string, Doc>>
  create(name: string): void
  find(name: string, query: Query, options?: { order?: Record<string, 1 | -1>; limit?: number }): Doc[]
  /** replaces the whole document (upsert) */
  set(name: string, id: string, data: Record<string, unknown>): { created: boolean }
  remove(name: string, query: Query, multi: boolean): number
  /** sets `fields` on every matching document (the `where().update()` of the SDK); the count updated */
  update(name: string, query: Query, fields: Record<string, unknown>): number
  /** every operation so far, for tests that count */
  readonly ops: { op: string; collection: string }[]
}

export function createDocStore(): DocStore {
  const collections = new Map<string, Map<string, Doc>>()
  const ops: { op: string; collection: string }[] = []
  const coll = (name: string) => {
    const c = collections.get(name)
    if (!c) throw new CollectionMissing(name)
    return c
  }
  return {
    collections,
    ops,
    create(name) {
      ops.push({ op: 'create', collection: name })
      if (!collections.has(name)) collections.set(name, new Map())
    },
    find(name, query, options = {}) {
      ops.push({ op: 'find', collection: name })
      let docs = [...coll(name).values()].filter((d) => matches(d, query))
      const order = Object.entries(options.order ?? {})
      if (order.length) {
        docs = docs.sort((a, b) => {
          for (const [field, dir] of order) {
            const c = compare(a[field], b[field])
            if (c !== 0) return c * dir
          }
          return 0
        })
      }
      return docs.slice(0, options.limit ?? 100).map((d) => clone(d))
    },
    set(name, id, data) {
      ops.push({ op: 'set', collection: name })
      const c = coll(name)
      const created = !c.has(id)
      c.set(id, { ...clone(data), _id: id })
      return { created }
    },
    update(name, query, fields) {
      ops.push({ op: 'update', collection: name })
      let n = 0
      for (const d of coll(name).values()) {
        if (!matches(d, query)) continue
        Object.assign(d, clone(fields))
        n++
      }
      return n
    },
    remove(name, query, multi) {
      ops.push({ op: 'remove', collection: name })
      const c = coll(name)
      let n = 0
      for (const d of [...c.values()]) {
        if (!matches(d, query)) continue
        c.delete(d._id)
        n++
        if (!multi) break
      }
      return n
    },
  }
}

function matches(doc: Doc, query: Query): boolean {
  return Object.entries(query).every(([field, cond]) => {
    const v = doc[field]
    if (cond === null || typeof cond !== 'object' || Array.isArray(cond)) return v === cond
    return Object.entries(cond as Record<string, unknown>).every(([op, arg]) => {
      switch (op) {
        case '$eq':
          return v === arg
        case '$lt':
          return compare(v, arg) < 0
        case '$lte':
          return compare(v, arg) <= 0
        case '$gt':
          return compare(v, arg) > 0
        case '$gte':
          return compare(v, arg) >= 0
        case '$in':
          return Array.isArray(arg) && arg.includes(v)
        default:
          throw new Error(`docstore: operator ${op} is not modelled`)
      }
    })
  })
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0
  // Mixed or missing types never match a range, as in MongoDB-style stores.
  return Number.NaN
}

/** Documents are JSON-shaped; a JSON copy also runs where structuredClone is missing (jsdom). */
function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T
}
