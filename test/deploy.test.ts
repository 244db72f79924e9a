import { execFile } from 'child_process'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { promisify } from 'util'
import { FUNCTION_DIR, ROOT } from '../scripts/artifact'
import { deployArgs, FUNCTION_NAME, tcbBin } from '../scripts/deploy'
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
