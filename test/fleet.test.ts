/**
 * A fleet of Node servers sharing the component tokens through a real redis-server on loopback:
 * each token is fetched by one process, and a process killed while it holds a refresh lease costs
 * the others at most the lease.
 */
import { type ChildProcess, spawn } from 'child_process'
import { randomBytes } from 'crypto'
import * as esbuild from 'esbuild'
import Redis from 'ioredis'
import * as net from 'net'
import * as path from 'path'
import { trustServerCallers } from '../src/access/policy'
import { createGetOrderHandler } from '../src/core/handler'
import { httpsTransport } from '../src/transport/https'
import { aesKeyOf } from '../src/component/crypto'
import { componentPlatform } from '../src/component/platform'
import { createPushReceiver } from '../src/component/push'
import { sealerFrom, type Sealer } from '../src/component/seal'
import { redisTokenStore } from '../src/component/store'
import { FAKE_COMPONENT, type FakeWechatServer, startWechatServer } from '../src/harness/wechatServer'
import { haveRedis, startRedis } from './support/redis'

const ROOT = path.resolve(__dirname, '..')
const WORKER = path.join(ROOT, '.cache', 'fleet', 'worker.js')
const TOKEN_STORE_KEY = randomBytes(32).toString('hex')
const LEASE_MS = 1500

if (!haveRedis) process.stderr.write('fleet tests skipped: no redis-server (sudo apt-get install -y redis-server)\n')
const suite = haveRedis ? describe : describe.skip

interface WorkerOut {
  ok: number
  failed: string[]
  ms: number
}

suite('a fleet sharing tokens through Redis', () => {
  let redisServer: Awaited<ReturnType<typeof startRedis>>
  let wx: FakeWechatServer
  let redis: Redis
  beforeAll(async () => {
    await esbuild.build({
      entryPoints: [path.join(ROOT, 'test', 'support', 'fleetWorker.ts')],
      bundle: true,
      platform: 'node',
      target: 'node18',
      packages: 'external',
      outfile: WORKER,
      logLevel: 'silent',
    })
    redisServer = await startRedis()
    redis = new Redis(redisServer.url)
    wx = await startWechatServer()
  }, 60_000)
  afterAll(async () => {
    redis?.disconnect()
    await wx?.close()
    await redisServer?.stop()
  })

  /** A store prefix of its own per test, with the ticket pushed and these merchants authorized. */
  async function seeded(merchants: string[]): Promise<string> {
    const prefix = `t${randomBytes(4).toString('hex')}:`
    const platform = componentPlatform({
      appid: FAKE_COMPONENT.appid,
      secret: FAKE_COMPONENT.secret,
      store: redisTokenStore(redis, prefix),
      sealer: sealerFrom(TOKEN_STORE_KEY) as Sealer,
      baseUrl: wx.baseUrl,
    })
    const receive = createPushReceiver({ platform, token: FAKE_COMPONENT.token, aesKey: aesKeyOf(FAKE_COMPONENT.aesKey) as Buffer })
    expect((await receive(wx.component.newTicket().push)).status).toBe(200)
    wx.component.queryAuthGivesToken = false
    for (const m of merchants) await platform.authorize(wx.component.authorizeMerchant(m, [45]))
    // The exchange itself used one component token: counted from here on.
    wx.component.requests.length = 0
    await redis.del(`${prefix}component_token`)
    return prefix
  }

  function worker(prefix: string, merchants: string[], calls: number, extra: Record<string, string> = {}): { child: ChildProcess; done: Promise<WorkerOut> } {
    const child = spawn(process.execPath, [WORKER], {
      env: {
        PATH: process.env.PATH ?? '',
        REDIS_URL: redisServer.url,
        STORE_PREFIX: prefix,
        TOKEN_STORE_KEY,
        LEASE_MS: String(LEASE_MS),
        MERCHANTS: merchants.join(','),
        CALLS: String(calls),
        WX_API_BASE: wx.baseUrl,
        WX_COMPONENT_APPID: FAKE_COMPONENT.appid,
        WX_COMPONENT_APPSECRET: FAKE_COMPONENT.secret,
        ...extra,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    const done = new Promise<WorkerOut>((resolve) => child.on('exit', () => resolve(out.trim() ? (JSON.parse(out.trim().split('\n').at(-1)!) as WorkerOut) : { ok: 0, failed: ['killed'], ms: 0 })))
    return { child, done }
  }

  const count = (p: string, merchant?: string) => wx.component.requests.filter((r) => r.path.endsWith(p) && (merchant === undefined || r.authorizerAppid === merchant)).length

  test('8 processes × 50 calls for 20 merchants: the component token fetched once, each merchant token once', async () => {
    const merchants = Array.from({ length: 20 }, (_, i) => `wxFLEET${String(i).padStart(11, '0')}`)
    const prefix = await seeded(merchants)
    const outs = await Promise.all(Array.from({ length: 8 }, (_, i) => worker(prefix, [...merchants.slice(i), ...merchants.slice(0, i)], 50).done))
    expect(outs.flatMap((o) => o.failed)).toEqual([])
    expect(outs.reduce((n, o) => n + o.ok, 0)).toBe(400)
    expect(count('api_component_token')).toBe(1)
    for (const m of merchants) expect(count('api_authorizer_token', m)).toBe(1)
    expect(wx.apiRequests.filter((r) => r.path.endsWith('/order/get')).length).toBeGreaterThanOrEqual(400)
  }, 60_000)

  test('the lease holder killed mid-refresh: the others wait at most the lease, and no call fails', async () => {
    const merchant = 'wxFLEETKILL0000001'
    const prefix = await seeded([merchant])
    // The first refresh hangs; the moment it reaches WeChat, its process is killed.
    wx.component.authorizerLatencyMs = 10_000
    let victim: ChildProcess | undefined
    const reached = new Promise<void>((resolve) => {
      wx.component.onAuthorizerRequest = () => {
        wx.component.authorizerLatencyMs = 0
        wx.component.onAuthorizerRequest = undefined
        victim!.kill('SIGKILL')
        resolve()
      }
    })
    const first = worker(prefix, [merchant], 1)
    victim = first.child
    await reached
    expect((await first.done).ok).toBe(0)
    const started = Date.now()
    const outs = await Promise.all(Array.from({ length: 7 }, () => worker(prefix, [merchant], 5).done))
    const waited = Date.now() - started
    expect(outs.flatMap((o) => o.failed)).toEqual([])
    expect(outs.reduce((n, o) => n + o.ok, 0)).toBe(35)
    // The dead holder's request and one more: nobody else refreshed.
    expect(count('api_authorizer_token', merchant)).toBe(2)
    // At most the lease, plus process start-up (a few hundred ms each, in parallel).
    expect(Math.max(...outs.map((o) => o.ms))).toBeLessThanOrEqual(LEASE_MS + 1000)
    expect(waited).toBeLessThan(LEASE_MS + 8000)
  }, 60_000)

  // A fleet at production rates must not hammer WeChat while it is refusing: a failed fetch is
  // recorded in the store with a back-off every instance honours.
  test.each([
    [
      'the ticket invalid (61006)',
      'api_component_token',
      async (prefix: string) => void (await redis.set(`${prefix}ticket`, (sealerFrom(TOKEN_STORE_KEY) as Sealer).seal('a-ticket-wechat-no-longer-knows', 'ticket'))),
      /CONFIG_ERROR:.*61006/,
    ],
    ['the component IP not whitelisted (61004)', 'api_component_token', async () => void (wx.component.refuseIp = true), /CONFIG_ERROR:.*61004/],
    ['every API call answering 40001', 'api_authorizer_token', async () => void (wx.rejectAllTokens = true), /AUTH_ERROR/],
  ] as const)(
    '%s: 4 processes × 20 calls make at most 8 %s fetches, and every call answers at once',
    async (_name, endpoint, fault, error) => {
      const merchant = 'wxFLEETFAIL0000001'
      const prefix = await seeded([merchant])
      await fault(prefix)
      try {
        const outs = await Promise.all(Array.from({ length: 4 }, () => worker(prefix, [merchant], 20, { SEQUENTIAL: '1' }).done))
        const failed = outs.flatMap((o) => o.failed)
        expect(failed).toHaveLength(80)
        for (const f of failed) expect(f).toMatch(error)
        expect(count(endpoint)).toBeLessThanOrEqual(8)
        expect(count(endpoint)).toBeGreaterThanOrEqual(1)
        // No secret, ticket or token in what the callers were told.
        expect(JSON.stringify(failed)).not.toMatch(/a-ticket-wechat|FAKE_COMPONENT_TOKEN|FAKE_AUTHORIZER_TOKEN|fake-component-secret/)
      } finally {
        wx.component.refuseIp = false
        wx.rejectAllTokens = false
      }
    },
    60_000,
  )

  test('a half-open Redis connection: calls fail within their deadline, and the process recovers when Redis answers again', async () => {
    const merchant = 'wxFLEETSTALL000001'
    const cold = 'wxFLEETSTALL000002'
    const prefix = await seeded([merchant, cold])
    // A loopback proxy that can hold what it carries without closing, as a half-open TCP path does:
    // the connection looks open and goes silent; when the path returns, what was held arrives.
    let stalled = false
    const held: (() => void)[] = []
    const pipes: net.Socket[] = []
    const carry = (to: net.Socket) => (d: Buffer) => void (stalled ? held.push(() => to.write(d)) : to.write(d))
    const proxy = net.createServer((client) => {
      const upstream = net.connect(redisServer.port, '127.0.0.1')
      pipes.push(client, upstream)
      client.on('data', carry(upstream))
      upstream.on('data', carry(client))
      client.on('error', () => undefined)
      upstream.on('error', () => undefined)
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    const client = new Redis(`redis://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`, { commandTimeout: 500, maxRetriesPerRequest: 1 })
    try {
      const platform = componentPlatform({
        appid: FAKE_COMPONENT.appid,
        secret: FAKE_COMPONENT.secret,
        store: redisTokenStore(client, prefix),
        sealer: sealerFrom(TOKEN_STORE_KEY) as Sealer,
        baseUrl: wx.baseUrl,
      })
      const handlerFor = (m: string) =>
        createGetOrderHandler({ transport: httpsTransport({ tokens: platform.authorizer(m), baseUrl: wx.baseUrl }), caller: () => undefined, access: trustServerCallers })
      const warmHandler = handlerFor(merchant)
      const coldHandler = handlerFor(cold)
      const SF = { orderId: '01234567890123456789', deliveryId: 'SF' }
      const call = () => coldHandler(SF, { time_limit_in_ms: 3000 })
      expect(await warmHandler(SF, { time_limit_in_ms: 3000 })).toMatchObject({ ok: true })
      stalled = true
      // The merchant it served a moment ago is still served from its own copy of the token.
      expect(await warmHandler(SF, { time_limit_in_ms: 3000 })).toMatchObject({ ok: true })
      // A merchant this process has not served yet needs the store: each call fails inside its deadline.
      for (let i = 0; i < 3; i++) {
        const started = Date.now()
        const r = await call()
        expect(r.ok).toBe(false)
        expect(Date.now() - started).toBeLessThan(3000)
      }
      stalled = false
      for (const deliver of held.splice(0)) deliver()
      // Redis answers again: the next calls are served.
      let recovered = false
      for (let i = 0; i < 10 && !recovered; i++) recovered = (await call()).ok
      expect(recovered).toBe(true)
    } finally {
      client.disconnect()
      for (const p of pipes) p.destroy()
      await new Promise<void>((r) => proxy.close(() => r()))
    }
  }, 60_000)
})
