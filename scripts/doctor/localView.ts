// The harness as a deployment: the function as `npm run deploy` would create it (cloudbaserc.json,
// a fresh build of src/), run under the CloudBase CLI's runtime against the fake gateway.
import * as fs from 'fs'
import * as path from 'path'
import { createBackend, type ScenarioName } from '../../src/harness/backend'
import { runUnderBootstrap } from '../../src/harness/bootstrap'
import { PURGE_TRIGGER } from '../../src/event/timer'
import { type FakeGateway, startGateway } from '../../src/harness/gateway'
import { FAKE_UPSTREAMS } from '../../src/harness/upstream'
import type { TransportName } from '../../src/config'
import { DEMO_ADMIN, DEMO_USER, demoOwnerRecords, OWNERSHIP_ENV, seedOwners } from '../../src/harness/owners'
import { buildArtifact, CLOUDBASERC, FUNCTION_DIR } from '../artifact'
import type { DeployedFunction, DeploymentView } from './checks'

/** The variables the harness deploys with: users read their own orders; the doctor calls as a server. */
export const LOCAL_VARIABLES: Readonly<Record<string, string>> = { ...OWNERSHIP_ENV, ADMIN_OPENIDS: DEMO_ADMIN, TRUST_SERVER_CALLERS: '1' }

const TIMER_EVENT = { Type: 'timer', TriggerName: PURGE_TRIGGER, Time: new Date().toISOString(), Message: '' }

interface RcFunction {
  name: string
  runtime: string
  timeout: number
  memorySize: number
  envVariables?: Record<string, string>
  triggers?: { name: string; type: string; config: string }[]
}

export interface LocalOptions {
  scenario?: ScenarioName
  nodeBin?: string
  /** the transport rehearsed, against its fake WeChat (default cloud) */
  transport?: TransportName
  /** getOrder's settings overridden (`--set NAME=VALUE`), to see what a mistake looks like */
  variables?: Record<string, string>
}

export async function localView(options: LocalOptions = {}): Promise<{ view: DeploymentView; gateway: FakeGateway; close(): Promise<void> }> {
  const scenario = options.scenario ?? 'normal'
  const transport = options.transport ?? 'cloud'
  const gateway = await startGateway({ backend: createBackend({ scenario }) })
  seedOwners(gateway.db, demoOwnerRecords(DEMO_USER))
  const upstream = await FAKE_UPSTREAMS[transport]({ gateway, scenario, functionDir: FUNCTION_DIR })
  if ('problem' in upstream) {
    await gateway.close()
    throw new Error(upstream.problem)
  }
  const rc = JSON.parse(fs.readFileSync(CLOUDBASERC, 'utf8')) as { functions: RcFunction[] }
  const fn = rc.functions.find((f) => f.name === 'getOrder')
  // Every function of the harness is deployed with the transport's settings; --set changes getOrder's alone.
  const deployed = { ...fn?.envVariables, ...LOCAL_VARIABLES, ...upstream.env, ...(transport === 'cloud' ? {} : { WX_TRANSPORT: transport }) }
  const variables = { ...deployed, ...options.variables }
  const view: DeploymentView = {
    where: `the local harness (${upstream.where}), transport ${transport}: the function as npm run deploy would create it`,
    async fn(name = 'getOrder'): Promise<DeployedFunction | undefined> {
      const f = rc.functions.find((x) => x.name === name)
      if (f === undefined) return undefined
      return { status: 'Active (local)', runtime: f.runtime, timeoutSec: f.timeout, memoryMb: f.memorySize, variables: name === 'getOrder' ? variables : deployed, triggers: f.triggers ?? [] }
    },
    // What the deploy uploads is the committed folder; a fresh build of src/ tells whether it is stale.
    async code() {
      return Buffer.from((await buildArtifact())['index.js']!, 'utf8')
    },
    async storageAcl() {
      return gateway.storageAcl
    },
    async collectionExists(name) {
      return gateway.db.collections.has(name)
    },
    // The management API's invoke carries no OPENID, and which source it names is documented
    // nowhere: the harness names none, and the ticket is what lets the doctor in.
    invoke: (event) => run(event, { TCB_SOURCE: '' }),
    async writeTicket(collection, id, expiresAt) {
      if (!gateway.db.collections.has(collection)) gateway.db.create(collection)
      gateway.db.set(collection, id, { expiresAt })
    },
    // The platform's timer, with node-sdk's own timer mark and no source named.
    fireTimer: async () => void (await run(TIMER_EVENT, { TCB_SOURCE: '', TRIGGER_SRC: 'timer' })),
  }
  async function run(event: object, identity: Record<string, string>): Promise<unknown> {
    const ran = await runUnderBootstrap({
      functionDir: path.resolve(FUNCTION_DIR),
      event,
      env: { ...gateway.sdkEnv(), ...variables, ...identity },
      timeoutSec: fn?.timeout ?? 3,
      ...(options.nodeBin ? { nodeBin: options.nodeBin } : {}),
    })
    if (ran.result === undefined) throw new Error(`the function printed no result (exit ${String(ran.exitCode)}): ${(ran.stderr || ran.stdout).slice(0, 300)}`)
    return ran.result
  }
  return {
    view,
    gateway,
    close: async () => {
      await upstream.close()
      await gateway.close()
    },
  }
}
