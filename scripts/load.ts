// The load run: 1,000 invocations, 50 at a time, through the real wx-server-sdk against the fake
// gateway on loopback, with a mix of scenarios chosen per order. Prints a JSON report and then
// ends by itself: if anything (a timer, a socket) is left behind, the process does not exit.
// Run: node --expose-gc -r ts-node/register/transpile-only scripts/load.ts [--invocations N]
import dns = require('dns')
import { performance } from 'perf_hooks'
import type { WxServerSdk } from '../src/cloud/entry'
import { createCloudMain } from '../src/cloud/entry'
import { mapPool } from '../src/common/pool'
import { startGateway } from '../src/harness/gateway'
import type { ErrorCode, Result } from '../src/types'

const ADMIN = 'oLOAD-admin-0000000000001'
// The platform's default limit: 50 calls at once share this 2-core machine with the rest of the
// suite, and at 1.5 s a retried 502 could run out of time under that load (seen once in CI-like runs).
const TIME_LIMIT_MS = 3000
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}
const INVOCATIONS = arg('--invocations', 1000)
const CONCURRENCY = 50
const WARMUP = Math.floor(INVOCATIONS / 5)

/** The mix: [weight, how to make the event, what the result must be]. */
const MIX: [number, (n: number) => object, true | ErrorCode][] = [
  [40, () => ({ orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO' }), true],
  [15, () => ({ orderId: 'DEMO-GBK-0001', deliveryId: 'STO' }), true],
  [10, () => ({ orderId: '01234567890123456789', deliveryId: 'SF', waybillId: '123456789', printType: 1 }), true],
  [6, (n) => ({ orderId: `FAULT-flaky-${n}`, deliveryId: 'ZTO' }), true],
  [5, (n) => ({ orderId: `NO-SUCH-${n}`, deliveryId: 'SF' }), 'WECHAT_ERROR'],
  [5, (n) => ({ orderId: `FAULT-errcode-40001-${n}`, deliveryId: 'SF' }), 'AUTH_ERROR'],
  [4, (n) => ({ orderId: `FAULT-errcode-47001-${n}`, deliveryId: 'SF' }), 'WECHAT_ERROR'],
  [4, (n) => ({ orderId: `FAULT-platform--604101-${n}`, deliveryId: 'SF' }), 'CONFIG_ERROR'],
  [4, (n) => ({ orderId: `FAULT-bad-json-${n}`, deliveryId: 'SF' }), 'BAD_RESPONSE'],
  [3, (n) => ({ orderId: `FAULT-http-502-${n}`, deliveryId: 'SF' }), 'UPSTREAM_UNAVAILABLE'],
  [2, (n) => ({ orderId: `FAULT-silence-${n}`, deliveryId: 'SF' }), 'TIMEOUT'],
  [2, () => ({ order_id: 'x', deliveryId: 'SF' }), 'INVALID_ARGUMENT'],
]
const TOTAL_WEIGHT = MIX.reduce((s, [w]) => s + w, 0)

function pick(i: number) {
  // Deterministic: the same run every time.
  let r = (i * 7919) % TOTAL_WEIGHT
  for (const m of MIX) {
    if (r < m[0]) return m
    r -= m[0]
  }
  return MIX[0]!
}

// Every host name looked up during the run: off the cloud, node-sdk would ask for
// metadata.tencentyun.com before each call unless the platform's variables say SCF.
const lookedUp = new Map<string, number>()
const lookup = dns.lookup
;(dns as { lookup: unknown }).lookup = function (this: unknown, host: string, ...rest: unknown[]) {
  lookedUp.set(host, (lookedUp.get(host) ?? 0) + 1)
  return (lookup as (...a: unknown[]) => unknown).call(this, host, ...rest)
}

async function main() {
  const gateway = await startGateway()
  Object.assign(process.env, gateway.sdkEnv(), { WX_CONTEXT_KEYS: 'WX_OPENID', WX_OPENID: ADMIN, ADMIN_OPENIDS: ADMIN })
  const sdk = require('wx-server-sdk') as WxServerSdk
  const main = createCloudMain(sdk, process.env)

  // The function's log lines: counted and scanned, not printed.
  const logLines: string[] = []
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string | Uint8Array) => (logLines.push(String(chunk)), true)) as typeof process.stdout.write

  const outcomes = new Map<string, number>()
  const mismatches: string[] = []
  const heap = () => {
    ;(global as { gc?: () => void }).gc?.()
    ;(global as { gc?: () => void }).gc?.()
    return process.memoryUsage().heapUsed
  }

  const run = async (from: number, to: number) => {
    const indexes = Array.from({ length: to - from }, (_, k) => from + k)
    await mapPool(indexes, CONCURRENCY, async (i) => {
      const [, make, expected] = pick(i)
      const r: Result = await main(make(i), { request_id: `load-${i}`, time_limit_in_ms: TIME_LIMIT_MS })
      const got = r.ok ? true : r.error.code
      const key = got === true ? 'ok' : got
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1)
      if (got !== expected) mismatches.push(`#${i}: expected ${String(expected)}, got ${JSON.stringify(r).slice(0, 200)}`)
    })
  }

  const started = performance.now()
  await run(0, WARMUP)
  gateway.requests.length = 0
  gateway.backend.calls.length = 0
  const heapAfterWarmup = heap()
  await run(WARMUP, INVOCATIONS)
  gateway.requests.length = 0
  gateway.backend.calls.length = 0
  const heapAfterRun = heap()
  const ms = performance.now() - started
  await gateway.close()
  process.stdout.write = write

  const joined = logLines.join('')
  const lines = joined.split('\n').filter((l) => l.startsWith('{"level":"info","msg":"getOrder"'))
  const report = {
    invocations: INVOCATIONS,
    concurrency: CONCURRENCY,
    accounted: [...outcomes.values()].reduce((a, b) => a + b, 0),
    outcomes: Object.fromEntries(outcomes),
    mismatches,
    logLines: lines.length,
    logLeaksOpenid: joined.includes(ADMIN),
    logLeaksLabel: /<html|顺丰速运|申通快递/.test(joined),
    heapAfterWarmupMB: +(heapAfterWarmup / 1024 / 1024).toFixed(2),
    heapAfterRunMB: +(heapAfterRun / 1024 / 1024).toFixed(2),
    heapGrowthMB: +((heapAfterRun - heapAfterWarmup) / 1024 / 1024).toFixed(2),
    dnsLookups: Object.fromEntries(lookedUp),
    seconds: +(ms / 1000).toFixed(2),
  }
  process.stdout.write(`LOAD-REPORT ${JSON.stringify(report)}\n`)
  // No process.exit: the process must end by itself once nothing is left running.
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`)
  process.exitCode = 1
})
