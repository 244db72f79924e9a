import JSONBigIntFactory = require('json-bigint')
import type { FakeBackend } from './backend'

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
}

export interface FakeCloud {
  DYNAMIC_CURRENT_ENV: symbol
  init(config?: { env?: unknown; timeout?: number }): void
  getWXContext(): Record<string, string | number>
  logger(): { log(o: object): void; info(o: object): void; warn(o: object): void; error(o: object): void }
  openapi: any
  uploadFile(options: { cloudPath: string; fileContent: Buffer }): Promise<{ fileID: string; statusCode: number; errMsg: string }>
  getTempFileURL(options: { fileList: string[] }): Promise<{ fileList: { fileID: string; tempFileURL: string; status: number; errMsg: string; maxAge: number }[]; errMsg: string }>
  /** calls made through openapi, with the snake_case data as sent */
  readonly calls: { api: string; data: Record<string, unknown> }[]
  readonly inits: { env?: unknown; timeout?: number }[]
  readonly logs: { level: string; record: object }[]
  /** files stored through uploadFile, by fileID */
  readonly files: Map<string, Buffer>
  /** make the next storage calls fail */
  storageFault: 'none' | 'upload' | 'temp-url'
}

/**
 * An in-process stand-in for wx-server-sdk 4.0.2, for fast unit tests. It mirrors what the real
 * SDK does with a cloud call (shared/WX_SERVER_SDK_FACTS.md): the proxy, case conversion both
 * ways, json-bigint, and the exact thrown shapes. The contract test holds it to the real SDK.
 */
export function createFakeCloud(options: FakeCloudOptions): FakeCloud {
  const env = options.env ?? process.env
  let timeout = 15000
  const fake: FakeCloud = {
    DYNAMIC_CURRENT_ENV: Symbol('DYNAMIC_CURRENT_ENV'),
    calls: [],
    inits: [],
    logs: [],
    files: new Map(),
    storageFault: 'none',
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
      await tick()
      if (fake.storageFault === 'upload') throw storageError('uploadFile')
      const fileID = `cloud://fake-env.fake-bucket/${cloudPath}`
      fake.files.set(fileID, Buffer.from(fileContent))
      return { fileID, statusCode: -1, errMsg: 'uploadFile:ok' }
    },
    async getTempFileURL({ fileList }) {
      await tick()
      if (fake.storageFault === 'temp-url') throw storageError('getTempFileURL')
      return {
        errMsg: 'getTempFileURL:ok',
        fileList: fileList.map((fileID) => {
          const known = fake.files.has(fileID)
          return {
            fileID,
            tempFileURL: known ? `https://fake-bucket.tcb.invalid/${fileID.split('/').slice(3).join('/')}?sign=fake` : '',
            status: known ? 0 : 1,
            errMsg: known ? 'ok' : 'file not exist',
            maxAge: 86400,
          }
        }),
      }
    },
  }
  fake.openapi = proxy({ paths: [], convertCase: true }, call)
  return fake

  async function call(api: string, data: unknown, convert: boolean): Promise<unknown> {
    const display = `openapi.${api}`
    const snake = convert ? convertCase(data, 'snake') : data
    // Each top-level field travels as its own JSON text, as the real SDK packs it.
    const sent: Record<string, unknown> = {}
    for (const key in snake as Record<string, unknown>) {
      const text = JSONBigInt.stringify((snake as Record<string, unknown>)[key])
      if (text !== undefined) sent[key] = JSONBigInt.parse(text)
    }
    fake.calls.push({ api, data: sent })
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

function plainError(display: string, code: number, detail: string): Error & { errCode: number; errMsg: string } {
  const err = new Error(`${display}:fail ${code} ${ERR_NAMES[code] ?? ''}. ${detail}`) as Error & { errCode: number; errMsg: string }
  err.errCode = code
  err.errMsg = err.message
  return err
}

function tick(): Promise<void> {
  return new Promise((r) => setImmediate(r))
}

type Caller = (api: string, data: unknown, convert: boolean) => Promise<unknown>

/** `cloud.openapi`: any path is callable; calling the root with options gives a configured proxy. */
function proxy(state: { paths: string[]; convertCase: boolean }, call: Caller): any {
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
        return proxy({ paths: [], convertCase: (opts as { convertCase?: unknown }).convertCase !== false }, call)
      }
      return call(state.paths.join('.'), args[0], state.convertCase)
    },
  })
}

/** The SDK's convertCase: every capital becomes `_` + lowercase; `_x` becomes `X`. Recursive. */
export function convertCase(input: unknown, to: 'snake' | 'camel'): unknown {
  const key = (k: string) =>
    to === 'snake'
      ? k.replace(/[A-Z]/g, (m, i: number) => `${i ? '_' : ''}${m.toLowerCase()}`)
      : k.replace(/_[a-z]/g, (m) => m[1]!.toUpperCase())
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
