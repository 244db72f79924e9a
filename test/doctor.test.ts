/**
 * npm run doctor, npm run deploy's credentials and --live: the checks against a view of a deployment
 * (table-driven), manager-node's answers mapped into that view, the credentials chosen as the
 * CloudBase CLI chooses them, and the doctor run against the harness end to end.
 */
import { execFile } from 'child_process'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { promisify } from 'util'
import { FUNCTION_DIR, ROOT } from '../scripts/artifact'
import { cliAuthFile, resolveCredentials } from '../scripts/credentials'
import { type DeployedFunction, type DeploymentView, REQUIRED, type Row, runChecks } from '../scripts/doctor/checks'
import { cloudView, type ManagerLike } from '../scripts/doctor/cloudView'
import { liveTarget } from '../scripts/live'
import { PURGE_CRON, PURGE_TRIGGER } from '../src/event/timer'
import { storedZip } from './support/zip'

const run = promisify(execFile)
const COMMITTED = fs.readFileSync(path.join(FUNCTION_DIR, 'index.js'))

const HEALTHY_FN: DeployedFunction = {
  status: 'Active',
  runtime: REQUIRED.runtime,
  timeoutSec: 10,
  memoryMb: 256,
  variables: { ADMIN_OPENIDS: 'oADMIN-1' },
  triggers: [{ name: PURGE_TRIGGER, type: 'timer', config: JSON.stringify({ cron: PURGE_CRON }) }],
}
const HEALTHY_SELF_TEST = {
  ok: true,
  requestId: 'r',
  selfTest: {
    healthy: true,
    transport: 'cloud',
    checks: [
      { name: 'permission', ok: true, detail: 'errcode 9300528' },
      { name: 'storage', ok: true, detail: 'round trip' },
      { name: 'records', ok: true, detail: 'read' },
    ],
    seen: { source: '(none)', markers: [], admittedAs: 'ticket' },
    lastPurge: { at: Date.now() - 20 * 60_000, outcome: 'ran', deleted: 3, failed: 0, stuck: 0, more: false },
  },
}

/** A deployment that passes everything, with `change` applied; counts its invocations. */
function view(
  change: Partial<{
    fn: DeployedFunction | undefined
    receiver: DeployedFunction | undefined
    code: Buffer
    acl: { acl: string; rule?: { read: boolean | string; write: boolean | string } }
    selfTest: unknown
    collections: string[]
    failing: keyof DeploymentView
  }> = {},
) {
  const invoked: object[] = []
  const tickets: { collection: string; id: string; expiresAt: number }[] = []
  const v: DeploymentView = {
    where: 'test',
    fn: async (name?: string) => (name === 'wxComponent' ? change.receiver : 'fn' in change ? change.fn : HEALTHY_FN),
    code: async () => change.code ?? COMMITTED,
    storageAcl: async () => change.acl ?? { acl: 'ADMINONLY' },
    collectionExists: async (name) => (change.collections ?? ['getorder_labels', 'owners']).includes(name),
    invoke: async (event) => (invoked.push(event), change.selfTest ?? HEALTHY_SELF_TEST),
    writeTicket: async (collection, id, expiresAt) => void tickets.push({ collection, id, expiresAt }),
  }
  if (change.failing) (v as unknown as Record<string, () => Promise<never>>)[change.failing] = async () => Promise.reject(new Error('AuthFailure: the key was refused'))
  return { v, invoked, tickets }
}

const failed = (rows: Row[]) => rows.filter((r) => !r.ok).map((r) => r.name)

describe('the checks', () => {
  test('a healthy deployment passes every row, and the self-test is invoked once with { selfTest: true }', async () => {
    const { v, invoked, tickets } = view()
    const rows = await runChecks(v, COMMITTED)
    expect(failed(rows)).toEqual([])
    expect(rows.map((r) => r.name)).toEqual([
      'function exists',
      'runtime',
      'timeout',
      'memory',
      'settings',
      'who can read',
      'purge trigger',
      'deployed code',
      'storage rule',
      'self-test: the call as seen',
      'self-test: permission',
      'self-test: storage',
      'self-test: records',
      'last purge',
      'label records collection',
    ])
    // One fresh ticket, written with admin credentials before the one invoke that shows it.
    expect(tickets).toEqual([{ collection: 'getorder_doctor', id: expect.stringMatching(/^[0-9a-f]{64}$/), expiresAt: expect.any(Number) }])
    expect(tickets[0]!.expiresAt - Date.now()).toBeGreaterThan(60_000)
    expect(invoked).toEqual([{ selfTest: true, ticket: tickets[0]!.id }])
    expect(rows.find((r) => r.name === 'self-test: the call as seen')!.detail).toMatch(/source \(none\), marks none; let in by ticket/)
  })

  test.each([
    ['ran 20 min ago', { at: -20 * 60_000, outcome: 'ran' }, undefined, true, /ran 20 min ago/],
    ['ran 3 hours ago', { at: -3 * 3_600_000, outcome: 'ran' }, undefined, false, /3 h ago/],
    ['never ran, deployed 30 min ago', null, -30 * 60_000, true, /first run is due/],
    ['never ran, deployed a day ago', null, -24 * 3_600_000, false, /No purge run is recorded/],
    ['only refused timer events', { at: -10 * 60_000, outcome: 'refused', why: 'a client' }, -24 * 3_600_000, false, /refused.*a client/],
    ['ran, then a refusal', { at: -10 * 60_000, outcome: 'ran', lastRefused: { at: -5 * 60_000, why: 'a client' } }, undefined, true, /later timer event was refused: a client/],
  ] as const)('the last purge row: %s', async (_name, last, deployedAgo, ok, detail) => {
    const now = Date.now()
    const lastPurge = last === null ? null : { ...last, at: now + last.at }
    const fn = { ...HEALTHY_FN, ...(deployedAgo !== undefined ? { deployedAt: now + deployedAgo } : {}) }
    const rows = await runChecks(view({ fn, selfTest: { ...HEALTHY_SELF_TEST, selfTest: { ...HEALTHY_SELF_TEST.selfTest, lastPurge } } }).v, COMMITTED)
    const row = rows.find((r) => r.name === 'last purge')!
    expect(row).toMatchObject({ ok, detail: expect.stringMatching(detail) })
    if (!ok) expect(row.fix).toMatch(/purgeLabels/)
  })

  test('a ticket that cannot be written fails its row, and the self-test is not invoked without one', async () => {
    const { v, invoked } = view({ failing: 'writeTicket' })
    const rows = await runChecks(v, COMMITTED)
    expect(rows.find((r) => r.name === 'self-test ticket')).toMatchObject({ ok: false, detail: expect.stringMatching(/AuthFailure/) })
    expect(invoked).toEqual([])
  })

  const F = HEALTHY_FN
  test.each<[string, Parameters<typeof view>[0], string[], RegExp]>([
    ['no function', { fn: undefined }, ['function exists'], /npm run deploy/],
    ['another runtime', { fn: { ...F, runtime: 'Nodejs16.13' } }, ['runtime'], /delete it and npm run deploy/],
    ["the platform's default timeout", { fn: { ...F, timeoutSec: 3 } }, ['timeout'], /10 s/],
    ['128 MB', { fn: { ...F, memoryMb: 128 } }, ['memory'], /256 MB/],
    ['own without a collection', { fn: { ...F, variables: { ACCESS_POLICY: 'own' } } }, ['settings', 'who can read'].slice(0, 1), /ORDER_OWNERS_COLLECTION/],
    ['https without its secret', { fn: { ...F, variables: { ...F.variables, WX_TRANSPORT: 'https', WX_APPID: 'wx0000000000000000' } } }, ['settings'], /WX_APPSECRET/],
    ['an ignored BATCH_CONCURRENCY', { fn: { ...F, variables: { ...F.variables, BATCH_CONCURRENCY: '50' } } }, ['settings'], /1 to 10/],
    ['nobody can read', { fn: { ...F, variables: {} } }, ['who can read'], /ADMIN_OPENIDS/],
    ['no purge trigger', { fn: { ...F, triggers: [] } }, ['purge trigger'], /上传触发器/],
    ['a purge trigger on another schedule', { fn: { ...F, triggers: [{ name: PURGE_TRIGGER, type: 'timer', config: '0 0 0 * * * *' }] } }, ['purge trigger'], /npm run deploy/],
    ['stale code', { code: Buffer.from('exports.main = async () => ({})') }, ['deployed code'], /npm run deploy/],
    ['a public-read bucket (the default)', { acl: { acl: 'READONLY' } }, ['storage rule'], /仅管理员可读写/],
    ['admin-write, public read', { acl: { acl: 'ADMINWRITE' } }, ['storage rule'], /仅管理员可读写/],
    ['a custom rule that reads', { acl: { acl: 'CUSTOM', rule: { read: true, write: false } } }, ['storage rule'], /仅管理员可读写/],
    [
      'the self-test refused',
      { selfTest: { ok: false, requestId: 'r', error: { code: 'PERMISSION_DENIED', message: 'The self-test ticket is refused: no such ticket.', retryable: false } } },
      ['self-test'],
      /one-time ticket.*npm run deploy/,
    ],
    [
      'a bundle older than the self-test',
      { selfTest: { ok: false, requestId: 'r', error: { code: 'INVALID_ARGUMENT', message: 'Unknown field "selfTest".', retryable: false } } },
      ['self-test'],
      /predates the self-test/,
    ],
    [
      'the permission missing',
      { selfTest: { ...HEALTHY_SELF_TEST, selfTest: { healthy: false, transport: 'cloud', checks: [{ name: 'permission', ok: false, detail: '-604101', fix: 'upload from devtools' }] } } },
      ['self-test: permission'],
      /devtools/,
    ],
    ['not a result at all', { selfTest: 'Task timed out after 3.00 seconds' }, ['self-test'], /log/],
    ['the label records collection missing', { collections: [] }, ['label records collection'], /database/],
    ['management calls refused', { failing: 'storageAcl' }, ['storage rule'], /tcb env list/],
  ])('%s fails its row, with a fix', async (_name, change, rows, fix) => {
    const got = await runChecks(view(change).v, COMMITTED)
    expect(failed(got)).toEqual(rows)
    for (const r of got.filter((x) => !x.ok)) expect(`${r.detail} ${r.fix ?? ''}`).toMatch(fix)
  })

  test.each([
    ['ADMINONLY', undefined],
    ['PRIVATE', undefined],
    ['CUSTOM', { read: false, write: false }],
  ])('storage rule %s passes', async (acl, rule) => {
    const rows = await runChecks(view({ acl: { acl, ...(rule ? { rule } : {}) } }).v, COMMITTED)
    expect(rows.find((r) => r.name === 'storage rule')!.ok).toBe(true)
  })

  test('a third-party platform needs wxComponent with the same platform settings', async () => {
    const platform = {
      WX_TRANSPORT: 'component',
      WX_COMPONENT_APPID: 'wxCOMPONENT0000000',
      WX_COMPONENT_APPSECRET: 's',
      WX_COMPONENT_TOKEN: 't',
      WX_COMPONENT_AES_KEY: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
      TOKEN_STORE_KEY: 'ab'.repeat(32),
    }
    const fn = { ...HEALTHY_FN, variables: { ...HEALTHY_FN.variables, ...platform } }
    const row = async (receiver: DeployedFunction | undefined) => (await runChecks(view({ fn, receiver }).v, COMMITTED)).find((r) => r.name === 'wxComponent')
    expect(await row(undefined)).toMatchObject({ ok: false, fix: expect.stringMatching(/wx-component/) })
    expect(await row({ ...fn, variables: { ...platform, TOKEN_STORE_KEY: 'cd'.repeat(32) } })).toMatchObject({ ok: false, detail: expect.stringMatching(/TOKEN_STORE_KEY \(values not shown\)/) })
    expect(await row({ ...fn, variables: { ...platform } })).toMatchObject({ ok: true })
    expect(JSON.stringify(await row({ ...fn, variables: { ...platform, TOKEN_STORE_KEY: 'cd'.repeat(32) } }))).not.toContain('abab')
    // Without the component transport there is no such row.
    expect((await runChecks(view().v, COMMITTED)).some((r) => r.name === 'wxComponent')).toBe(false)
    // A key change in progress is said (not failed), and the previous key is compared like the others.
    const previous = { ...platform, WX_COMPONENT_AES_KEY_PREVIOUS: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg' }
    const rotating = await runChecks(view({ fn: { ...fn, variables: { ...fn.variables, ...previous } }, receiver: { ...fn, variables: previous } }).v, COMMITTED)
    expect(rotating.find((r) => r.name === 'key rotation')).toMatchObject({ ok: true, detail: expect.stringMatching(/WX_COMPONENT_AES_KEY_PREVIOUS is set.*Remove it/) })
    expect(rotating.filter((r) => !r.ok)).toEqual([])
    expect(await row({ ...fn, variables: { ...platform } })).toMatchObject({ ok: true })
    expect(
      (await runChecks(view({ fn: { ...fn, variables: { ...fn.variables, ...previous } }, receiver: { ...fn, variables: platform } }).v, COMMITTED)).find((r) => r.name === 'wxComponent'),
    ).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/WX_COMPONENT_AES_KEY_PREVIOUS/),
    })
    expect((await runChecks(view({ fn, receiver: { ...fn, variables: platform } }).v, COMMITTED)).some((r) => r.name === 'key rotation')).toBe(false)
  })

  test('ACCESS_POLICY=own adds the ownership collection row', async () => {
    const fn = { ...HEALTHY_FN, variables: { ACCESS_POLICY: 'own', ORDER_OWNERS_COLLECTION: 'owners' } }
    expect((await runChecks(view({ fn }).v, COMMITTED)).find((r) => r.name === 'ownership collection')).toMatchObject({ ok: true, detail: 'owners exists' })
    expect((await runChecks(view({ fn, collections: ['getorder_labels'] }).v, COMMITTED)).find((r) => r.name === 'ownership collection')!.ok).toBe(false)
  })
})

/** An admin database that takes every write. */
const NO_ADMIN = { set: async () => undefined }

/** manager-node's CloudBase, as far as the doctor uses it; counts its calls. */
function fakeManager(detail: Record<string, unknown> | Error, zip: Buffer) {
  const calls: string[] = []
  const manager = {
    functions: {
      getFunctionDetail: async (name: string) => {
        calls.push(`GetFunction ${name}`)
        if (detail instanceof Error) throw detail
        return detail
      },
      getFunctionDownloadUrl: async (name: string) => (calls.push(`GetFunctionAddress ${name}`), { Url: 'https://cos.example/code.zip', RequestId: 'r', CodeSha256: '' }),
      invokeFunction: async (name: string, params?: Record<string, unknown>) => {
        calls.push(`Invoke ${name} ${JSON.stringify(params)}`)
        return {
          RequestId: 'r',
          FunctionRequestId: 'f',
          RetMsg: JSON.stringify(HEALTHY_SELF_TEST),
          ErrMsg: '',
          Log: 'START\n{"level":"info","msg":"selfTest","outcome":"healthy"}\nEND',
          MemUsage: 1,
          Duration: 42,
          BillDuration: 42,
        }
      },
    },
    storage: { getStorageAcl: async () => (calls.push('DescribeStorageSafeRule'), { acl: 'ADMINONLY' }) },
    database: {
      checkCollectionExists: async (n: string) => (calls.push(`CheckCollection ${n}`), { Exists: true }),
      createCollectionIfNotExists: async (n: string) => (calls.push(`CreateCollectionIfNotExists ${n}`), {}),
    },
  }
  return { manager: manager as unknown as ManagerLike, calls, download: async (url: string) => (calls.push(`download ${url}`), zip) }
}

const SCF_DETAIL = {
  FunctionName: 'getOrder',
  Status: 'Active',
  Runtime: 'Nodejs18.15',
  Timeout: 10,
  MemorySize: 256,
  Environment: { Variables: [{ Key: 'ADMIN_OPENIDS', Value: 'oADMIN-1' }] },
  Triggers: [{ TriggerName: PURGE_TRIGGER, Type: 'timer', TriggerDesc: `{"cron":"${PURGE_CRON}"}` }],
}

describe("manager-node's answers, read into the doctor's view", () => {
  test('a deployment as SCF describes it passes, reading index.js out of the code package', async () => {
    const { manager, calls, download } = fakeManager(SCF_DETAIL, storedZip({ 'index.js': COMMITTED, 'package.json': Buffer.from('{}') }))
    const admin = { writes: [] as string[], set: async (c: string, id: string, d: Record<string, unknown>) => void admin.writes.push(`${c}/${id} ${Object.keys(d).join(',')}`) }
    const rows = await runChecks(cloudView(manager, 'env-1', admin, download), COMMITTED)
    expect(failed(rows)).toEqual([])
    // The collection made sure of, the ticket written as admin, then shown in the invoke.
    expect(calls).toContain('CreateCollectionIfNotExists getorder_doctor')
    expect(admin.writes).toEqual([expect.stringMatching(/^getorder_doctor\/[0-9a-f]{64} expiresAt,purpose$/)])
    const id = admin.writes[0]!.split(/[/ ]/)[1]
    expect(calls).toContain(`Invoke getOrder {"selfTest":true,"ticket":"${id}"}`)
    expect(calls).toContain('download https://cos.example/code.zip')
  })

  test('another index.js in the package fails the code row', async () => {
    const { manager, download } = fakeManager(SCF_DETAIL, storedZip({ 'index.js': Buffer.from('old') }))
    expect(failed(await runChecks(cloudView(manager, 'env-1', NO_ADMIN, download), COMMITTED))).toEqual(['deployed code'])
  })

  test('ResourceNotFound.Function is "no function", and nothing else is asked', async () => {
    const err = Object.assign(new Error('function not found'), { code: 'ResourceNotFound.Function' })
    const { manager, calls, download } = fakeManager(err, Buffer.alloc(0))
    const rows = await runChecks(cloudView(manager, 'env-1', NO_ADMIN, download), COMMITTED)
    expect(rows).toEqual([expect.objectContaining({ name: 'function exists', ok: false })])
    expect(calls).toEqual(['GetFunction getOrder'])
  })

  test('--live reads the result, the JSON log lines and the duration from the invoke', async () => {
    const { manager, calls } = fakeManager(SCF_DETAIL, Buffer.alloc(0))
    const live = liveTarget('env-1', () => manager)
    if (!live.ok) throw new Error(live.problem)
    const got = await live.target.invoke({ orderId: '1', deliveryId: 'SF' })
    expect(got.result).toEqual(HEALTHY_SELF_TEST)
    expect(got.logs).toEqual([{ level: 'info', msg: 'selfTest', outcome: 'healthy' }])
    expect(got.ms).toBe(42)
    expect(calls).toEqual(['Invoke getOrder {"orderId":"1","deliveryId":"SF"}'])
    expect(liveTarget(undefined)).toMatchObject({ ok: false, problem: expect.stringMatching(/--env/) })
  })
})

describe('credentials, chosen as the CloudBase CLI chooses them', () => {
  let home: string
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-home-'))
  })
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }))
  const login = (credential: Record<string, unknown>) => {
    const file = cliAuthFile(home)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, JSON.stringify({ _: 'x', credential }))
    return file
  }
  const KEYS = { TENCENTCLOUD_SECRETID: 'AKIDenvironmentkey0001', TENCENTCLOUD_SECRETKEY: 'env-secret' }
  const NOW = 1_800_000_000_000

  test('a stored login wins over the API key, and only a masked account is shown', () => {
    const file = login({ tmpSecretId: 'AKIDlogin000000000009', tmpSecretKey: 'login-secret', tmpToken: 'tok', tmpExpired: NOW + 3600_000, uin: '100012345678' })
    const got = resolveCredentials(KEYS, file, NOW)
    expect(got).toMatchObject({ ok: true, credentials: { from: 'cli-login', secretId: 'AKIDlogin000000000009', token: 'tok', account: 'account 1000****78' } })
    expect(JSON.stringify(got.ok && got.credentials.account)).not.toMatch(/12345/)
  })

  test('an expired login is named, not passed over for the API key', () => {
    const file = login({ tmpSecretId: 'AKIDlogin000000000009', tmpSecretKey: 's', tmpExpired: Math.floor(NOW / 1000) - 60, uin: '100012345678' })
    expect(resolveCredentials(KEYS, file, NOW)).toMatchObject({ ok: false, problem: expect.stringMatching(/expired.*tcb login/) })
  })

  test('no login: the API key, masked', () => {
    expect(resolveCredentials(KEYS, cliAuthFile(home), NOW)).toMatchObject({ ok: true, credentials: { from: 'api-key', account: 'API key AKID****0001' } })
  })

  test('neither: says both ways', () => {
    expect(resolveCredentials({}, cliAuthFile(home), NOW)).toMatchObject({ ok: false, problem: expect.stringMatching(/tcb login.*TENCENTCLOUD_SECRETID/) })
  })

  test('npm run deploy -- --dry-run says where it would deploy, from the login, before anything changes', async () => {
    login({ tmpSecretId: 'AKIDlogin000000000009', tmpSecretKey: 's', tmpToken: 't', tmpExpired: Date.now() + 3600_000, uin: '100012345678' })
    const { stdout } = await run('npm', ['run', '-s', 'deploy', '--', '--dry-run', '--skip-run'], { cwd: ROOT, env: { ...process.env, ...KEYS, HOME: home, ENV_ID: 'env-test-1' }, timeout: 120_000 })
    expect(stdout).toContain('Would deploy to: account 1000****78 (the CloudBase CLI login), environment env-test-1')
    expect(stdout).not.toContain('login-secret')
  })
})

describe('npm run doctor -- --local, end to end', () => {
  const doctor = (...args: string[]) =>
    run('npm', ['run', '-s', 'doctor', '--', '--local', ...args], { cwd: ROOT, timeout: 120_000 }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    )

  test('the harness passes every row', async () => {
    const { code, stdout } = await doctor()
    expect(stdout).not.toContain('✗')
    expect(stdout.match(/^✓/gm)).toHaveLength(17)
    expect(stdout).toContain('Healthy: every check passed.')
    expect(code).toBe(0)
  })

  test('--json: the timer fired as the platform would, so the last purge row passes; the call was let in by its ticket', async () => {
    const { code, stdout } = await doctor('--json')
    expect(code).toBe(0)
    const rows = (JSON.parse(stdout) as { rows: Row[] }).rows
    expect(rows.find((r) => r.name === 'last purge')).toMatchObject({ ok: true, detail: expect.stringMatching(/^ran \d+ min ago/) })
    expect(rows.find((r) => r.name === 'self-test: the call as seen')).toMatchObject({ ok: true, detail: expect.stringMatching(/source \(none\).*let in by ticket/) })
  })

  test('--transport component passes every row; --set WX_COMPONENT_AES_KEY=too-short fails, naming it', async () => {
    const good = await doctor('--transport', 'component')
    expect(good.stdout).not.toContain('✗')
    expect(good.stdout).toMatch(/✓ wxComponent/)
    expect(good.code).toBe(0)
    const bad = await doctor('--transport', 'component', '--set', 'WX_COMPONENT_AES_KEY=too-short')
    expect(bad.code).toBe(1)
    expect(bad.stdout).toMatch(/^✗ settings +WX_COMPONENT_AES_KEY: /m)
    expect(bad.stdout).not.toContain('too-short')
  })

  test('--scenario platform--604101 fails the permission row and names config.json and the devtools upload', async () => {
    const { code, stdout } = await doctor('--scenario', 'platform--604101')
    expect(code).toBe(1)
    expect(stdout.match(/^✗.*$/gm)).toEqual([expect.stringMatching(/^✗ self-test: permission .*-604101/)])
    expect(stdout).toMatch(/fix: .*config\.json.*devtools/)
  })

  test('--storage-acl READONLY fails the storage rule row', async () => {
    const { code, stdout } = await doctor('--storage-acl', 'READONLY')
    expect(code).toBe(1)
    expect(stdout.match(/^✗.*$/gm)).toEqual([expect.stringMatching(/^✗ storage rule +READONLY/)])
  })
})
