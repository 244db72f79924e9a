import { randomBytes } from 'crypto'
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
  /**
   * The deployed function instead of the harness: invoked on the platform (scripts/live.ts, the
   * management API's invoke). `env` does not apply: the platform sets identity and settings.
   */
  live?: { where: string; invoke(event: unknown): Promise<BootstrapRun> }
  /** keep the fake upstream open after the run (its temp URLs serve stored labels); call close() */
  hold?: boolean
  /** with transport component: the merchant the platform reads for (default DEMO_MERCHANT) */
  authorizer?: string
  /** ownership records the fake database starts with (not with live) */
  owners?: { collection: string; records: OrderOwnerRecord[] }
}

/** The merchant `--transport component` reads for unless `--authorizer` names another. */
export const DEMO_MERCHANT = 'wxDEMOMERCHANT0001'

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
    if (o.scenario) return { ok: false, problem: '--scenario plays faults on the fake gateway; it does not apply with --live.' }
    const run = await o.live.invoke(o.event)
    return { ok: true, run, via: 'the management API (SCF Invoke)', where: o.live.where, close: async () => {} }
  } else {
    const scenario = o.scenario ?? 'normal'
    if (!isScenario(scenario)) return { ok: false, problem: `Unknown scenario "${scenario}". Known: ${Object.keys(SCENARIOS).join(', ')}.` }
    const label = scenario === 'normal' ? '' : `, scenario ${scenario}`
    const transport = o.transport ?? 'cloud'
    if (transport !== 'https' && transport !== 'cloud' && transport !== 'component') return { ok: false, problem: '--transport takes cloud, https or component.' }
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
    if (transport === 'component') {
      const server = await startWechatServer({ backend: createBackend({ scenario }) })
      close = async () => {
        await server.close()
        await gateway.close()
      }
      Object.assign(env, server.componentEnv(), { TOKEN_STORE_KEY: randomBytes(32).toString('hex') })
      // The platform's life before the call: WeChat pushes a ticket, the merchant authorizes, and
      // wxComponent (under the same runtime) receives both, as the HTTP access service hands them over.
      const merchant = o.authorizer ?? DEMO_MERCHANT
      const code = server.component.authorizeMerchant(merchant, [45])
      const pushes = [
        server.component.newTicket().push,
        server.component.push(`<xml><AppId>${env.WX_COMPONENT_APPID}</AppId><InfoType>authorized</InfoType><AuthorizerAppid>${merchant}</AuthorizerAppid><AuthorizationCode>${code}</AuthorizationCode></xml>`),
      ]
      for (const push of pushes) {
        const received = await runUnderBootstrap({
          functionDir: path.resolve(o.functionDir, '..', 'wxComponent'),
          event: { httpMethod: 'POST', path: '/wx-component', queryStringParameters: push.query, body: push.body, isBase64Encoded: false },
          env: { ...gateway.sdkEnv(), ...server.componentEnv(), TOKEN_STORE_KEY: env.TOKEN_STORE_KEY! },
          timeoutSec: 10,
        })
        const answer = received.result as unknown as { statusCode?: number } | undefined
        if (answer?.statusCode !== 200) {
          await close()
          return { ok: false, problem: `wxComponent did not accept the platform's push: ${JSON.stringify(received.result ?? received.stderr.slice(0, 300))}` }
        }
      }
      via = `the component transport, for merchant ${merchant}`
      where = `fake WeChat API server ${server.baseUrl}${label} (pushes received by wxComponent)`
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
