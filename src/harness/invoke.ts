import * as path from 'path'
import type { OrderOwnerRecord } from '../access/owners'
import { createBackend, isScenario, SCENARIOS } from './backend'
import { type BootstrapRun, runUnderBootstrap } from './bootstrap'
import { startGateway } from './gateway'
import { seedOwners } from './owners'
import { startWechatServer } from './wechatServer'

export interface InvokeOptions {
  functionDir: string
  event: unknown
  /** identity and settings, as the platform would set them */
  env: Record<string, string>
  timeoutSec: number
  /** a fault to play on the fake upstream (not with live) */
  scenario?: string
  transport?: string
  /** a real CloudBase environment id: no fake upstream, real credentials from the environment */
  live?: string
  /** keep the fake upstream open after the run (its temp URLs serve stored labels); call close() */
  hold?: boolean
  /** ownership records the fake database starts with (not with live) */
  owners?: { collection: string; records: OrderOwnerRecord[] }
}

export type Invoked =
  | { ok: true; run: BootstrapRun; via: string; where: string; close(): Promise<void> }
  | { ok: false; problem: string }

/**
 * Runs the function once under the CLI's runtime: against the fake gateway (cloud call), the fake
 * WeChat API server (HTTPS), or a live environment. Shared by `npm start` and `npm run label`.
 */
export async function invokeOnce(o: InvokeOptions): Promise<Invoked> {
  const env = { ...o.env }
  let close = async () => {}
  let via = 'the cloud call'
  let where: string
  if (o.live !== undefined) {
    if (!o.live) return { ok: false, problem: '--live needs --env <envId>: the CloudBase environment to call.' }
    const missing = ['TENCENTCLOUD_SECRETID', 'TENCENTCLOUD_SECRETKEY'].filter((k) => !process.env[k])
    if (missing.length) {
      return { ok: false, problem: `--live needs ${missing.join(' and ')} in the environment (an API key of the Tencent Cloud account that owns env ${o.live}).` }
    }
    if (o.scenario) return { ok: false, problem: '--scenario plays faults on the fake gateway; it does not apply with --live.' }
    Object.assign(env, {
      TCB_ENV: o.live,
      SCF_NAMESPACE: o.live,
      TENCENTCLOUD_SECRETID: process.env.TENCENTCLOUD_SECRETID!,
      TENCENTCLOUD_SECRETKEY: process.env.TENCENTCLOUD_SECRETKEY!,
      ...(process.env.TENCENTCLOUD_SESSIONTOKEN ? { TENCENTCLOUD_SESSIONTOKEN: process.env.TENCENTCLOUD_SESSIONTOKEN } : {}),
    })
    where = `live environment ${o.live}`
  } else {
    const scenario = o.scenario ?? 'normal'
    if (!isScenario(scenario)) return { ok: false, problem: `Unknown scenario "${scenario}". Known: ${Object.keys(SCENARIOS).join(', ')}.` }
    const label = scenario === 'normal' ? '' : `, scenario ${scenario}`
    const transport = o.transport ?? 'cloud'
    if (transport !== 'https' && transport !== 'cloud') return { ok: false, problem: '--transport takes cloud or https.' }
    // The function's storage and database are CloudBase's whatever the transport, as deployed.
    const gateway = await startGateway({ backend: createBackend({ scenario }) })
    if (o.owners) seedOwners(gateway.db, o.owners.records, o.owners.collection)
    Object.assign(env, gateway.sdkEnv())
    close = () => gateway.close()
    where = `fake gateway ${gateway.url}${label}`
    if (transport === 'https') {
      const server = await startWechatServer({ backend: createBackend({ scenario }) })
      close = async () => {
        await server.close()
        await gateway.close()
      }
      Object.assign(env, server.httpsEnv())
      via = 'the HTTPS API'
      where = `fake WeChat API server ${server.baseUrl}${label}`
    }
  }
  let held = false
  try {
    const run = await runUnderBootstrap({ functionDir: path.resolve(o.functionDir), event: o.event, env, timeoutSec: o.timeoutSec })
    held = o.hold === true
    return { ok: true, run, via, where, close: held ? close : async () => {} }
  } finally {
    if (!held) await close()
  }
}
