import { execFile } from 'child_process'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { promisify } from 'util'
import { FUNCTION_DIR, ROOT } from '../scripts/artifact'
import { deployArgs, expectedDeployment, finish, firstTicket, FUNCTION_NAME, tcbBin } from '../scripts/deploy'
import { startWechatServer } from '../src/harness/wechatServer'
import { cliFailures, type Expected, readBack } from '../scripts/deploy/readback'
import type { Row } from '../scripts/doctor/checks'
import type { ManagerLike } from '../scripts/doctor/cloudView'
import { storedZip } from './support/zip'
import { staticChecks } from '../scripts/packageCheck'

const run = promisify(execFile)

describe('the deploy command against the installed CLI', () => {
  let help: string
  beforeAll(async () => {
    // `tcb fn deploy --help` makes no network connection; a real deploy attempt would, so no test makes one.
    help = (await run(process.execPath, [tcbBin(), 'fn', 'deploy', '--help'], { cwd: os.tmpdir(), timeout: 60_000 })).stdout
  })

  test('the CLI still has the command, taking the function name as its argument', () => {
    expect(help).toMatch(/Usage: tcb fn deploy \[options\] \[name\]/)
  })

  test('every flag npm run deploy passes is one of its options, taking a value where we give one', () => {
    const args = deployArgs('env-1')
    expect(args.slice(0, 3)).toEqual(['fn', 'deploy', FUNCTION_NAME])
    const options = new Map<string, boolean>()
    for (const m of help.matchAll(/^\s+(?:(-\w), )?(--[\w-]+)(?: <\w+>)?/gm)) {
      const takesValue = /<\w+>/.test(m[0])
      options.set(m[2]!, takesValue)
      if (m[1]) options.set(m[1], takesValue)
    }
    expect(options.size).toBeGreaterThan(5)
    for (let i = 3; i < args.length; i++) {
      const flag = args[i]!
      expect(options.has(flag)).toBe(true)
      if (options.get(flag)) i++ // its value
    }
    expect(options.get('-e')).toBe(true)
  })
})

describe('npm run deploy refuses clearly', () => {
  test('with no ENV_ID: non-zero, one line that says what to set', async () => {
    const env = { ...process.env }
    delete env.ENV_ID
    const err = await run('npm', ['run', '-s', 'deploy'], { cwd: ROOT, env }).catch((e) => e)
    expect(err.code).toBe(1)
    expect(err.stderr.trim().split('\n')).toHaveLength(1)
    expect(err.stderr).toMatch(/^ENV_ID is not set: set ENV_ID/)
  })

  test('with no credentials (no CLI login, no API key): names both ways, before building anything', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-home-'))
    const env: NodeJS.ProcessEnv = { ...process.env, ENV_ID: 'env-1', HOME: home }
    delete env.TENCENTCLOUD_SECRETID
    delete env.TENCENTCLOUD_SECRETKEY
    const err = await run('npm', ['run', '-s', 'deploy'], { cwd: ROOT, env }).catch((e) => e)
    fs.rmSync(home, { recursive: true, force: true })
    expect(err.code).toBe(1)
    expect(err.stderr).toMatch(/^No Tencent Cloud credentials: run npx tcb login \(preferred\), or set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY/)
    expect(err.stdout).toBe('')
  })
})

test('npm run deploy -- --dry-run passes: the function, installed alone, runs under the CLI runtime', async () => {
  const { stdout } = await run('npm', ['run', '-s', 'deploy', '--', '--dry-run'], { cwd: ROOT, timeout: 240_000 })
  expect(stdout).toContain('Package check passed.')
  expect(stdout).not.toContain('✗')
  expect(stdout.match(/✓/g)).toHaveLength(15)
  expect(stdout).toContain('✓ cloudbaserc.json declares the triggers config.json does (npm run deploy creates them): will create: purgeLabels (timer, "0 0 * * * * *")')
  expect(stdout).toContain('✓ installed alone, it refuses a user the order is not recorded for, before WeChat')
  expect(stdout).toContain('✓ installed alone, it stores a label over 1 MB in cloud storage')
  expect(stdout).toContain('✓ config.json declares the purgeLabels timer')
})

describe('the package check names what is wrong', () => {
  function brokenCopy(edit: (dir: string) => void): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-broken-'))
    for (const f of fs.readdirSync(FUNCTION_DIR)) fs.copyFileSync(path.join(FUNCTION_DIR, f), path.join(dir, f))
    edit(dir)
    return dir
  }
  const edits: [string, (dir: string) => void, RegExp][] = [
    [
      'package.json lists wx-server-sdk again',
      (d) => fs.writeFileSync(path.join(d, 'package.json'), JSON.stringify({ name: 'getorder', dependencies: { 'wx-server-sdk': '4.0.2' } })),
      /package\.json lists wx-server-sdk, which index\.js does not load/,
    ],
    ['index.js requires a package', (d) => fs.appendFileSync(path.join(d, 'index.js'), '\nrequire("left-pad");\n'), /index\.js requires left-pad/],
    [
      'index.js bundles another SDK version',
      (d) =>
        fs.writeFileSync(path.join(d, 'index.js'), fs.readFileSync(path.join(d, 'index.js'), 'utf8').replace(/with wx-server-sdk \d+\.\d+\.\d+ bundled in/, 'with wx-server-sdk 3.0.0 bundled in')),
      /bundled 3\.0\.0, pinned/,
    ],
    ['the licence notices are missing', (d) => fs.rmSync(path.join(d, 'THIRD_PARTY_NOTICES.txt')), /THIRD_PARTY_NOTICES\.txt is missing/],
    [
      'config.json loses logistics.getOrder',
      (d) => fs.writeFileSync(path.join(d, 'config.json'), JSON.stringify({ permissions: { openapi: ['logistics.batchGetOrder'] } })),
      /missing from config\.json permissions\.openapi: logistics\.getOrder/,
    ],
    [
      'config.json without the purge timer',
      (d) => fs.writeFileSync(path.join(d, 'config.json'), JSON.stringify({ permissions: { openapi: ['logistics.getOrder', 'logistics.batchGetOrder'] }, timeout: 10 })),
      /no "purgeLabels" trigger: stored labels would never be deleted/,
    ],
    [
      'config.json without a timeout',
      (d) =>
        fs.writeFileSync(
          path.join(d, 'config.json'),
          JSON.stringify({ permissions: { openapi: ['logistics.getOrder', 'logistics.batchGetOrder'] }, triggers: [{ name: 'purgeLabels', type: 'timer', config: '0 0 * * * * *' }] }),
        ),
      /no timeout: a devtools upload would run with the 3 s default/,
    ],
    ['the bundle is stale', (d) => fs.appendFileSync(path.join(d, 'index.js'), '\n// edited by hand\n'), /stale: index\.js/],
    ['the bundle names a machine path', (d) => fs.appendFileSync(path.join(d, 'index.js'), `\nconst where = "${ROOT}/src";\n`), new RegExp(`found ${ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)],
  ]
  test.each(edits)('%s', async (_name, edit, named) => {
    const checks = await staticChecks(brokenCopy(edit))
    const failed = checks.filter((c) => !c.ok)
    expect(failed.length).toBeGreaterThan(0)
    expect(failed.map((c) => c.detail).join('\n')).toMatch(named)
  })

  test('the committed function passes every static check', async () => {
    expect((await staticChecks()).filter((c) => !c.ok)).toEqual([])
  })
})

test('cloudbaserc.json sets the function explicitly and leaves console variables alone', () => {
  const rc = JSON.parse(fs.readFileSync(path.join(ROOT, 'cloudbaserc.json'), 'utf8'))
  expect(rc).toMatchObject({ version: '2.0', envId: '{{env.ENV_ID}}', functionRoot: 'cloudfunctions' })
  const fn = rc.functions.find((f: { name: string }) => f.name === FUNCTION_NAME)
  expect(fn).toMatchObject({ handler: 'index.main', runtime: expect.stringMatching(/^Nodejs\d/), timeout: expect.any(Number), memorySize: expect.any(Number), installDependency: true })
  expect(fn).not.toHaveProperty('envVariables')
})

test('cloudbaserc.json and config.json declare the same triggers: tcb fn deploy creates only those in cloudbaserc.json', () => {
  const rc = JSON.parse(fs.readFileSync(path.join(ROOT, 'cloudbaserc.json'), 'utf8')) as { functions: { name: string; triggers?: unknown }[] }
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, 'cloudfunctions', 'getOrder', 'config.json'), 'utf8')) as { triggers?: unknown }
  const rcTriggers = rc.functions.find((f) => f.name === 'getOrder')!.triggers
  expect(rcTriggers).toEqual(config.triggers)
  expect(rcTriggers).toEqual([{ name: 'purgeLabels', type: 'timer', config: '0 0 * * * * *' }])
})

describe('a deploy that knows: the read-back after the CLI', () => {
  const INDEX = Buffer.from('exports.main = async () => ({ ok: true })\n')
  const RECEIVER = Buffer.from('exports.main = async () => ({ statusCode: 200 })\n')
  const EXPECTED: Expected = {
    functions: [
      { name: 'getOrder', index: INDEX, triggers: ['purgeLabels'] },
      { name: 'wxComponent', index: RECEIVER, triggers: [] },
    ],
    service: { path: 'wx-component', name: 'wxComponent' },
  }
  const QUICK = { tries: 2, everyMs: 1 }

  /** manager-node as far as the read-back asks it; `offline` answers every call as an unreachable network does. */
  function fakeManager(
    state: { status?: Record<string, string>; code?: Record<string, Buffer>; triggers?: readonly string[]; paths?: readonly { Path: string; Name: string }[]; offline?: boolean } = {},
  ) {
    const calls: string[] = []
    const net = <T>(what: string, value: () => T): Promise<T> => (
      calls.push(what),
      state.offline ? Promise.reject(new Error('getaddrinfo EAI_AGAIN tcb-api.tencentcloudapi.com')) : Promise.resolve(value())
    )
    const manager = {
      functions: {
        getFunctionDetail: (name: string) =>
          net(`GetFunction ${name}`, () => ({ Status: state.status?.[name] ?? 'Active', Triggers: name === 'getOrder' ? (state.triggers ?? ['purgeLabels']).map((t) => ({ TriggerName: t })) : [] })),
        getFunctionDownloadUrl: (name: string) => net(`GetFunctionAddress ${name}`, () => ({ Url: `https://cos.example/${name}.zip` })),
        invokeFunction: () => Promise.reject(new Error('not used')),
      },
      access: { getAccessList: () => net('DescribeCloudBaseGWAPI', () => ({ APISet: state.paths ?? [{ Path: '/wx-component', Name: 'wxComponent' }] })) },
    } as unknown as ManagerLike
    const download = async (url: string) => storedZip({ 'index.js': url.includes('getOrder') ? (state.code?.getOrder ?? INDEX) : (state.code?.wxComponent ?? RECEIVER) })
    return { manager, calls, download }
  }
  const failedRows = (rows: Row[]) => rows.filter((r) => !r.ok).map((r) => r.name)

  test('everything read back as committed: "Deployed." and exit 0', async () => {
    const { manager, download } = fakeManager()
    const rows = await readBack(manager, EXPECTED, { download, settle: QUICK })
    expect(failedRows(rows)).toEqual([])
    const out: string[] = []
    expect(finish(rows, [], (s) => out.push(s))).toBe(0)
    expect(out.join('\n')).toMatch(/^Deployed: /m)
  })

  test.each([
    ['offline: nothing can be read', { offline: true }, ['getOrder is active', 'wxComponent is active', 'HTTP access /wx-component']],
    ['a function stuck updating', { status: { getOrder: 'Updating' } }, ['getOrder is active']],
    ['a failed function', { status: { wxComponent: 'CreateFailed' } }, ['wxComponent is active']],
    ['older code', { code: { getOrder: Buffer.from('old') } }, ['getOrder code']],
    ['no purge trigger', { triggers: [] }, ['getOrder triggers']],
    ['no push receiver path', { paths: [] }, ['HTTP access /wx-component']],
  ] as const)('%s: non-zero, never "Deployed."', async (_name, state, failing) => {
    const { manager, download } = fakeManager(state)
    const rows = await readBack(manager, EXPECTED, { download, settle: QUICK })
    expect(failedRows(rows)).toEqual(failing)
    const out: string[] = []
    expect(finish(rows, [], (s) => out.push(s))).toBe(1)
    expect(out.join('\n')).not.toMatch(/^Deployed/m)
  })

  test("the CLI's own failure line fails the deploy even when it exited 0 and everything reads back", async () => {
    // What the CLI prints offline with an API key, and its exit code 0 (handleDeployFail only logs).
    const output = '✖ [getOrder] 函数部署失败\nNo valid identity information\n'
    const failures = cliFailures(output)
    expect(failures).toEqual(['✖ [getOrder] 函数部署失败', 'No valid identity information'])
    const { manager, download } = fakeManager()
    const out: string[] = []
    expect(finish(await readBack(manager, EXPECTED, { download, settle: QUICK }), failures, (s) => out.push(s))).toBe(1)
    expect(out.join('\n')).toMatch(/函数部署失败/)
    expect(out.join('\n')).not.toMatch(/^Deployed/m)
  })

  test('the read-back expects what the repository deploys: both committed bundles, the purge trigger, the push path', () => {
    const e = expectedDeployment()
    expect(e.functions.map((f) => [f.name, f.triggers])).toEqual([
      ['getOrder', ['purgeLabels']],
      ['wxComponent', []],
    ])
    expect(e.functions[0]!.index.equals(fs.readFileSync(path.join(FUNCTION_DIR, 'index.js')))).toBe(true)
    expect(e.service).toEqual({ path: 'wx-component', name: 'wxComponent' })
  })
})

describe("the deploy asks for a third-party platform's first ticket", () => {
  test("with getOrder's deployed settings, against the fake WeChat server; said, not fatal, when refused", async () => {
    const wx = await startWechatServer()
    try {
      const vars = { ...wx.componentEnv(), WX_TRANSPORT: 'component', TOKEN_STORE_KEY: 'ab'.repeat(32) }
      const manager = (variables: Record<string, string>) =>
        ({ functions: { getFunctionDetail: async () => ({ Environment: { Variables: Object.entries(variables).map(([Key, Value]) => ({ Key, Value })) } }) } }) as unknown as ManagerLike
      expect(await firstTicket(manager(vars))).toMatch(/^Asked WeChat for a first component_verify_ticket/)
      expect(wx.component.ticketPushesAsked).toBe(1)
      wx.component.refuseIp = true
      expect(await firstTicket(manager(vars))).toMatch(/Could not ask WeChat for a first ticket.*61004.*within 10 minutes anyway/s)
      expect(await firstTicket(manager({ ADMIN_OPENIDS: 'o1' }))).toMatch(/not set to WX_TRANSPORT=component/)
      expect(wx.component.ticketPushesAsked).toBe(1)
    } finally {
      await wx.close()
    }
  })

  test('npm run component -- import --local: a merchant that authorized earlier is imported, then read for', async () => {
    const { stdout } = await run('npm', ['run', '-s', 'component', '--', 'import', '--local'], { cwd: ROOT, timeout: 120_000 })
    expect(stdout).toMatch(/imported wxEARLIERMERCHANT1 \(permission sets 45\)/)
    expect(stdout).toMatch(/getOrder for wxEARLIERMERCHANT1: ok/)
  })
})
