// The doctor's checks: one row per thing a deployment needs, each with the fix. They read a
// DeploymentView, so the same rows run against a real environment (manager-node) and the harness.
import { createHash, randomBytes } from 'crypto'
import * as fs from 'fs'
import * as path from 'path'
import { DEFAULT_DOCTOR_COLLECTION } from '../../src/access/tickets'
import { isTransportName, readConfig } from '../../src/config'
import { PURGE_CRON, PURGE_TRIGGER } from '../../src/event/timer'
import { DEFAULT_RECORDS_COLLECTION } from '../../src/label/settings'
import { TRANSPORTS } from '../../src/registry'
import type { SelfTestResult } from '../../src/types'
import { FUNCTION_DIR, FUNCTION_NAME } from '../artifact'

export { FUNCTION_NAME }

/** What the function was built for; cloudbaserc.json and config.json say the same (a test holds them). */
export const REQUIRED = { runtime: 'Nodejs18.15', minTimeoutSec: 10, minMemoryMb: 256 } as const

export interface DeployedFunction {
  status?: string
  runtime: string
  timeoutSec: number
  memoryMb: number
  variables: Record<string, string>
  triggers: { name: string; type: string; config: string }[]
  /** when its code was last deployed (ms since the epoch), when the platform says */
  deployedAt?: number
}

export type StorageAcl = { acl: 'READONLY' | 'PRIVATE' | 'ADMINWRITE' | 'ADMINONLY' | 'CUSTOM' | string; rule?: { read: boolean | string; write: boolean | string } }

/** A deployment as the doctor sees it. Every method may throw: the row says what failed. */
export interface DeploymentView {
  /** where the doctor looked, for the heading */
  where: string
  /** a function of the environment (default getOrder) */
  fn(name?: string): Promise<DeployedFunction | undefined>
  /** the deployed index.js */
  code(): Promise<Buffer | undefined>
  storageAcl(): Promise<StorageAcl>
  collectionExists(name: string): Promise<boolean>
  /** invokes the deployed function and gives its answer */
  invoke(event: object): Promise<unknown>
  /**
   * Writes the doctor's one-time ticket with the environment's admin credentials: a document with
   * no `_openid`, which only an admin can write.
   */
  writeTicket(collection: string, id: string, expiresAt: number): Promise<void>
  /** the harness only: fires the timer once, as the platform would, before the checks */
  fireTimer?(): Promise<void>
}

export interface Row {
  name: string
  ok: boolean
  detail: string
  fix?: string
}

/** Every check, in the order an operator fixes them. */
export async function runChecks(view: DeploymentView, committed: Buffer = fs.readFileSync(path.join(FUNCTION_DIR, 'index.js'))): Promise<Row[]> {
  const rows: Row[] = []
  const fn = await attempt('function exists', () => view.fn(), rows)
  if (fn === null) return rows
  if (fn === undefined) {
    rows.push({
      name: 'function exists',
      ok: false,
      detail: `No function named ${FUNCTION_NAME} in the environment.`,
      fix: 'Deploy it: npm run deploy (or upload cloudfunctions/getOrder from WeChat devtools).',
    })
    return rows
  }
  rows.push({ name: 'function exists', ok: true, detail: `${FUNCTION_NAME}${fn.status ? `, status ${fn.status}` : ''}` })
  rows.push(
    fn.runtime === REQUIRED.runtime
      ? { name: 'runtime', ok: true, detail: fn.runtime }
      : {
          name: 'runtime',
          ok: false,
          detail: `${fn.runtime || '(none)'}, built for ${REQUIRED.runtime}`,
          fix: `The runtime is chosen when the function is created: delete it and npm run deploy again (cloudbaserc.json says ${REQUIRED.runtime}).`,
        },
  )
  rows.push(
    fn.timeoutSec >= REQUIRED.minTimeoutSec
      ? { name: 'timeout', ok: true, detail: `${fn.timeoutSec} s` }
      : {
          name: 'timeout',
          ok: false,
          detail: `${fn.timeoutSec} s (the platform's default is 3 s), the function is built for ${REQUIRED.minTimeoutSec} s`,
          fix: `npm run deploy sets ${REQUIRED.minTimeoutSec} s (cloudbaserc.json); from devtools, upload config.json (右键 → 更新本地设置) or set 超时时间 in the console.`,
        },
  )
  rows.push(
    fn.memoryMb >= REQUIRED.minMemoryMb
      ? { name: 'memory', ok: true, detail: `${fn.memoryMb} MB` }
      : {
          name: 'memory',
          ok: false,
          detail: `${fn.memoryMb} MB, the function is built for ${REQUIRED.minMemoryMb} MB`,
          fix: `Set 内存 to ${REQUIRED.minMemoryMb} MB in the console, or npm run deploy (cloudbaserc.json).`,
        },
  )
  // Read once, with the function's own reader: every row below that needs a setting takes it from here.
  const config = readConfig(fn.variables)
  rows.push(...settingsRows(fn.variables, config))
  rows.push(triggerRow(fn.triggers))
  const entry = transportOf(fn.variables)
  for (const companion of entry?.companions ?? []) {
    const deployed = await attempt(companion.name, () => view.fn(companion.name), rows)
    if (deployed !== null) rows.push(companionRow(entry!, companion, fn.variables, deployed))
  }

  const code = await attempt('deployed code', () => view.code(), rows)
  if (code !== null) {
    const want = sha(committed)
    rows.push(
      code === undefined
        ? { name: 'deployed code', ok: false, detail: 'The function has no index.js.', fix: 'npm run deploy.' }
        : sha(code) === want
          ? { name: 'deployed code', ok: true, detail: `index.js is the committed bundle (sha256 ${want.slice(0, 12)})` }
          : {
              name: 'deployed code',
              ok: false,
              detail: `index.js (sha256 ${sha(code).slice(0, 12)}) is not the committed bundle (${want.slice(0, 12)})`,
              fix: 'npm run deploy (it builds and checks the bundle first), or upload cloudfunctions/getOrder again from devtools.',
            },
    )
  }

  const acl = await attempt('storage rule', () => view.storageAcl(), rows)
  if (acl !== null) rows.push(storageRow(acl))

  // The harness fires the timer first, as the platform does every hour.
  if (view.fireTimer) await attempt('timer', () => view.fireTimer!(), rows)
  const self = await selfTest(view, config.ok ? config.value.doctor.collection : DEFAULT_DOCTOR_COLLECTION, rows)
  if (self !== null) rows.push(...selfTestRows(self), ...lastPurgeRows(self, fn.deployedAt))

  // After the self-test: its read creates the label records collection, as the first stored label would.
  const collections = [config.ok ? config.value.labels.collection : DEFAULT_RECORDS_COLLECTION]
  if (config.ok && config.value.access.ownersCollection) collections.push(config.value.access.ownersCollection)
  for (const [i, name] of collections.entries()) {
    const what = i === 0 ? 'label records collection' : 'ownership collection'
    const exists = await attempt(what, () => view.collectionExists(name), rows)
    if (exists === null) continue
    rows.push(
      exists
        ? { name: what, ok: true, detail: `${name} exists` }
        : {
            name: what,
            ok: false,
            detail: `${name} does not exist`,
            fix:
              i === 0
                ? 'The function creates it on first use; if it is still missing after the self-test, enable the database and create it in the console.'
                : 'Create it in the console; your order flow writes { orderId, deliveryId, openid } to it (recordOrderOwner).',
          },
    )
  }
  return rows
}

type AnyTransport = (typeof TRANSPORTS)[keyof typeof TRANSPORTS]

/** The transport WX_TRANSPORT names, from the registry the function uses; undefined when it names none. */
function transportOf(vars: Record<string, string>): AnyTransport | undefined {
  const name = vars.WX_TRANSPORT || 'cloud'
  return isTransportName(name) ? TRANSPORTS[name] : undefined
}

/** The function's own settings reader, on the deployed variables: what the function would refuse, the doctor refuses first. */
export function settingsRows(vars: Record<string, string>, read: ReturnType<typeof readConfig> = readConfig(vars)): Row[] {
  const problems = read.ok ? read.value.ignored : read.problems
  const entry = transportOf(vars)
  const rows: Row[] = [
    problems.length === 0
      ? {
          name: 'settings',
          ok: true,
          detail: `every variable parses (transport ${entry?.name}: ${entry?.summary}${entry?.variables.length ? `, with ${entry.variables.join(', ')}` : ''}${read.ok ? `; ACCESS_POLICY ${read.value.access.policy}` : ''})`,
        }
      : { name: 'settings', ok: false, detail: problems.map((p) => `${p.variable}: ${p.message}`).join(' '), fix: [...new Set(problems.map((p) => p.hint))].join(' ') },
  ]
  if (vars.WX_COMPONENT_AES_KEY_PREVIOUS) {
    // Not a failure: a change of key in progress. Said, so it is not left behind.
    rows.push({
      name: 'key rotation',
      ok: true,
      detail:
        'WX_COMPONENT_AES_KEY_PREVIOUS is set: pushes under the previous EncodingAESKey are still accepted. Remove it from getOrder and wxComponent once the change has settled (WeChat pushes every 10 minutes, so an hour is ample).',
    })
  }
  if (read.ok) {
    const c = read.value.access
    const readers = c.adminOpenids.size + (c.policy === 'own' ? 1 : 0) + (c.trustServerCallers ? 1 : 0)
    rows.push(
      readers > 0
        ? {
            name: 'who can read',
            ok: true,
            detail: [c.adminOpenids.size ? `${c.adminOpenids.size} admin(s)` : '', c.policy === 'own' ? 'owners (ACCESS_POLICY=own)' : '', c.trustServerCallers ? 'trusted servers' : '']
              .filter(Boolean)
              .join(', '),
          }
        : {
            name: 'who can read',
            ok: false,
            detail: 'Nobody: no ADMIN_OPENIDS, ACCESS_POLICY is admin-only and server callers are not trusted.',
            fix: 'Set ADMIN_OPENIDS, or ACCESS_POLICY=own with ORDER_OWNERS_COLLECTION, or TRUST_SERVER_CALLERS=1.',
          },
    )
  }
  return rows
}

export function triggerRow(triggers: DeployedFunction['triggers']): Row {
  const t = triggers.find((x) => x.name === PURGE_TRIGGER)
  if (t === undefined) {
    return {
      name: 'purge trigger',
      ok: false,
      detail: `No ${PURGE_TRIGGER} timer: stored labels (names, phones, addresses) are never deleted.`,
      fix: 'npm run deploy creates it (cloudbaserc.json); from devtools, right-click config.json → 上传触发器.',
    }
  }
  if (t.type !== 'timer' || normalizeCron(t.config) !== PURGE_CRON) {
    return {
      name: 'purge trigger',
      ok: false,
      detail: `${PURGE_TRIGGER} is ${t.type} "${t.config}", not timer "${PURGE_CRON}"`,
      fix: 'Delete the trigger and npm run deploy (or upload the trigger from devtools).',
    }
  }
  return { name: 'purge trigger', ok: true, detail: `${PURGE_TRIGGER}, timer ${PURGE_CRON} (hourly)` }
}

/**
 * A transport's companion function (wxComponent beside a third-party platform's getOrder) must be
 * deployed with the same values of the settings they share: the same TOKEN_STORE_KEY above all,
 * or getOrder cannot open the refresh tokens wxComponent sealed. Compared, never shown.
 */
export function companionRow(entry: AnyTransport, companion: { name: string; shared: readonly string[] }, getOrderVars: Record<string, string>, deployed: DeployedFunction | undefined): Row {
  const name = companion.name
  const fix = `npm run deploy deploys ${name} beside getOrder; set ${companion.shared.join(', ')} on it as on getOrder${entry.name === 'component' ? ", and the platform's 授权事件接收 URL to https://<env HTTP access domain>/wx-component" : ''}.`
  if (deployed === undefined) return { name, ok: false, detail: `WX_TRANSPORT=${entry.name}, but there is no ${name} function beside getOrder`, fix }
  const differ = companion.shared.filter((k) => (deployed.variables[k] ?? '') !== (getOrderVars[k] ?? ''))
  if (differ.length) return { name, ok: false, detail: `${name} and getOrder differ in ${differ.join(', ')} (values not shown)`, fix }
  return { name, ok: true, detail: `${name}, ${deployed.runtime}, the same ${companion.shared.length} shared settings as getOrder` }
}

/** SCF reports a timer's config as `{"cron":"…"}` (TriggerDesc) or as the bare expression. */
function normalizeCron(config: string): string {
  try {
    const parsed = JSON.parse(config) as { cron?: unknown }
    if (typeof parsed.cron === 'string') return parsed.cron.trim()
  } catch {
    // the bare expression
  }
  return config.trim()
}

/**
 * Label files must not be readable by clients: a public-read file's URL never expires
 * (docs.cloudbase.net/storage/get-temp-url: "公有读的文件获取的 https 链接不会过期"). The function reads
 * and writes as admin, so 仅管理员可读写 (ADMINONLY, or a custom `{"read": false, "write": false}`)
 * costs it nothing. PRIVATE (仅创建者及管理员可读写) also keeps labels from clients, since no client
 * created one; it stays for environments whose mini program uploads its users' own files.
 */
export function storageRow(acl: StorageAcl): Row {
  const fix =
    'In the CloudBase console → 云存储 → 权限设置, choose 仅管理员可读写 (or the custom rule {"read": false, "write": false}): the function still issues temporary URLs, and no client reads label files directly.'
  if (acl.acl === 'ADMINONLY') return { name: 'storage rule', ok: true, detail: 'ADMINONLY (仅管理员可读写)' }
  if (acl.acl === 'CUSTOM' && acl.rule?.read === false) return { name: 'storage rule', ok: true, detail: `CUSTOM, read false, write ${JSON.stringify(acl.rule.write)}` }
  if (acl.acl === 'PRIVATE') return { name: 'storage rule', ok: true, detail: 'PRIVATE (仅创建者及管理员可读写): no client created a label, so none can read one' }
  if (acl.acl === 'CUSTOM') return { name: 'storage rule', ok: false, detail: `CUSTOM with read ${JSON.stringify(acl.rule?.read)}: the doctor cannot tell that no client reads label files`, fix }
  return { name: 'storage rule', ok: false, detail: `${acl.acl}: every client can read stored labels, and a public file's URL never expires`, fix }
}

/** Tickets live a few minutes: long enough for a slow invoke, short enough to be worthless once seen. */
export const TICKET_LIFE_MS = 5 * 60_000

/**
 * The self-test, proven by a one-time ticket the doctor writes with the environment's admin
 * credentials, so it is served whatever SOURCE the platform gives a management invoke.
 */
async function selfTest(view: DeploymentView, collection: string, rows: Row[]): Promise<unknown | null> {
  const ticket = randomBytes(32).toString('hex')
  const written = await attempt('self-test ticket', () => view.writeTicket(collection, ticket, Date.now() + TICKET_LIFE_MS), rows)
  if (written === null) return null
  return attempt('self-test', () => view.invoke({ selfTest: true, ticket }), rows)
}

/** The purge must have run within two hours (it is hourly), unless the function is younger than that. */
export const PURGE_DUE_MS = 2 * 3_600_000

export function lastPurgeRows(answer: unknown, deployedAt: number | undefined, now: number = Date.now()): Row[] {
  const r = answer as SelfTestResult | undefined
  if (!r?.ok || typeof r.selfTest !== 'object' || !('lastPurge' in r.selfTest)) return []
  const last = r.selfTest.lastPurge
  const fix = `The ${PURGE_TRIGGER} timer invokes the function hourly: check the trigger exists (npm run deploy creates it), and the function's log for purgeLabels lines, which say why a run was refused or failed.`
  const refused = last?.lastRefused ? ` A later timer event was refused: ${last.lastRefused.why}` : last?.outcome === 'refused' ? ` The last timer event was refused: ${last.why ?? ''}` : ''
  if (last?.outcome === 'ran' && now - last.at <= PURGE_DUE_MS) {
    return [
      {
        name: 'last purge',
        ok: true,
        detail: `ran ${ago(now - last.at)} ago: ${last.deleted ?? 0} deleted, ${last.failed ?? 0} failed, ${last.stuck ?? 0} stuck${last.more ? ', more to do' : ''}.${refused}`,
      },
    ]
  }
  if (deployedAt !== undefined && now - deployedAt <= PURGE_DUE_MS) {
    return [{ name: 'last purge', ok: true, detail: `deployed ${ago(now - deployedAt)} ago: the first run is due on the hour${last ? '' : ' (none recorded yet)'}.${refused}` }]
  }
  const seen =
    last === null
      ? 'No purge run is recorded'
      : last.outcome === 'ran'
        ? `The last purge ran ${ago(now - last.at)} ago`
        : `No purge ran; the last timer event was ${last.outcome} ${ago(now - last.at)} ago`
  return [{ name: 'last purge', ok: false, detail: `${seen}: stored labels (names, phones, addresses) are not being deleted.${refused}`, fix }]
}

function ago(ms: number): string {
  const min = Math.max(0, Math.round(ms / 60_000))
  return min < 120 ? `${min} min` : `${Math.round(min / 60)} h`
}

/** The self-test's answer as rows; a refusal or an old bundle says what to do. */
export function selfTestRows(answer: unknown): Row[] {
  const r = answer as SelfTestResult | undefined
  if (typeof r !== 'object' || r === null || typeof r.ok !== 'boolean') {
    return [
      {
        name: 'self-test',
        ok: false,
        detail: `The function did not answer with a result: ${JSON.stringify(answer)?.slice(0, 200)}`,
        fix: "Look at the function's log in the console for the invocation.",
      },
    ]
  }
  if (!r.ok) {
    const e = r.error
    const fix =
      e.code === 'PERMISSION_DENIED'
        ? 'The doctor proves itself with a one-time ticket in DOCTOR_COLLECTION; a deployed function older than the ticket refuses it (npm run deploy). Or run the self-test from a mini program as an admin: wx.cloud.callFunction({ name: "getOrder", data: { selfTest: true } }).'
        : e.code === 'INVALID_ARGUMENT'
          ? 'The deployed function predates the self-test: npm run deploy.'
          : (e.hint ?? "See the function's log for the invocation.")
    return [{ name: 'self-test', ok: false, detail: `${e.code}: ${e.message}`, fix }]
  }
  if (!('selfTest' in r) || typeof r.selfTest !== 'object')
    return [{ name: 'self-test', ok: false, detail: 'The answer has no self-test report.', fix: 'The deployed function predates the self-test: npm run deploy.' }]
  const seen = r.selfTest.seen
  const how: Row[] = seen
    ? [
        {
          name: 'self-test: the call as seen',
          ok: true,
          detail: `source ${seen.source}, marks ${seen.markers.join(', ') || 'none'}${seen.caller ? `, caller ${seen.caller}` : ''}; let in by ${seen.admittedAs}`,
        },
      ]
    : []
  return [
    ...how,
    ...r.selfTest.checks.map((c) => ({
      name: `self-test: ${c.name}`,
      ok: c.ok,
      detail: c.detail,
      ...(c.ok ? {} : { fix: c.fix ?? "See the function's log for the invocation." }),
    })),
  ]
}

async function attempt<T>(name: string, fn: () => Promise<T>, rows: Row[]): Promise<T | null> {
  try {
    return await fn()
  } catch (err) {
    rows.push({
      name,
      ok: false,
      detail: `could not be read: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300),
      fix: 'Check the account has access to the environment (npx tcb env list) and try again.',
    })
    return null
  }
}

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex')
}

/** Prints the rows, ✓/✗ and the fix, and says whether all passed. */
export function printRows(rows: Row[], out: (s: string) => void): boolean {
  const width = Math.max(...rows.map((r) => r.name.length))
  for (const r of rows) {
    out(`${r.ok ? '✓' : '✗'} ${r.name.padEnd(width)}  ${r.detail}`)
    if (!r.ok && r.fix) out(`  ${' '.repeat(width)}  fix: ${r.fix}`)
  }
  return rows.every((r) => r.ok)
}
