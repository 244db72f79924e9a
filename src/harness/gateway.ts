import Busboy from 'busboy'
import * as http from 'http'
import type { AddressInfo } from 'net'
import * as protobuf from 'protobufjs'
import { createBackend, type FakeBackend } from './backend'

/** The wire messages of a cloud call (shared/WX_SERVER_SDK_FACTS.md). */
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
}

export interface FakeGateway {
  /** `http://127.0.0.1:PORT/admin`, for `TCB_CONTEXT_CNFG` */
  readonly url: string
  /** what answers; replace it to start a scenario from a clean state */
  backend: FakeBackend
  /** every cloud call received, decoded */
  readonly requests: GatewayRequest[]
  /** files uploaded through cloud storage, by fileID */
  readonly files: Map<string, Buffer>
  /** make storage fail: the upload, or the temporary URL */
  storageFault: 'none' | 'upload' | 'temp-url'
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
export async function startGateway(options: { backend?: FakeBackend; port?: number; latencyMs?: number } = {}): Promise<FakeGateway> {
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
      const file = gateway.files.get(decodeURIComponent(req.url.slice('/files/'.length)))
      res.writeHead(file ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' })
      res.end(file ?? 'not found')
      return
    }
    if (req.method === 'POST' && req.url?.startsWith('/admin') && /json/.test(req.headers['content-type'] ?? '')) {
      return storageAction(JSON.parse((await readBody(req)).toString('utf8')), res)
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
    }
    const data: Record<string, unknown> = {}
    for (const pair of comm.openapiData?.pairs ?? []) data[pair.key] = JSON.parse(pair.value.toString('utf8'))
    requests.push({ action, apiName, data })
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
  function storageAction(body: Record<string, unknown>, res: http.ServerResponse) {
    const reply = (o: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(o))
    }
    const requestId = `fake-${gateway.requests.length}-${pending.size}`
    if (body.action === 'storage.getUploadMetadata') {
      if (gateway.storageFault === 'upload') return reply({ code: 'STORAGE_REQUEST_FAIL', message: 'storage request failed', requestId })
      const cloudPath = String(body.path)
      const cosFileId = `cos-${pending.size}-${Date.now()}`
      const fileId = `cloud://fake-env.fake-bucket/${cloudPath}`
      pending.set(cosFileId, fileId)
      return reply({ requestId, data: { url: `${origin}/cos/${encodeURIComponent(cloudPath)}`, token: 'fake-cos-token', authorization: 'fake-cos-auth', fileId, cosFileId } })
    }
    if (body.action === 'storage.batchGetDownloadUrl') {
      if (gateway.storageFault === 'temp-url') return reply({ code: 'STORAGE_REQUEST_FAIL', message: 'storage request failed', requestId })
      const list = (body.file_list as { fileid: string }[]).map(({ fileid }) =>
        gateway.files.has(fileid)
          ? { fileID: fileid, tempFileURL: `${origin}/files/${encodeURIComponent(fileid)}`, code: 'SUCCESS', maxAge: 86400 }
          : { fileID: fileid, tempFileURL: '', code: 'STORAGE_FILE_NONEXIST', maxAge: 0 },
      )
      return reply({ requestId, data: { download_list: list } })
    }
    return reply({ code: 'INVALID_ACTION', message: `fake gateway does not serve ${String(body.action)}`, requestId })
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
