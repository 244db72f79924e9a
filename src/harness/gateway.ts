import Busboy from 'busboy'
import { MAX_DELETE, type StorageFault } from './storageFaults'
export { MAX_DELETE, type StorageFault }
import * as http from 'http'
import type { AddressInfo } from 'net'
import * as protobuf from 'protobufjs'
import { EJSON } from 'bson'
import { createBackend, type FakeBackend } from './backend'
import { CollectionMissing, createDocStore, type DocStore } from './docstore'
import { DEMO_OWNERS_COLLECTION } from './owners'

/** The wire messages of a cloud call, as wx-server-sdk 4.0.2 and @cloudbase/node-sdk send them. */
const proto = protobuf.Root.fromJSON({
  nested: {
    KeyValuePair: {
      fields: {
        key: { type: 'string', id: 1 },
        value: { type: 'bytes', id: 2 },
        contenttype: { type: 'string', id: 3 },
        filename: { type: 'string', id: 4 },
      },
    },
    OpenApiData: { fields: { pairs: { rule: 'repeated', type: 'KeyValuePair', id: 1 } } },
    CommApiData: {
      fields: {
        apiType: { type: 'int32', id: 1 },
        openapiData: { type: 'OpenApiData', id: 2 },
        appid: { type: 'string', id: 6 },
      },
    },
    CommOpenApiResp: {
      fields: {
        respData: { type: 'bytes', id: 1 },
        contentType: { type: 'string', id: 2 },
        errorCode: { type: 'int32', id: 3 },
        httpCode: { type: 'uint32', id: 4 },
        svrkitErrorCode: { type: 'int32', id: 6 },
      },
    },
  },
})
const CommApiData = proto.lookupType('CommApiData')
const CommOpenApiResp = proto.lookupType('CommOpenApiResp')

export interface GatewayRequest {
  action: string
  apiName: string
  /** the request's top-level fields, each parsed from its JSON text */
  data: Record<string, unknown>
  /** the account the call is made as, when the caller named one (`cloud.openapi({ appid })`) */
  appid?: string
}

/** A storage or database step to fail: what each failure path of the label lifecycle meets. */

export interface FakeGateway {
  /** `http://127.0.0.1:PORT/admin`, for `TCB_CONTEXT_CNFG` */
  readonly url: string
  /** what answers; replace it to start a scenario from a clean state */
  backend: FakeBackend
  /** every cloud call received, decoded */
  readonly requests: GatewayRequest[]
  /**
   * Functions of the environment that `cloud.callFunction` reaches (node-sdk's
   * `functions.invokeFunction`), by name: each gets the data and answers the function's result.
   */
  functions: Record<string, (data: unknown) => Promise<unknown>>
  /** files uploaded through cloud storage, by fileID */
  readonly files: Map<string, Buffer>
  /** make storage or the database fail from now on */
  storageFault: StorageFault
  /** every temporary URL asked for, with the max_age it was asked with (undefined: none) */
  readonly tempUrlRequests: { fileID: string; maxAge: number | undefined }[]
  /** every fileID asked to be deleted */
  readonly deleteRequests: string[]
  /** the database node-sdk talks to (`database.*` actions, EJSON) */
  readonly db: DocStore
  /** latency of every storage and database action, ms (as the platform adds tens of ms each) */
  storageLatencyMs: number
  /**
   * The bucket's security rule, as the console sets it (仅管理员可读写 is ADMINONLY). Only the
   * doctor reads it: no client of the harness reads storage directly.
   */
  storageAcl: { acl: string; rule?: { read: boolean | string; write: boolean | string } }
  /** forgets every file, record and request of storage, and clears the fault */
  resetStorage(): void
  /** the environment that points the real wx-server-sdk at this gateway */
  sdkEnv(): Record<string, string>
  close(): Promise<void>
}

/**
 * A CloudBase gateway on loopback that speaks the wire protocol the real wx-server-sdk uses for
 * cloud calls: multipart in, protobuf `CommApiData` in `requestData`, protobuf `CommOpenApiResp`
 * out. What it answers comes from the fake logistics backend.
 *
 * @example
 * const gw = await startGateway()
 * Object.assign(process.env, gw.sdkEnv())  // before the first cloud.init()
 */
export async function startGateway(options: { backend?: FakeBackend; port?: number; latencyMs?: number; storageLatencyMs?: number } = {}): Promise<FakeGateway> {
  const requests: GatewayRequest[] = []
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      res.writeHead(500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ code: 'SYS_ERR', message: `fake gateway: ${String(err)}` }))
    })
  })
  const sockets = new Set<import('net').Socket>()
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    if (req.method === 'PUT' && req.url?.startsWith('/cos/')) return putObject(req, res)
    if (req.method === 'GET' && req.url?.startsWith('/files/')) {
      const file = gateway.files.get(decodeURIComponent(req.url.slice('/files/'.length).split('?')[0]!))
      res.writeHead(file ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' })
      res.end(file ?? 'not found')
      return
    }
    if (req.method === 'POST' && req.url?.startsWith('/admin') && /json/.test(req.headers['content-type'] ?? '')) {
      const body = JSON.parse((await readBody(req)).toString('utf8')) as Record<string, unknown>
      if (gateway.storageLatencyMs > 0) await new Promise((r) => setTimeout(r, gateway.storageLatencyMs))
      if (body.action === 'functions.invokeFunction') return invokeAction(body, res)
      return String(body.action).startsWith('database.') ? databaseAction(body, res) : storageAction(body, res)
    }
    if (req.method !== 'POST' || !req.url?.startsWith('/admin')) {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ code: 'NOT_FOUND', message: `fake gateway serves POST /admin, not ${req.method} ${req.url}` }))
      return
    }
    const fields = await readMultipart(req)
    const action = fields.get('action')?.toString() ?? ''
    const apiName = fields.get('apiName')?.toString() ?? ''
    if (action !== 'wx.openApi') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ code: 'INVALID_ACTION', message: `fake gateway does not serve ${action}` }))
      return
    }
    const comm = CommApiData.toObject(CommApiData.decode(fields.get('requestData') ?? Buffer.alloc(0)), { bytes: Buffer }) as {
      openapiData?: { pairs?: { key: string; value: Buffer }[] }
      appid?: string
    }
    const data: Record<string, unknown> = {}
    for (const pair of comm.openapiData?.pairs ?? []) data[pair.key] = JSON.parse(pair.value.toString('utf8'))
    requests.push({ action, apiName, data, ...(comm.appid ? { appid: comm.appid } : {}) })
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs))

    const outcome = gateway.backend.answer(apiName, data)
    switch (outcome.kind) {
      case 'silence':
        return // the socket stays open until the client gives up or the gateway closes
      case 'http':
        res.writeHead(outcome.status, { 'content-type': 'text/html' })
        res.end(`<html><body>${outcome.status}</body></html>`)
        return
      case 'platform':
        return sendResp(res, { errorCode: outcome.errorCode, contentType: '', respData: Buffer.alloc(0) })
      case 'json':
        return sendResp(res, { respData: Buffer.from(outcome.body, 'utf8'), contentType: 'application/json', errorCode: 0, httpCode: 200 })
    }
  }

  // Cloud storage as node-sdk speaks it: upload metadata, a PUT to the URL it names, then
  // download URLs. Files live in memory.
  const pending = new Map<string, string>()
  let uploadCount = 0
  // cloud.callFunction as node-sdk speaks it: the data as JSON text in, the result as JSON text out.
  async function invokeAction(body: Record<string, unknown>, res: http.ServerResponse) {
    const reply = (o: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(o))
    }
    const requestId = `fake-fn-${gateway.requests.length}`
    const fn = gateway.functions[String(body.function_name)]
    if (!fn) return reply({ code: 'FUNCTIONS_EXECUTE_FAIL', message: `function not found: ${String(body.function_name)}`, requestId })
    const data = typeof body.request_data === 'string' && body.request_data !== '' ? (JSON.parse(body.request_data) as unknown) : {}
    return reply({ requestId, data: { response_data: JSON.stringify(await fn(data)) } })
  }

  function storageAction(body: Record<string, unknown>, res: http.ServerResponse) {
    const reply = (o: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(o))
    }
    const requestId = `fake-${gateway.requests.length}-${pending.size}`
    if (body.action === 'storage.getUploadMetadata') {
      if (gateway.storageFault === 'upload') return reply({ code: 'STORAGE_REQUEST_FAIL', message: 'storage request failed', requestId })
      const cloudPath = String(body.path)
      // Unique per upload: concurrent uploads in one millisecond must not share a name.
      const cosFileId = `cos-${++uploadCount}`
      const fileId = `cloud://fake-env.fake-bucket/${cloudPath}`
      pending.set(cosFileId, fileId)
      return reply({ requestId, data: { url: `${origin}/cos/${encodeURIComponent(cloudPath)}`, token: 'fake-cos-token', authorization: 'fake-cos-auth', fileId, cosFileId } })
    }
    if (body.action === 'storage.batchGetDownloadUrl') {
      if (gateway.storageFault === 'temp-url') return reply({ code: 'STORAGE_REQUEST_FAIL', message: 'storage request failed', requestId })
      const list = (body.file_list as { fileid: string; max_age?: number }[]).map(({ fileid, max_age }) => {
        gateway.tempUrlRequests.push({ fileID: fileid, maxAge: max_age })
        // Without max_age the platform's own default applies; this fake uses a day.
        const maxAge = max_age ?? 86400
        return gateway.files.has(fileid)
          ? { fileID: fileid, tempFileURL: `${origin}/files/${encodeURIComponent(fileid)}?max_age=${maxAge}`, code: 'SUCCESS', maxAge }
          : { fileID: fileid, tempFileURL: '', code: 'STORAGE_FILE_NONEXIST', maxAge: 0 }
      })
      return reply({ requestId, data: { download_list: list } })
    }
    if (body.action === 'storage.batchDeleteFile') {
      if (gateway.storageFault === 'delete') return reply({ code: 'STORAGE_REQUEST_FAIL', message: 'storage request failed', requestId })
      // One call deletes at most 50 files (docs.cloudbase.net/storage/delete-file).
      if ((body.fileid_list as string[]).length > MAX_DELETE) return reply({ code: 'INVALID_PARAM', message: `at most ${MAX_DELETE} files per call`, requestId })
      const list = (body.fileid_list as string[]).map((fileid) => {
        gateway.deleteRequests.push(fileid)
        return gateway.files.delete(fileid) ? { fileID: fileid, code: 'SUCCESS' } : { fileID: fileid, code: 'STORAGE_FILE_NONEXIST' }
      })
      return reply({ requestId, data: { delete_list: list } })
    }
    return reply({ code: 'INVALID_ACTION', message: `fake gateway does not serve ${String(body.action)}`, requestId })
  }

  // The database as node-sdk speaks it (@cloudbase/database): queries, orders and documents are
  // EJSON text; answers carry documents as EJSON text too.
  function databaseAction(body: Record<string, unknown>, res: http.ServerResponse) {
    const reply = (o: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(o))
    }
    const requestId = `fake-db-${gateway.db.ops.length}`
    if (gateway.storageFault === 'database') return reply({ code: 'DATABASE_REQUEST_FAILED', message: 'database request failed', requestId })
    const name = String(body.collectionName)
    const parse = (v: unknown) => (typeof v === 'string' && v !== '' ? (EJSON.parse(v, { relaxed: true }) as Record<string, unknown>) : {})
    try {
      switch (body.action) {
        case 'database.addCollection':
          gateway.db.create(name)
          return reply({ requestId })
        case 'database.getDocument': {
          const order = parse(body.order) as Record<string, 1 | -1>
          const list = gateway.db.find(name, parse(body.query), { order, limit: typeof body.limit === 'number' ? body.limit : 100 })
          return reply({ requestId, data: { list: list.map((d) => EJSON.stringify(d, { relaxed: false })), limit: body.limit, offset: 0 } })
        }
        case 'database.modifyDocument': {
          // where().update(data): merged fields, as node-sdk encodes them ({ $set: {...} })
          if (body.queryType === 'WHERE' && body.merge === true && body.upsert === false) {
            const data = parse(body.data)
            const fields = (data.$set ?? data) as Record<string, unknown>
            if (Object.keys(data).some((k) => k.startsWith('$') && k !== '$set')) return reply({ code: 'INVALID_PARAM', message: 'fake gateway models only $set updates', requestId })
            return reply({ requestId, data: { updated: gateway.db.update(name, parse(body.query), fields) } })
          }
          if (body.queryType !== 'DOC' || body.upsert !== true || body.merge !== false) {
            return reply({ code: 'INVALID_PARAM', message: 'fake gateway models only doc().set() and where().update()', requestId })
          }
          const id = String(parse(body.query)._id ?? '')
          const { created } = gateway.db.set(name, id, parse(body.data))
          return reply({ requestId, data: { updated: created ? 0 : 1, upsert_id: created ? id : undefined } })
        }
        case 'database.removeDocument':
          return reply({ requestId, data: { deleted: gateway.db.remove(name, parse(body.query), body.multi !== false) } })
        default:
          return reply({ code: 'INVALID_ACTION', message: `fake gateway does not serve ${String(body.action)}`, requestId })
      }
    } catch (err) {
      if (err instanceof CollectionMissing) {
        return reply({ code: 'DATABASE_COLLECTION_NOT_EXIST', message: `[ResourceNotFound] Db or Table not exist: ${name}.`, requestId })
      }
      throw err
    }
  }

  async function putObject(req: http.IncomingMessage, res: http.ServerResponse) {
    const fileId = pending.get(String(req.headers['x-cos-meta-fileid']))
    const content = await readBody(req)
    if (fileId === undefined) {
      res.writeHead(403, { 'content-type': 'application/xml' })
      res.end('<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>unknown upload</Message><RequestId>x</RequestId><TraceId>x</TraceId></Error>')
      return
    }
    gateway.files.set(fileId, content)
    res.writeHead(200)
    res.end()
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const origin = `http://127.0.0.1:${port}`
  const url = `${origin}/admin`
  const gateway: FakeGateway = {
    url,
    backend: options.backend ?? createBackend(),
    requests,
    files: new Map(),
    storageFault: 'none',
    storageAcl: { acl: 'ADMINONLY' },
    functions: {},
    tempUrlRequests: [],
    deleteRequests: [],
    db: createDocStore(),
    storageLatencyMs: options.storageLatencyMs ?? 0,
    resetStorage() {
      gateway.files.clear()
      // The ownership records are the merchant's data, not something the function stored.
      for (const name of [...gateway.db.collections.keys()]) if (name !== DEMO_OWNERS_COLLECTION) gateway.db.collections.delete(name)
      gateway.db.ops.length = 0
      gateway.tempUrlRequests.length = 0
      gateway.deleteRequests.length = 0
      gateway.storageFault = 'none'
      gateway.storageLatencyMs = 0
    },
    // What the platform sets for a function, pointed here. TENCENTCLOUD_RUNENV=SCF matters:
    // without it node-sdk asks metadata.tencentyun.com whether it runs on Tencent Cloud before
    // every call, and off the cloud each of those DNS lookups holds a libuv thread until the
    // resolver gives up (minutes, with no network), keeping the process alive.
    sdkEnv: () => ({
      TCB_CONTEXT_CNFG: JSON.stringify({ URL: url }),
      TENCENTCLOUD_RUNENV: 'SCF',
      TENCENTCLOUD_REGION: 'ap-shanghai',
      SCF_NAMESPACE: 'fake-env-0000',
      TENCENTCLOUD_SECRETID: 'fake-secret-id',
      TENCENTCLOUD_SECRETKEY: 'fake-secret-key',
      TCB_ENV: 'fake-env-0000',
    }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
  return gateway
}

function sendResp(res: http.ServerResponse, msg: Record<string, unknown>) {
  const body = Buffer.from(CommOpenApiResp.encode(CommOpenApiResp.fromObject(msg)).finish())
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length })
  res.end(body)
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function readMultipart(req: http.IncomingMessage): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const fields = new Map<string, Buffer>()
    // latin1 keeps a binary field's bytes one-to-one; the protobuf in requestData is binary.
    const bb = Busboy({ headers: req.headers, defCharset: 'latin1', limits: { fieldSize: 64 * 1024 * 1024 } })
    bb.on('field', (name, value) => fields.set(name, Buffer.from(value, 'latin1')))
    bb.on('file', (name, stream) => {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => fields.set(name, Buffer.concat(chunks)))
    })
    bb.on('close', () => resolve(fields))
    bb.on('error', reject)
    req.pipe(bb)
  })
}
