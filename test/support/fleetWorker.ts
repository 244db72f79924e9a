// One Node server of a fleet: getOrder for several merchants through the component transport,
// every token shared through Redis. Run by test/fleet.test.ts as a child process; prints one JSON line.
import Redis from 'ioredis'
import { componentPlatform } from '../../src/component/platform'
import { sealerFrom, type Sealer } from '../../src/component/seal'
import { redisTokenStore } from '../../src/component/store'
import { trustServerCallers } from '../../src/access/policy'
import { createGetOrderHandler } from '../../src/core/handler'
import { httpsTransport } from '../../src/transport/https'

async function main() {
  const env = process.env
  const redis = new Redis(env.REDIS_URL!, { lazyConnect: false, maxRetriesPerRequest: 2 })
  const platform = componentPlatform({
    appid: env.WX_COMPONENT_APPID!,
    secret: env.WX_COMPONENT_APPSECRET!,
    store: redisTokenStore(redis, env.STORE_PREFIX),
    sealer: sealerFrom(env.TOKEN_STORE_KEY) as Sealer,
    baseUrl: env.WX_API_BASE!,
    leaseMs: Number(env.LEASE_MS),
    pollMs: 25,
  })
  const merchants = env.MERCHANTS!.split(',')
  const handlers = new Map(
    merchants.map((m) => [m, createGetOrderHandler({ transport: httpsTransport({ tokens: platform.authorizer(m), baseUrl: env.WX_API_BASE! }), caller: () => undefined, access: trustServerCallers })]),
  )
  const calls = Number(env.CALLS)
  const started = Date.now()
  const call = async (i: number) => {
    const m = merchants[i % merchants.length]!
    const r = await handlers.get(m)!({ orderId: '01234567890123456789', deliveryId: 'SF' }, { time_limit_in_ms: 15_000 })
    return r.ok ? 'ok' : `${r.error.code}:${r.error.message}`
  }
  // SEQUENTIAL: one call after another, as a server's requests arrive over time.
  const results: string[] = []
  if (env.SEQUENTIAL) for (let i = 0; i < calls; i++) results.push(await call(i))
  else results.push(...(await Promise.all(Array.from({ length: calls }, (_, i) => call(i)))))
  process.stdout.write(`${JSON.stringify({ ok: results.filter((r) => r === 'ok').length, failed: results.filter((r) => r !== 'ok'), ms: Date.now() - started })}\n`)
  redis.disconnect()
}

main().catch((err) => {
  process.stdout.write(`${JSON.stringify({ ok: 0, failed: [String(err)], ms: 0 })}\n`)
  process.exit(1)
})
