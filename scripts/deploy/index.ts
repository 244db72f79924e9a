// npm run deploy: build, run the package check, then deploy with the project's own CloudBase CLI.
// npm run deploy -- --dry-run: the package check only (no build, no network beyond loopback).
import { spawnSync } from 'child_process'
import * as path from 'path'
import { parseArgs } from 'util'
import * as fs from 'fs'
import { CLOUDBASERC, COMPONENT_FUNCTION_DIR, COMPONENT_FUNCTION_NAME, FUNCTION_DIR, FUNCTION_NAME, ROOT } from '../artifact'
import { printRows, type Row } from '../doctor/checks'
import { deployedVariables, type ManagerLike, managerFor } from '../doctor/cloudView'
import { requestTicketPush } from '../../src/component/platform'
import { readComponentConfig } from '../../src/config'
import { toOrderError } from '../../src/errors/toOrderError'
import { cliFailures, type Expected, readBack } from './readback'
import { describeTarget, resolveCredentials } from '../credentials'
import { installedRunChecks, report, staticChecks } from '../packageCheck'

export { FUNCTION_NAME }

/** The CLI arguments of the deploy, held against `tcb fn deploy --help` by a test. */
export function deployArgs(envId: string, name: string = FUNCTION_NAME): string[] {
  return ['fn', 'deploy', name, '-e', envId, '--force', '--yes']
}

/** The HTTP access path WeChat pushes the platform's events to: https://<env domain>/wx-component. */
export const COMPONENT_SERVICE_PATH = 'wx-component'

/** The CLI arguments that bind the path to wxComponent, held against `tcb service create --help` by a test. */
export function serviceArgs(envId: string): string[] {
  return ['service', 'create', '-e', envId, '-p', COMPONENT_SERVICE_PATH, '-f', COMPONENT_FUNCTION_NAME]
}

export function tcbBin(): string {
  const pkgPath = require.resolve('@cloudbase/cli/package.json')
  const bin = (require(pkgPath) as { bin: Record<string, string> }).bin.tcb!
  return path.join(path.dirname(pkgPath), bin)
}

const REMINDER = `The CLI may not apply cloudfunctions/getOrder/config.json: if calls answer CONFIG_ERROR
with wxErrCode -604101, open the project in WeChat devtools and upload getOrder once from there
(right-click → 上传并部署：云端安装依赖). Permission changes take about 10 minutes to apply.
Set ADMIN_OPENIDS (and ACCESS_POLICY, ORDER_OWNERS_COLLECTION, TRUST_SERVER_CALLERS) in the CloudBase console:
ACCESS_POLICY defaults to admin-only; users read their own orders only with ACCESS_POLICY=own and ownership records.
Set the storage rule to 仅管理员可读写, then check it all: npm run doctor -- --env <envId>.
A third-party platform: set WX_TRANSPORT=component and the WX_COMPONENT_* settings and TOKEN_STORE_KEY on both
getOrder and wxComponent, and set the platform's 授权事件接收 URL to https://<env HTTP access domain>/${COMPONENT_SERVICE_PATH}.`

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { 'dry-run': { type: 'boolean' }, env: { type: 'string' }, 'skip-run': { type: 'boolean' } }, strict: true })
  const out = (s: string) => process.stdout.write(`${s}\n`)

  const envId = values.env ?? process.env.ENV_ID
  if (values['dry-run']) {
    out('Package check of cloudfunctions/getOrder (dry run: nothing is built or deployed)')
    const creds = resolveCredentials()
    out(`Would deploy to: ${!envId ? '(no environment: set ENV_ID or --env)' : creds.ok ? describeTarget(creds.credentials, envId) : `environment ${envId}, but ${creds.problem}`}`)
    const ok = report([...(await staticChecks()), ...(values['skip-run'] ? [] : await installedRunChecks())], out)
    out(ok ? 'Package check passed.' : 'Package check FAILED: see ✗ above.')
    return ok ? 0 : 1
  }

  if (!envId) {
    process.stderr.write('ENV_ID is not set: set ENV_ID to your CloudBase environment id (ENV_ID=<envId> npm run deploy).\n')
    return 1
  }
  // The CLI uses a stored login before the API key in the environment: say which, before anything changes.
  const creds = resolveCredentials()
  if (!creds.ok) {
    process.stderr.write(`${creds.problem}\n`)
    return 1
  }
  out(`Deploying getOrder to ${describeTarget(creds.credentials, envId)}`)

  const build = spawnSync(process.execPath, [require.resolve('ts-node/dist/bin.js'), '--transpile-only', path.join(ROOT, 'scripts', 'build.ts')], { cwd: ROOT, stdio: 'inherit' })
  if (build.status !== 0) return 1
  const ok = report([...(await staticChecks()), ...(await installedRunChecks(undefined, 'registry'))], out)
  if (!ok) {
    out('Not deploying: the package check failed (see ✗ above).')
    return 1
  }
  // The CLI reads its login, or TENCENTCLOUD_SECRETID/TENCENTCLOUD_SECRETKEY, itself: no secret on a
  // command line. Its output is kept: it reports a failed deploy in a line and still exits 0.
  const failures: string[] = []
  for (const name of [FUNCTION_NAME, COMPONENT_FUNCTION_NAME]) {
    const deploy = cli(deployArgs(envId, name), envId)
    failures.push(...cliFailures(deploy.output))
    if (deploy.status !== 0) failures.push(`tcb fn deploy ${name} exited ${String(deploy.status)}`)
  }
  // The push receiver's URL. An existing path makes the CLI refuse: the read-back below says whether it is there.
  cli(serviceArgs(envId), envId)
  out('Reading the deployment back:')
  const manager = managerFor(creds.credentials, envId)
  const code = finish(await readBack(manager, expectedDeployment()), failures, out)
  if (code === 0) out(await firstTicket(manager))
  return code
}

/**
 * A third-party platform's first ticket, asked for now (api_start_push_ticket) rather than at
 * WeChat's next 10-minute cycle, with the settings getOrder was deployed with. Said, never fatal:
 * the next cycle brings one anyway, and this machine's IP may not be in the platform's whitelist.
 */
export async function firstTicket(manager: Pick<ManagerLike, 'functions'>): Promise<string> {
  try {
    const detail = await manager.functions.getFunctionDetail(FUNCTION_NAME)
    const vars = deployedVariables(detail)
    if (vars.WX_TRANSPORT !== 'component') return 'No first ticket to ask for: getOrder is not set to WX_TRANSPORT=component.'
    const settings = readComponentConfig(vars)
    if (!settings.ok) return `No first ticket asked for: ${settings.problems.map((p) => p.message).join(' ')}`
    await requestTicketPush(settings.value)
    return 'Asked WeChat for a first component_verify_ticket (api_start_push_ticket): wxComponent receives it within seconds.'
  } catch (err) {
    const e = toOrderError(err)
    return `Could not ask WeChat for a first ticket (${e.message}${e.hint ? ` ${e.hint}` : ''}); it pushes one within 10 minutes anyway, or run npm run component -- ticket.`
  }
}

/** What `npm run deploy` makes: both functions with their committed code and triggers, and the push receiver's path. */
export function expectedDeployment(): Expected {
  const rc = JSON.parse(fs.readFileSync(CLOUDBASERC, 'utf8')) as { functions: { name: string; triggers?: { name: string }[] }[] }
  const triggers = (name: string) => (rc.functions.find((f) => f.name === name)?.triggers ?? []).map((t) => t.name)
  return {
    functions: [
      { name: FUNCTION_NAME, index: fs.readFileSync(path.join(FUNCTION_DIR, 'index.js')), triggers: triggers(FUNCTION_NAME) },
      { name: COMPONENT_FUNCTION_NAME, index: fs.readFileSync(path.join(COMPONENT_FUNCTION_DIR, 'index.js')), triggers: triggers(COMPONENT_FUNCTION_NAME) },
    ],
    service: { path: COMPONENT_SERVICE_PATH, name: COMPONENT_FUNCTION_NAME },
  }
}

/** "Deployed." only when the CLI reported no failure and every row of the read-back passed. */
export function finish(rows: Row[], failures: string[], out: (s: string) => void): number {
  const seen = printRows(rows, out)
  if (failures.length > 0 || !seen) {
    if (failures.length) out(`The CLI reported a failure:\n${failures.map((f) => `  ${f}`).join('\n')}`)
    out('Not deployed as committed: see what failed above (✗, and the CLI lines), fix it, and npm run deploy again.')
    return 1
  }
  out(`Deployed: every function, its code, its triggers and the push receiver's path were read back. ${REMINDER}`)
  return 0
}

function cli(args: string[], envId: string): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [tcbBin(), ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['inherit', 'pipe', 'pipe'], env: { ...process.env, ENV_ID: envId } })
  process.stdout.write(run.stdout ?? '')
  process.stderr.write(run.stderr ?? '')
  return { status: run.status, output: `${run.stdout ?? ''}\n${run.stderr ?? ''}` }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`)
      process.exit(1)
    },
  )
}
