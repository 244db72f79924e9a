// npm run deploy: build, run the package check, then deploy with the project's own CloudBase CLI.
// npm run deploy -- --dry-run: the package check only (no build, no network beyond loopback).
import { spawnSync } from 'child_process'
import * as path from 'path'
import { parseArgs } from 'util'
import { ROOT } from './artifact'
import { installedRunChecks, report, staticChecks } from './packageCheck'

export const FUNCTION_NAME = 'getOrder'

/** The CLI arguments of the deploy, held against `tcb fn deploy --help` by a test. */
export function deployArgs(envId: string): string[] {
  return ['fn', 'deploy', FUNCTION_NAME, '-e', envId, '--force', '--yes']
}

export function tcbBin(): string {
  const pkgPath = require.resolve('@cloudbase/cli/package.json')
  const bin = (require(pkgPath) as { bin: Record<string, string> }).bin.tcb!
  return path.join(path.dirname(pkgPath), bin)
}

const REMINDER = `Deployed. The CLI may not apply cloudfunctions/getOrder/config.json: if calls answer CONFIG_ERROR
with wxErrCode -604101, open the project in WeChat devtools and upload getOrder once from there
(right-click → 上传并部署：云端安装依赖). Permission changes take about 10 minutes to apply.
Set ADMIN_OPENIDS (and ACCESS_POLICY, ORDER_OWNERS_COLLECTION, TRUST_SERVER_CALLERS) in the CloudBase console:
ACCESS_POLICY defaults to admin-only; users read their own orders only with ACCESS_POLICY=own and ownership records.`

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { 'dry-run': { type: 'boolean' }, env: { type: 'string' }, 'skip-run': { type: 'boolean' } }, strict: true })
  const out = (s: string) => process.stdout.write(`${s}\n`)

  if (values['dry-run']) {
    out('Package check of cloudfunctions/getOrder (dry run: nothing is built or deployed)')
    const ok = report([...(await staticChecks()), ...(values['skip-run'] ? [] : await installedRunChecks())], out)
    out(ok ? 'Package check passed.' : 'Package check FAILED: see ✗ above.')
    return ok ? 0 : 1
  }

  const envId = values.env ?? process.env.ENV_ID
  if (!envId) {
    process.stderr.write('ENV_ID is not set: set ENV_ID to your CloudBase environment id (ENV_ID=<envId> npm run deploy).\n')
    return 1
  }
  const missing = ['TENCENTCLOUD_SECRETID', 'TENCENTCLOUD_SECRETKEY'].filter((k) => !process.env[k])
  if (missing.length) {
    process.stderr.write(`${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set: set them to an API key of the account that owns ${envId} (or run npx tcb login first and pass them anyway for CI).\n`)
    return 1
  }

  const build = spawnSync(process.execPath, [require.resolve('ts-node/dist/bin.js'), '--transpile-only', path.join(ROOT, 'scripts', 'build.ts')], { cwd: ROOT, stdio: 'inherit' })
  if (build.status !== 0) return 1
  const ok = report([...(await staticChecks()), ...(await installedRunChecks(undefined, 'registry'))], out)
  if (!ok) {
    out('Not deploying: the package check failed (see ✗ above).')
    return 1
  }
  // The CLI reads TENCENTCLOUD_SECRETID/TENCENTCLOUD_SECRETKEY from the environment: no secret on a command line.
  const deploy = spawnSync(process.execPath, [tcbBin(), ...deployArgs(envId)], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ENV_ID: envId } })
  if (deploy.status !== 0) return deploy.status ?? 1
  out(REMINDER)
  return 0
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
