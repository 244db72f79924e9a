import JSONBigIntFactory = require('json-bigint')
import type { FakeBackend } from './backend'
import { CollectionMissing, createDocStore, type Doc, type DocStore, type Query } from './docstore'
import { MAX_DELETE, type StorageFault } from './storageFaults'

const JSONBigInt = JSONBigIntFactory({ useNativeBigInt: false })

/** The SDK's error class: `message` reads `errCode: N | errMsg: …`. */
export class FakeCloudSDKError extends Error {
  errCode: number
  errMsg: string
  constructor(options: { errCode: number; errMsg: string }) {
    super(options.errMsg)
    this.errCode = options.errCode || -1
    this.errMsg = options.errMsg
    Object.defineProperty(this, 'message', { get: () => `errCode: ${this.errCode} | errMsg: ${this.errMsg}` })
  }
}

/** The SDK's own messages for the platform codes the fake produces. */
const ERR_NAMES: Record<number, string> = { [-501001]: 'resource system error', [-601001]: 'system error' }

export interface FakeCloudOptions {
  backend: FakeBackend
  /** where getWXContext() reads identity, as the real SDK reads process.env */
  env?: NodeJS.ProcessEnv
  /** simulated upstream latency per call, ms */
  latencyMs?: number
  /** simulated latency of every storage and database call, ms */
  storageLatencyMs?: number
}

export interface FakeCloud {
  DYNAMIC_CURRENT_ENV: symbol
  init(config?: { env?: unknown; timeout?: number }): void
  getWXContext(): Record<string, string | number>
  logger(): { log(o: object): void; info(o: object): void; warn(o: object): void; error(o: object): void }
  openapi: any
  uploadFile(options: { cloudPath: string; fileContent: Buffer }): Promise<{ fileID: string; statusCode: number; errMsg: string }>
  getTempFileURL(options: { fileList: (string | { fileID: string; maxAge: number })[] }): Promise<{
    fileList: { fileID: string; tempFileURL: string; status: number; errMsg: string; maxAge: number }[]
    errMsg: string
  }>
  deleteFile(options: { fileList: string[] }): Promise<{ fileList: { fileID: string; status: number; errMsg: string }[]; errMsg: string }>
  database(): FakeDatabase
  /** calls made through openapi, with the snake_case data as sent */
  readonly calls: { api: string; data: Record<string, unknown>; appid?: string }[]
  /** the same calls as the caller made them: the data given to the SDK, and whether it converted case */
  readonly sdkCalls: { api: string; given: unknown; convertCase: boolean }[]
  readonly inits: { env?: unknown; timeout?: number }[]
  readonly logs: { level: string; record: object }[]
  /** files stored through uploadFile, by fileID */
  readonly files: Map<string, Buffer>
  /** make storage or the database fail from now on */
  storageFault: StorageFault
  /** every temporary URL asked for, with its maxAge */
  readonly tempUrlRequests: { fileID: string; maxAge: number | undefined }[]
  readonly deleteRequests: string[]
  readonly db: DocStore
  storageLatencyMs: number
}

/** The slice of `cloud.database()` the label records use, as wx-server-sdk shapes it. */
export interface FakeDatabase {
  command: { lte(v: unknown): unknown; gt(v: unknown): unknown; in(list: unknown[]): unknown }
  createCollection(name: string): Promise<{ errMsg: string }>
  collection(name: string): {
    doc(id: string): { set(options: { data: Record<string, unknown> }): Promise<unknown>; remove(): Promise<unknown> }
    where(query: Query): FakeQuery
  }
}
interface FakeQuery {
  orderBy(field: string, direction: 'asc' | 'desc'): FakeQuery
  limit(n: number): FakeQuery
  get(): Promise<{ data: Doc[]; errMsg: string }>
  remove(): Promise<{ stats: { removed: number }; errMsg: string }>
  update(options: { data: Record<string, unknown> }): Promise<{ stats: { updated: number }; errMsg: string }>
}

/**
 * An in-process stand-in for wx-server-sdk 4.0.2, for fast unit tests. It mirrors what the real
 * SDK does with a cloud call (read from wx-server-sdk 4.0.2's source): the proxy, case conversion both
 * ways, json-bigint, and the exact thrown shapes. The contract test holds it to the real SDK.
 */
export function createFakeCloud(options: FakeCloudOptions): FakeCloud {
  const env = options.env ?? process.env
  let timeout = 15000
  const fake: FakeCloud = {
    DYNAMIC_CURRENT_ENV: Symbol('DYNAMIC_CURRENT_ENV'),
    calls: [],
    sdkCalls: [],
    inits: [],
    logs: [],
    files: new Map(),
    storageFault: 'none',
    tempUrlRequests: [],
    deleteRequests: [],
    db: createDocStore(),
    storageLatencyMs: options.storageLatencyMs ?? 0,
    init(config = {}) {
      fake.inits.push(config)
      timeout = typeof config.timeout === 'number' ? config.timeout : 15000
    },
    getWXContext() {
      const ctx: Record<string, string | number> = {}
      if (!env.WX_CONTEXT_KEYS) return ctx
      for (const key of env.WX_CONTEXT_KEYS.split(',')) {
        if (!key) continue
        const raw = env[key]
        if (raw === undefined) continue
        const val: string | number = /^[-]?\d+$/.test(raw) ? parseInt(raw, 10) : raw
        ctx[key.startsWith('WX_') && key.length > 3 ? key.slice(3) : key] = val
      }
      const envId = env.TCB_ENV || env.SCF_NAMESPACE
      if (envId !== undefined) ctx.ENV = envId
      if (env.TCB_SOURCE) ctx.SOURCE = env.TCB_SOURCE
      return ctx
    },
    logger() {
      const at = (level: string) => (record: object) => fake.logs.push({ level, record })
      return { log: at('log'), info: at('info'), warn: at('warn'), error: at('error') }
    },
    openapi: undefined,
    async uploadFile({ cloudPath, fileContent }) {
      await storageTick()
      if (fake.storageFault === 'upload') throw storageError('uploadFile')
      const fileID = `cloud://fake-env.fake-bucket/${cloudPath}`
      fake.files.set(fileID, Buffer.from(fileContent))
      return { fileID, statusCode: -1, errMsg: 'uploadFile:ok' }
    },
    async getTempFileURL({ fileList }) {
      await storageTick()
      if (fake.storageFault === 'temp-url') throw storageError('getTempFileURL')
      return {
        errMsg: 'getTempFileURL:ok',
        fileList: fileList.map((entry) => {
          const { fileID, maxAge } = typeof entry === 'string' ? { fileID: entry, maxAge: undefined } : entry
          fake.tempUrlRequests.push({ fileID, maxAge })
          const known = fake.files.has(fileID)
          return {
            fileID,
            tempFileURL: known ? `https://fake-bucket.tcb.invalid/${fileID.split('/').slice(3).join('/')}?max_age=${maxAge ?? 86400}` : '',
            status: known ? 0 : -503003,
            errMsg: known ? 'ok' : 'storage file not exists',
            maxAge: known ? (maxAge ?? 86400) : 0,
          }
        }),
      }
    },
    async deleteFile({ fileList }) {
      await storageTick()
      if (fake.storageFault === 'delete') throw sdkFailure('deleteFile', -503001, 'storage request failed')
      if (fileList.length > MAX_DELETE) throw sdkFailure('deleteFile', -501007, `at most ${MAX_DELETE} files per call`)
      return {
        errMsg: 'deleteFile:ok',
        fileList: fileList.map((fileID) => {
          fake.deleteRequests.push(fileID)
          return fake.files.delete(fileID) ? { fileID, status: 0, errMsg: 'ok' } : { fileID, status: -503003, errMsg: 'storage file not exists' }
        }),
      }
    },
    database: () => database(),
  }
  fake.openapi = proxy({ paths: [], convertCase: true }, call)
  return fake

  function storageTick(): Promise<void> {
    return fake.storageLatencyMs > 0 ? new Promise((r) => setTimeout(r, fake.storageLatencyMs)) : tick()
  }

  // wx-server-sdk's database over the shared in-memory store, with its error shapes.
  function database(): FakeDatabase {
    const run = async <T>(api: string, op: () => T): Promise<T> => {
      await storageTick()
      if (fake.storageFault === 'database') throw sdkFailure(api, -502001, 'database request failed')
      try {
        return op()
      } catch (err) {
        if (err instanceof CollectionMissing) throw sdkFailure(api, -502005, `[ResourceNotFound] Db or Table not exist: ${err.collection}.`)
        throw err
      }
    }
    const query = (name: string, q: Query, order: Record<string, 1 | -1>, limit: number): FakeQuery => ({
      orderBy: (field, direction) => query(name, q, { ...order, [field]: direction === 'desc' ? -1 : 1 }, limit),
      limit: (n) => query(name, q, order, Math.min(n, 1000)),
      get: () => run('collection.get', () => ({ data: fake.db.find(name, q, { order, limit }), errMsg: 'collection.get:ok' })),
      remove: () => run('collection.remove', () => ({ stats: { removed: fake.db.remove(name, q, true) }, errMsg: 'collection.remove:ok' })),
      update: ({ data }) => run('collection.update', () => ({ stats: { updated: fake.db.update(name, q, data) }, errMsg: 'collection.update:ok' })),
    })
    return {
      command: { lte: (v) => ({ $lte: v }), gt: (v) => ({ $gt: v }), in: (list) => ({ $in: list }) },
      createCollection: (name) => run('createCollection', () => (fake.db.create(name), { errMsg: 'createCollection:ok' })),
      collection: (name) => ({
        doc: (id) => ({
          set: ({ data }) =>
            run('document.set', () => {
              // wx-server-sdk's shape: created is 1 when node-sdk reports an upserted id
              const { created } = fake.db.set(name, id, data)
              return { _id: id, errMsg: 'document.set:ok', stats: { updated: created ? 0 : 1, created: created ? 1 : 0 } }
            }),
          remove: () => run('document.remove', () => ({ stats: { removed: fake.db.remove(name, { _id: id }, false) } })),
        }),
        where: (q) => query(name, q, {}, 100),
      }),
    }
  }

  async function call(api: string, data: unknown, convert: boolean, appid?: string): Promise<unknown> {
    const display = `openapi.${api}`
    fake.sdkCalls.push({ api, given: data, convertCase: convert })
    const snake = convert ? convertCase(data, 'snake') : data
    // Each top-level field travels as its own JSON text, as the real SDK packs it.
    const sent: Record<string, unknown> = {}
    for (const key in snake as Record<string, unknown>) {
      const text = JSONBigInt.stringify((snake as Record<string, unknown>)[key])
      if (text !== undefined) sent[key] = JSONBigInt.parse(text)
    }
    fake.calls.push({ api, data: sent, ...(appid !== undefined ? { appid } : {}) })
    await tick()
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs))
    const outcome = options.backend.answer(api, sent)
    switch (outcome.kind) {
      case 'silence':
        await new Promise((r) => setTimeout(r, timeout))
        throw plainError(display, -501001, 'request timeout')
      case 'http':
        throw plainError(display, -501001, `${outcome.status} Bad Gateway | [http://127.0.0.1/admin]`)
      case 'platform':
        throw new FakeCloudSDKError({ errCode: outcome.errorCode, errMsg: `system error: error code: ${outcome.errorCode}` })
      case 'json': {
        let result: any
        try {
          result = JSONBigInt.parse(outcome.body)
        } catch {
          throw new FakeCloudSDKError({ errCode: -601001, errMsg: `${display}:fail wechat server internal error, response body is invalid json: ${outcome.body}` })
        }
        if (result.errcode) throw new FakeCloudSDKError({ errCode: result.errcode, errMsg: `${display}:fail ${result.errmsg}` })
        delete result.errcode
        delete result.errmsg
        if (convert) result = convertCase(result, 'camel')
        return { ...result, errMsg: `${display}:ok`, errCode: 0 }
      }
    }
  }
}

/** What the real SDK throws when storage refuses: errCode -1, `<api>:fail <message>`. */
function storageError(api: string): Error & { errCode: number; errMsg: string } {
  const err = new Error(`${api}:fail storage request failed`) as Error & { errCode: number; errMsg: string }
  err.errCode = -1
  err.errMsg = err.message
  return err
}

/** What wx-server-sdk throws when a storage or database action answers a code (its toSDKError). */
function sdkFailure(api: string, code: number, message: string): Error & { errCode: number; errMsg: string } {
  const names: Record<number, string> = { [-501007]: 'invalid parameters', [-502001]: 'database request fail', [-502005]: 'database collection not exists', [-503001]: 'storage request fail' }
  const err = new Error(`${api}:fail ${code} ${names[code] ?? ''}. ${message}`) as Error & { errCode: number; errMsg: string }
  err.errCode = code
  err.errMsg = err.message
  return err
}

function plainError(display: string, code: number, detail: string): Error & { errCode: number; errMsg: string } {
  const err = new Error(`${display}:fail ${code} ${ERR_NAMES[code] ?? ''}. ${detail}`) as Error & { errCode: number; errMsg: string }
  err.errCode = code
  err.errMsg = err.message
  return err
}

function tick(): Promise<void> {
  return new Promise((r) => setImmediate(r))
}

type Caller = (api: string, data: unknown, convert: boolean, appid?: string) => Promise<unknown>

/** `cloud.openapi`: any path is callable; calling the root with options gives a configured proxy. */
function proxy(state: { paths: string[]; convertCase: boolean; appid?: string }, call: Caller): any {
  const target = function () {}
  return new Proxy(target, {
    get(_t, prop) {
      if (prop === 'toJSON') return {}
      if (typeof prop === 'symbol' || prop === 'then') return undefined
      return proxy({ ...state, paths: [...state.paths, prop] }, call)
    },
    apply(_t, _this, args: unknown[]) {
      if (state.paths.length === 0) {
        const opts = args[0]
        if (!opts || typeof opts !== 'object') throw new Error('an options object is expected')
        const appid = (opts as { appid?: unknown }).appid
        return proxy({ paths: [], convertCase: (opts as { convertCase?: unknown }).convertCase !== false, ...(typeof appid === 'string' ? { appid } : {}) }, call)
      }
      return call(state.paths.join('.'), args[0], state.convertCase, state.appid)
    },
  })
}

/** The SDK's convertCase: every capital becomes `_` + lowercase; `_x` becomes `X`. Recursive. */
export function convertCase(input: unknown, to: 'snake' | 'camel'): unknown {
  const key = (k: string) => (to === 'snake' ? k.replace(/[A-Z]/g, (m, i: number) => `${i ? '_' : ''}${m.toLowerCase()}`) : k.replace(/_[a-z]/g, (m) => m[1]!.toUpperCase()))
  if (Array.isArray(input)) return input.map((v) => (isPlain(v) || Array.isArray(v) ? convertCase(v, to) : v))
  if (isPlain(input)) {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(input)) {
      const v = input[k]
      out[key(k)] = isPlain(v) || Array.isArray(v) ? convertCase(v, to) : v
    }
    return out
  }
  return input
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return Object.prototype.toString.call(v) === '[object Object]'
}
