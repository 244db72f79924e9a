// npm run doctor: is the deployment healthy? One row per check, ✓ or ✗ with the fix.
//   npm run doctor -- --env <envId>        a real CloudBase environment (CLI login or API key)
//   npm run doctor -- --local              the harness: gateway + the CLI's runtime
//   npm run doctor -- --local --scenario platform--604101
//   npm run doctor -- --local --transport component --set WX_COMPONENT_AES_KEY=too-short
import { parseArgs } from 'util'
import { isTransportName, TRANSPORT_NAMES, VARIABLES } from '../src/config'
import { isScenario, SCENARIOS } from '../src/harness/backend'
import { describeTarget, resolveCredentials } from './credentials'
import { printRows, type Row, runChecks } from './doctor/checks'
import { adminDatabaseFor, cloudView, managerFor } from './doctor/cloudView'
import { localView } from './doctor/localView'
import { run, usage } from './cli'

const HELP = `npm run doctor -- [--env <envId>] [--local [--transport <name>] [--set NAME=VALUE]… [--scenario <name>] [--storage-acl <acl>]] [--json]

Checks the getOrder deployment: function, runtime, timeout, memory, settings, purge trigger,
deployed code, storage rule, then the function's own self-test ({ selfTest: true }: the cloud
call's permission, a storage round trip, the collections) and the collections. Exit 0 when every
row passes.

  --env <envId>        the CloudBase environment (default: ENV_ID). Credentials: the CloudBase
                       CLI login (npx tcb login), else TENCENTCLOUD_SECRETID/SECRETKEY.
  --local              check the harness instead (no account needed)
  --transport <name>   with --local: the transport rehearsed (${TRANSPORT_NAMES.join(', ')}), each
                       against its fake WeChat (component: the push receiver takes a ticket first)
  --set NAME=VALUE     with --local: one of getOrder's settings overridden (repeatable), to see
                       what a mistake looks like before an operator makes it
  --scenario <name>    with --local: a fault for the fake WeChat (e.g. platform--604101)
  --storage-acl <acl>  with --local: the bucket rule the fake gateway reports (e.g. READONLY)
  --json               print the rows as JSON
`

async function main(): Promise<number> {
  const { values: o } = parseArgs({
    options: {
      env: { type: 'string' },
      local: { type: 'boolean' },
      transport: { type: 'string' },
      set: { type: 'string', multiple: true },
      scenario: { type: 'string' },
      'storage-acl': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  const out = (s: string) => process.stdout.write(`${s}\n`)
  if (o.help) return (out(HELP), 0)
  let rows: Row[]
  let where: string
  if (o.local) {
    const scenario = o.scenario ?? 'normal'
    if (!isScenario(scenario)) return fail(`Unknown scenario "${scenario}". Known: ${Object.keys(SCENARIOS).join(', ')}.`)
    const transport = o.transport ?? 'cloud'
    if (!isTransportName(transport)) return fail(`Unknown transport "${transport}". Known: ${TRANSPORT_NAMES.join(', ')}.`)
    const variables = settingsOf(o.set ?? [])
    if (typeof variables === 'string') return fail(variables)
    const local = await localView({ scenario, transport, variables, ...(process.env.NODE18_BIN ? { nodeBin: process.env.NODE18_BIN } : {}) })
    if (o['storage-acl']) local.gateway.storageAcl = { acl: o['storage-acl'] }
    try {
      where = local.view.where
      if (!o.json) out(`Doctor: ${where}`)
      rows = await runChecks(local.view)
    } finally {
      await local.close()
    }
  } else {
    if (o.scenario || o['storage-acl'] || o.transport || o.set) return fail('--scenario, --storage-acl, --transport and --set apply to --local only.')
    const envId = o.env ?? process.env.ENV_ID
    if (!envId) return fail('Which environment? Pass --env <envId> or set ENV_ID (or use --local for the harness).')
    const creds = resolveCredentials()
    if (!creds.ok) return fail(creds.problem)
    where = describeTarget(creds.credentials, envId)
    if (!o.json) out(`Doctor: getOrder in ${where}`)
    rows = await runChecks(cloudView(managerFor(creds.credentials, envId), where, adminDatabaseFor(creds.credentials, envId)))
  }
  const healthy = rows.every((r) => r.ok)
  if (o.json) out(JSON.stringify({ where, healthy, rows }, null, 2))
  else {
    printRows(rows, out)
    out(healthy ? 'Healthy: every check passed.' : `Not healthy: ${rows.filter((r) => !r.ok).length} check(s) failed (✗ above, each with its fix).`)
  }
  return healthy ? 0 : 1
}

/** `--set NAME=VALUE` pairs, each naming one of the function's settings. */
function settingsOf(pairs: string[]): Record<string, string> | string {
  const known = new Set<string>(VARIABLES.map((v) => v.name))
  const out: Record<string, string> = {}
  for (const pair of pairs) {
    const at = pair.indexOf('=')
    const name = at > 0 ? pair.slice(0, at) : pair
    if (at <= 0 || !known.has(name)) return `--set takes NAME=VALUE with NAME one of the function's settings; "${name.slice(0, 40)}" is not (see the README's configuration table).`
    out[name] = pair.slice(at + 1)
  }
  return out
}

const fail = (message: string) => usage(message, 'See npm run doctor -- --help.')

run(main, 2)
