// npm run component: the third-party platform's one-off operations, with getOrder's own settings.
//   npm run component -- import --env <envId>   merchants that authorized before wxComponent was
//                                                deployed, from WeChat's list into the store
//   npm run component -- ticket --env <envId>   ask WeChat to push a component_verify_ticket now
//   npm run component -- import --local         the same against the harness, then a read for the imported merchant
import * as path from 'path'
import { parseArgs } from 'util'
import { type ComponentPlatform, requestTicketPush } from '../src/component/platform'
import { type ComponentSettings, readComponentConfig } from '../src/config'
import { platformOf } from '../src/registry/component'
import { FUNCTION_DIR, FUNCTION_NAME } from './artifact'
import { run, usage } from './cli'
import { describeTarget, resolveCredentials } from './credentials'
import { adminDatabase, deployedVariables, managerFor } from './doctor/cloudView'

const HELP = `npm run component -- <import|ticket> (--env <envId> | --local)

  import   Reads WeChat's list of the merchants that authorized the platform
           (api_get_authorizer_list, each one's permission sets from api_get_authorizer_info)
           into the environment's store, refresh tokens sealed under TOKEN_STORE_KEY: for
           merchants that authorized before wxComponent was deployed. Stored merchants are kept.
  ticket   Asks WeChat to push a component_verify_ticket now (api_start_push_ticket) instead of
           waiting for its 10-minute cycle. npm run deploy asks once too.

  --env <envId>  the environment: getOrder's own settings are read from the deployed function
                 (CLI login or API key, as npm run deploy); the calls go to WeChat from this machine,
                 whose IP must be in the platform's whitelist (else 61004)
  --local        the harness: a fake platform with a merchant that authorized earlier
`

async function main(): Promise<number> {
  const { values: o, positionals } = parseArgs({ options: { env: { type: 'string' }, local: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true })
  const out = (s: string) => process.stdout.write(`${s}\n`)
  if (o.help) return (out(HELP), 0)
  const verb = positionals[0]
  if (verb !== 'import' && verb !== 'ticket') return usage('Say what to do: import or ticket.', HELP)
  if (o.local) return local(verb, out)
  const envId = o.env ?? process.env.ENV_ID
  if (!envId) return usage('Which environment? Pass --env <envId> or set ENV_ID (or --local for the harness).')
  const creds = resolveCredentials()
  if (!creds.ok) return usage(creds.problem)
  const manager = managerFor(creds.credentials, envId)
  const detail = await manager.functions.getFunctionDetail(FUNCTION_NAME)
  const settings = readComponentConfig(deployedVariables(detail))
  if (!settings.ok) return usage(`getOrder in ${envId} has no usable third-party platform settings: ${settings.problems.map((p) => `${p.variable}: ${p.message}`).join(' ')}`)
  out(`${verb === 'import' ? 'Importing merchants' : 'Asking for a ticket'} for ${describeTarget(creds.credentials, envId)}`)
  if (verb === 'ticket') return ticket(settings.value, out)
  return importInto(platformOf(adminDatabase(creds.credentials, envId) as Parameters<typeof platformOf>[0], settings.value), out)
}

async function ticket(settings: ComponentSettings, out: (s: string) => void): Promise<number> {
  await requestTicketPush(settings)
  out('WeChat took the request: it pushes a ticket to the authorization event URL (wxComponent) within seconds.')
  return 0
}

async function importInto(platform: ComponentPlatform, out: (s: string) => void): Promise<number> {
  const { imported, kept } = await platform.importAuthorizers()
  for (const m of imported)
    out(
      `imported ${m.appid} (permission sets ${m.funcs.join(',') || 'none'}${m.funcs.some((f) => f === 45 || f === 71) ? '' : ': neither 45 nor 71, so getOrder refuses it until it authorizes them'})`,
    )
  out(`${imported.length} merchant(s) imported, ${kept.length} already stored and kept.`)
  return 0
}

/** The same against the harness: the platform's store is the fake gateway's database, read by the real SDK. */
async function local(verb: 'import' | 'ticket', out: (s: string) => void): Promise<number> {
  const { startGateway } = await import('../src/harness/gateway')
  const { FAKE_UPSTREAMS } = await import('../src/harness/upstream')
  const { runUnderBootstrap } = await import('../src/harness/bootstrap')
  const { snapshot } = await import('../src/config')
  const gateway = await startGateway()
  const upstream = await FAKE_UPSTREAMS.component({ gateway, scenario: 'normal', functionDir: FUNCTION_DIR })
  if ('problem' in upstream) return usage(upstream.problem)
  try {
    const settings = readComponentConfig(snapshot(upstream.env))
    if (!settings.ok) throw new Error(settings.problems[0]!.message)
    if (verb === 'ticket') {
      await ticket(settings.value, out)
      return upstream.component!.ticketPushesAsked === 1 ? 0 : 1
    }
    const earlier = 'wxEARLIERMERCHANT1'
    upstream.component!.authorizedEarlier(earlier, [45])
    out(`the harness: ${upstream.where}; ${earlier} authorized before the receiver existed`)
    Object.assign(process.env, gateway.sdkEnv())
    const cloud = require('wx-server-sdk') as { init(o: object): void; DYNAMIC_CURRENT_ENV: unknown; database(): Parameters<typeof platformOf>[0] }
    cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV })
    const code = await importInto(platformOf(cloud.database(), settings.value), out)
    // Proof: getOrder, deployed as the harness deploys it, now reads for the imported merchant.
    const read = await runUnderBootstrap({
      functionDir: path.resolve(FUNCTION_DIR),
      event: { orderId: '01234567890123456789', deliveryId: 'SF', authorizerAppid: earlier },
      env: { ...gateway.sdkEnv(), ...upstream.env, WX_TRANSPORT: 'component', TRUST_SERVER_CALLERS: '1', TCB_SOURCE: 'scf' },
      timeoutSec: 10,
    })
    out(`getOrder for ${earlier}: ${read.result?.ok ? 'ok' : JSON.stringify(read.result ?? read.stderr.slice(0, 200))}`)
    return code === 0 && read.result?.ok === true ? 0 : 1
  } finally {
    await upstream.close()
    await gateway.close()
  }
}

run(main, 1)
