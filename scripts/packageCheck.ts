// The package check: proves offline that cloudfunctions/getOrder works on its own, the way
// "upload and deploy, install dependencies in the cloud" would run it.
import { execFile } from 'child_process'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { promisify } from 'util'
import { createBackend } from '../src/harness/backend'
import { identityEnv, runUnderBootstrap } from '../src/harness/bootstrap'
import { demoOwnerRecords, OWNERSHIP_ENV, seedOwners } from '../src/harness/owners'
import { startGateway } from '../src/harness/gateway'
import { labelHtml, type LabelSpec } from '../src/harness/labels'
import { PURGE_TRIGGER } from '../src/event/timer'
import { OPENAPI } from '../src/upstream/wire'
import { buildArtifact, FUNCTION_DIR, NOTICES_FILE, ROOT } from './artifact'

/**
 * The bundle's size budget. It holds wx-server-sdk (1.27 MB minified with everything in it);
 * what it costs at a cold start is measured by `npm run bench`, and this budget catches a
 * dependency that grows the bundle by surprise.
 */
export const BUNDLE_BUDGET_BYTES = 1400 * 1024

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
    detail: stale.length ? `stale: ${stale.join(', ')}; run npm run build and commit` : `${Object.keys(fresh).join(', ')} match npm run build`,
  })

  let pkg: { dependencies?: Record<string, string> } = {}
  try {
    pkg = JSON.parse(read('package.json') ?? '{}')
  } catch {
    // reported below
  }
  const js = read('index.js') ?? ''
  // wx-server-sdk is inside index.js: a cloud install must have nothing to fetch, and nothing
  // index.js requires may be missing from a folder without node_modules.
  const declared = Object.keys(pkg.dependencies ?? {})
  const builtins = new Set(require('module').builtinModules as string[])
  const required = [...new Set([...js.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!))].filter((r) => !builtins.has(r.replace(/^node:/, '')))
  const dynamic = /\brequire\(\s*[^"'\s)]/.test(js)
  checks.push({
    name: 'index.js loads nothing from node_modules and package.json has nothing to install',
    ok: declared.length === 0 && required.length === 0 && !dynamic && js.length > 0,
    detail: required.length
      ? `index.js requires ${required.join(', ')}, which a cloud install of this package.json would not provide`
      : dynamic
        ? 'index.js has a require() of a computed name'
        : declared.length
          ? `package.json lists ${declared.join(', ')}, which index.js does not load (the SDK is bundled in)`
          : 'only Node built-ins; dependencies: {}',
  })
  const banner = /with wx-server-sdk (\d+\.\d+\.\d+) bundled in/.exec(js)?.[1]
  const pinned = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies['wx-server-sdk']
  checks.push({
    name: 'the bundled wx-server-sdk is the version package.json pins',
    ok: banner !== undefined && banner === pinned,
    detail: banner === undefined ? 'index.js does not say which wx-server-sdk it bundles' : `bundled ${banner}, pinned ${String(pinned)}`,
  })
  const notices = read(NOTICES_FILE)
  checks.push({
    name: `${NOTICES_FILE} ships the licences of what index.js bundles`,
    ok: notices !== undefined && notices.includes(`wx-server-sdk@${String(pinned)}`),
    detail: notices === undefined ? `${NOTICES_FILE} is missing` : `${/the (\d+) packages below/.exec(notices)?.[1] ?? 'no'} packages`,
  })

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

  const rcTimeout = (JSON.parse(fs.readFileSync(path.join(ROOT, 'cloudbaserc.json'), 'utf8')) as { functions: { name: string; timeout?: number }[] }).functions.find(
    (f) => f.name === 'getOrder',
  )?.timeout
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

  // tcb fn deploy creates only the triggers cloudbaserc.json lists (the CLI never reads config.json).
  const rcTriggers = (JSON.parse(fs.readFileSync(path.join(ROOT, 'cloudbaserc.json'), 'utf8')) as { functions: { name: string; triggers?: unknown }[] }).functions.find(
    (f) => f.name === 'getOrder',
  )?.triggers
  const sameTriggers = JSON.stringify(rcTriggers ?? []) === JSON.stringify(triggers)
  checks.push({
    name: 'cloudbaserc.json declares the triggers config.json does (npm run deploy creates them)',
    ok: sameTriggers && triggers.length > 0,
    detail: sameTriggers
      ? `will create: ${triggers.map((t) => `${String(t.name)} (${String(t.type)}, "${String(t.config)}")`).join(', ')}`
      : `cloudbaserc.json has ${JSON.stringify(rcTriggers ?? null).slice(0, 120)}, config.json ${JSON.stringify(triggers).slice(0, 120)}: run npm run build`,
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
      // A plain user reading an order recorded as theirs: the ownership lookup runs inside the bundle too.
      const user = 'oPACKAGE-check-000001'
      seedOwners(gateway.db, [...demoOwnerRecords(user), { orderId: 'PKG-BIG-0001', deliveryId: 'SF', openid: user }])
      const env = { ...gateway.sdkEnv(), ...identityEnv({ openid: user }), ...OWNERSHIP_ENV }
      const normal = await runUnderBootstrap({ functionDir: dir, event: { orderId: 'DEMO-GBK-0001', deliveryId: 'STO' }, env })
      const ok = normal.result?.ok === true && 'order' in normal.result && (normal.result.order.printHtml ?? '').includes('申通快递')
      checks.push({ name: 'installed alone, it serves a normal order under the CLI runtime', ok, detail: ok ? `${normal.ms} ms` : (normal.stderr || normal.stdout).slice(-800) })
      const before = gateway.requests.length
      const stranger = await runUnderBootstrap({ functionDir: dir, event: { orderId: 'DEMO-GBK-0001', deliveryId: 'STO' }, env: { ...env, ...identityEnv({ openid: 'oPACKAGE-stranger-0001' }) } })
      const refused = stranger.result?.ok === false && stranger.result.error.code === 'PERMISSION_DENIED' && gateway.requests.length === before
      checks.push({
        name: 'installed alone, it refuses a user the order is not recorded for, before WeChat',
        ok: refused,
        detail: refused ? 'PERMISSION_DENIED, 0 upstream calls' : JSON.stringify(stranger.result ?? (stranger.stderr || stranger.stdout).slice(-800)).slice(0, 800),
      })
      gateway.backend = createBackend({ scenario: 'errcode-40001' })
      const failing = await runUnderBootstrap({ functionDir: dir, event: { orderId: 'DEMO-GBK-0001', deliveryId: 'STO' }, env })
      const errOk = failing.result?.ok === false && failing.result.error.code === 'AUTH_ERROR'
      checks.push({
        name: 'installed alone, it answers an upstream error as a contract error',
        ok: errOk,
        detail: errOk ? 'AUTH_ERROR for errcode 40001' : (failing.stderr || failing.stdout).slice(-800),
      })
      // A label too large for callFunction's 1 MB goes to cloud storage: the SDK's lazily loaded
      // storage and database parts, from inside the bundle.
      const big = createBackend()
      const spec: LabelSpec = {
        orderId: 'PKG-BIG-0001',
        deliveryId: 'SF',
        waybillId: 'SF7000000001',
        carrier: '顺丰速运',
        sender: { name: '王', phone: '1', address: '广州' },
        receiver: { name: '李', phone: '2', address: '北京' },
        goods: '图书',
        printType: 1,
        padRows: 24_000,
      }
      big.put({ order_id: spec.orderId, delivery_id: 'SF', waybill_id: spec.waybillId, order_status: 0, label: spec, waybill_data: [] })
      gateway.backend = big
      const offload = await runUnderBootstrap({ functionDir: dir, event: { orderId: spec.orderId, deliveryId: 'SF' }, env })
      const file = offload.result?.ok === true && 'order' in offload.result ? offload.result.order.printHtmlFile : undefined
      const stored = file !== undefined ? gateway.files.get(file.fileID) : undefined
      const offOk = stored !== undefined && stored.toString('utf8') === labelHtml(spec)
      checks.push({
        name: 'installed alone, it stores a label over 1 MB in cloud storage',
        ok: offOk,
        detail: offOk
          ? `${(stored.length / 1024 / 1024).toFixed(2)} MB label stored as ${file!.fileID.split('/').slice(-1)[0]!.slice(0, 12)}…`
          : JSON.stringify(offload.result ?? (offload.stderr || offload.stdout).slice(-800)).slice(0, 800),
      })
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
