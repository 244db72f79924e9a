/**
 * A fleet of Node servers sharing the component tokens through a real redis-server on loopback:
 * each token is fetched by one process, and a process killed while it holds a refresh lease costs
 * the others at most the lease.
 */
import { type ChildProcess, spawn } from 'child_process'
import { randomBytes } from 'crypto'
import * as esbuild from 'esbuild'
import Redis from 'ioredis'
import * as path from 'path'
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

  function worker(prefix: string, merchants: string[], calls: number): { child: ChildProcess; done: Promise<WorkerOut> } {
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
})
