// The package check: proves offline that cloudfunctions/getOrder works on its own, the way
// "upload and deploy, install dependencies in the cloud" would run it.
import { execFile } from 'child_process'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { promisify } from 'util'
import { createBackend } from '../src/harness/backend'
import { identityEnv, runUnderBootstrap } from '../src/harness/bootstrap'
import { startGateway } from '../src/harness/gateway'
import { PURGE_TRIGGER } from '../src/event/timer'
import { OPENAPI } from '../src/upstream/wire'
import { buildArtifact, FUNCTION_DIR, ROOT } from './artifact'

/** The bundle's size budget: small enough to load fast on a cold start. */
export const BUNDLE_BUDGET_BYTES = 150 * 1024

export interface Check {
  name: string
  ok: boolean
  detail: string
}

/** Checks that need no install: freshness, dependencies, permissions, paths, size. */
export async function staticChecks(functionDir: string = FUNCTION_DIR): Promise<Check[]> {
  const read = (f: string) => {
    const p = path.join(functionDir, f)
    return fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : undefined
  }
  const fresh = await buildArtifact()
  const checks: Check[] = []
  const stale = Object.keys(fresh).filter((f) => read(f) !== fresh[f])
  checks.push({
    name: 'the committed function is a fresh build of src/',
    ok: stale.length === 0,
    detail: stale.length ? `stale: ${stale.join(', ')}; run npm run build and commit` : 'index.js, package.json and config.json match npm run build',
  })

  let pkg: { dependencies?: Record<string, string> } = {}
  try {
    pkg = JSON.parse(read('package.json') ?? '{}')
  } catch {
    // reported below as a missing dependency
  }
  const sdk = pkg.dependencies?.['wx-server-sdk']
  checks.push({
    name: 'package.json declares wx-server-sdk at an exact version',
    ok: sdk !== undefined && /^\d+\.\d+\.\d+$/.test(sdk),
    detail: sdk === undefined ? 'package.json does not list wx-server-sdk in dependencies: the cloud would install nothing and index.js could not load' : `wx-server-sdk ${sdk}`,
  })

  const js = read('index.js') ?? ''
  let granted: string[] = []
  let triggers: { name?: unknown; type?: unknown; config?: unknown }[] = []
  let timeout: unknown
  try {
    const config = JSON.parse(read('config.json') ?? '{}')
    granted = config.permissions?.openapi ?? []
    triggers = Array.isArray(config.triggers) ? config.triggers : []
    timeout = config.timeout
  } catch {
    // reported below
  }
  const namespaces = new Set(Object.values(OPENAPI).map((a) => a.split('.')[0]))
  const called = [...new Set([...js.matchAll(/["']([a-z][A-Za-z]*\.[a-z][A-Za-z]*)["']/g)].map((m) => m[1]!).filter((n) => namespaces.has(n.split('.')[0]!)))]
  const ungranted = called.filter((a) => !granted.includes(a))
  checks.push({
    name: 'config.json permissions.openapi lists every openapi the bundle calls',
    ok: called.length > 0 && ungranted.length === 0,
    detail: ungranted.length ? `missing from config.json permissions.openapi: ${ungranted.join(', ')} (the call would fail with -604101)` : `granted: ${called.join(', ')}`,
  })

  const rcTimeout = (JSON.parse(fs.readFileSync(path.join(ROOT, 'cloudbaserc.json'), 'utf8')) as { functions: { name: string; timeout?: number }[] }).functions.find((f) => f.name === 'getOrder')?.timeout
  checks.push({
    name: 'config.json sets the timeout cloudbaserc.json sets (devtools uploads would otherwise get 3 s)',
    ok: typeof timeout === 'number' && timeout === rcTimeout,
    detail: typeof timeout !== 'number' ? 'config.json has no timeout: a devtools upload would run with the 3 s default' : `${timeout} s (cloudbaserc.json: ${String(rcTimeout)} s)`,
  })

  // Stored labels are personal data: without the timer nothing ever deletes them.
  const purge = triggers.find((t) => t.name === PURGE_TRIGGER)
  const hourly = purge !== undefined && purge.type === 'timer' && typeof purge.config === 'string' && purge.config.trim().split(/\s+/).length === 7
  checks.push({
    name: `config.json declares the ${PURGE_TRIGGER} timer that deletes expired labels`,
    ok: hourly && triggers.length === 1,
    detail: !purge
      ? `config.json has no "${PURGE_TRIGGER}" trigger: stored labels would never be deleted`
      : !hourly
        ? `the ${PURGE_TRIGGER} trigger must be type "timer" with a 7-field cron, got ${JSON.stringify(purge).slice(0, 120)}`
        : triggers.length !== 1
          ? 'config.json may declare only one trigger'
          : `${String(purge.config)}`,
  })

  const machinePaths = [ROOT, os.homedir(), os.tmpdir()].filter((p) => p.length > 1 && js.includes(p))
  checks.push({
    name: 'the bundle names no path of this machine',
    ok: machinePaths.length === 0 && !/["'`]\/(?:root|home|Users|work)\//.test(js),
    detail: machinePaths.length ? `found ${machinePaths.join(', ')}` : 'none found',
  })

  const size = Buffer.byteLength(js)
  checks.push({
    name: `the bundle is under its ${BUNDLE_BUDGET_BYTES / 1024} KB budget`,
    ok: size > 0 && size <= BUNDLE_BUDGET_BYTES,
    detail: `${(size / 1024).toFixed(1)} KB`,
  })
  return checks
}

/**
 * Installs the dependency closure of `dir/package.json` into `dir/node_modules` from the
 * project's own node_modules, following each package's own `dependencies`: what
 * `npm install --omit=dev` would put there, without the registry (tests stay on loopback).
 */
export function installFromLocal(dir: string): string[] {
  const declared = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {}
  const copied: string[] = []
  const queue = Object.keys(declared).map((name) => ({ name, from: path.join(ROOT, 'node_modules') }))
  while (queue.length) {
    const { name, from } = queue.shift()!
    const target = path.join(dir, 'node_modules', name)
    if (fs.existsSync(target)) continue
    const source = fs.existsSync(path.join(from, name)) ? path.join(from, name) : path.join(ROOT, 'node_modules', name)
    if (!fs.existsSync(path.join(source, 'package.json'))) throw new Error(`${name} is not installed in the project; run npm ci first`)
    fs.cpSync(source, target, { recursive: true, dereference: true })
    copied.push(name)
    const deps = (JSON.parse(fs.readFileSync(path.join(source, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {}
    // A dependency nested under its parent came along with it; the rest are hoisted.
    for (const dep of Object.keys(deps)) if (!fs.existsSync(path.join(source, 'node_modules', dep))) queue.push({ name: dep, from: path.join(ROOT, 'node_modules') })
  }
  return copied
}

/**
 * Copies the function to a fresh folder outside the repo, installs its dependencies there from
 * its own package.json only, and runs it under the CLI's runtime against the fake gateway.
 * `install: 'registry'` runs `npm install --omit=dev` as the cloud does; `'local'` (the default,
 * used by the dry run and the tests) takes the same packages from the project's node_modules.
 */
export async function installedRunChecks(functionDir: string = FUNCTION_DIR, install: 'local' | 'registry' = 'local'): Promise<Check[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-package-'))
  const checks: Check[] = []
  try {
    for (const f of fs.readdirSync(functionDir)) {
      if (f !== 'node_modules') fs.copyFileSync(path.join(functionDir, f), path.join(dir, f))
    }
    try {
      let detail: string
      if (install === 'registry') {
        await promisify(execFile)('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--no-package-lock'], { cwd: dir, timeout: 180_000 })
        detail = 'npm install --omit=dev from the registry'
      } else {
        const copied = installFromLocal(dir)
        detail = `${copied.length} packages from the project's node_modules${copied.length ? `, starting with ${copied.slice(0, 3).join(', ')}` : ''}`
      }
      checks.push({ name: 'its dependencies install from its own package.json', ok: true, detail })
    } catch (err) {
      checks.push({ name: 'its dependencies install from its own package.json', ok: false, detail: String((err as { stderr?: string }).stderr ?? err).slice(0, 500) })
      return checks
    }
    const gateway = await startGateway({ backend: createBackend() })
    try {
      const env = { ...gateway.sdkEnv(), ...identityEnv({ openid: 'oPACKAGE-check-000001' }) }
      const normal = await runUnderBootstrap({ functionDir: dir, event: { orderId: 'DEMO-GBK-0001', deliveryId: 'STO' }, env })
      const ok = normal.result?.ok === true && 'order' in normal.result && (normal.result.order.printHtml ?? '').includes('申通快递')
      checks.push({ name: 'installed alone, it serves a normal order under the CLI runtime', ok, detail: ok ? `${normal.ms} ms` : (normal.stderr || normal.stdout).slice(-800) })
      gateway.backend = createBackend({ scenario: 'errcode-40001' })
      const failing = await runUnderBootstrap({ functionDir: dir, event: { orderId: 'DEMO-GBK-0001', deliveryId: 'STO' }, env })
      const errOk = failing.result?.ok === false && failing.result.error.code === 'AUTH_ERROR'
      checks.push({ name: 'installed alone, it answers an upstream error as a contract error', ok: errOk, detail: errOk ? 'AUTH_ERROR for errcode 40001' : (failing.stderr || failing.stdout).slice(-800) })
    } finally {
      await gateway.close()
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
  return checks
}

export function report(checks: Check[], out: (s: string) => void): boolean {
  for (const c of checks) out(`${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`)
  return checks.every((c) => c.ok)
}
