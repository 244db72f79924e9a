import * as path from 'path'
import type { OrderOwnerRecord } from '../access/owners'
import { createBackend, isScenario, SCENARIOS } from './backend'
import { type BootstrapRun, runUnderBootstrap } from './bootstrap'
import { startGateway } from './gateway'
import { seedOwners } from './owners'
import { FAKE_UPSTREAMS } from './upstream'
import { isTransportName, TRANSPORT_NAMES } from '../config/transports'

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

export { DEMO_MERCHANT } from './upstream'

export type Invoked = { ok: true; run: BootstrapRun; via: string; where: string; close(): Promise<void> } | { ok: false; problem: string }

/**
 * Runs the function once under the CLI's runtime: against the fake gateway (cloud call), the fake
 * WeChat API server (HTTPS), or a live environment. Shared by `npm start` and `npm run label`.
 */
export async function invokeOnce(o: InvokeOptions): Promise<Invoked> {
  const env = { ...o.env }
  let close = async () => {}
  let via: string
  let where: string
  if (o.live !== undefined) {
    if (o.scenario) return { ok: false, problem: '--scenario plays faults on the fake gateway; it does not apply with --live.' }
    const run = await o.live.invoke(o.event)
    return { ok: true, run, via: 'the management API (SCF Invoke)', where: o.live.where, close: async () => {} }
  } else {
    const scenario = o.scenario ?? 'normal'
    if (!isScenario(scenario)) return { ok: false, problem: `Unknown scenario "${scenario}". Known: ${Object.keys(SCENARIOS).join(', ')}.` }
    const transport = o.transport ?? 'cloud'
    if (!isTransportName(transport)) return { ok: false, problem: `--transport takes ${TRANSPORT_NAMES.join(', ')}.` }
    // The function's storage and database are CloudBase's whatever the transport, as deployed.
    const gateway = await startGateway({ backend: createBackend({ scenario }) })
    if (o.owners) seedOwners(gateway.db, o.owners.records, o.owners.collection)
    const upstream = await FAKE_UPSTREAMS[transport]({ gateway, scenario, functionDir: o.functionDir, ...(o.authorizer ? { authorizer: o.authorizer } : {}) })
    if ('problem' in upstream) {
      await gateway.close()
      return { ok: false, problem: upstream.problem }
    }
    Object.assign(env, gateway.sdkEnv(), upstream.env)
    close = async () => {
      await upstream.close()
      await gateway.close()
    }
    via = upstream.via
    where = upstream.where
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
