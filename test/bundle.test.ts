import * as fs from 'fs'
import * as path from 'path'
import * as esbuild from 'esbuild'
import { buildArtifact, bundledSdkVersion, ENTRY, FUNCTION_DIR, MINIPROGRAM_CONTRACT, miniprogramContract } from '../scripts/artifact'
import { OPENAPI } from '../src/upstream/wire'

describe('cloudfunctions/getOrder as committed', () => {
  let fresh: Record<string, string>
  beforeAll(async () => {
    fresh = await buildArtifact()
  })

  test.each(['index.js', 'package.json', 'config.json', 'THIRD_PARTY_NOTICES.txt'])('%s equals a fresh build (run `npm run build` and commit if not)', (name) => {
    const committed = fs.readFileSync(path.join(FUNCTION_DIR, name), 'utf8')
    expect(committed === fresh[name]).toBe(true)
  })

  test('the bundled node-sdk carries its own version, not one read from a package.json the bundle lacks', () => {
    const nodeSdk = require(require.resolve('@cloudbase/node-sdk/package.json', { paths: [path.dirname(require.resolve('wx-server-sdk/package.json'))] })).version as string
    // Its version header was 'unknow' on the platform, and this repository's own version from a checkout.
    expect(fresh['index.js']).toContain(`.version=${JSON.stringify(nodeSdk)}`)
    expect(fresh['index.js']).not.toContain('"unknow"')
  })

  test("cloudbaserc.json is as the build writes it: getOrder's triggers from the same list as config.json", () => {
    const rc = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cloudbaserc.json'), 'utf8'))
    expect(rc.functions.find((f: { name: string }) => f.name === 'getOrder').triggers).toEqual(JSON.parse(fresh['config.json']!).triggers)
  })

  test('config.json lists every openapi the function calls', () => {
    const config = JSON.parse(fresh['config.json']!)
    expect(config.permissions.openapi).toEqual(Object.values(OPENAPI))
    for (const api of Object.values(OPENAPI)) expect(fresh['index.js']).toContain(api.split('.')[1])
  })

  test('wx-server-sdk is bundled in at the version package.json pins, so package.json has nothing to install', () => {
    const pkg = JSON.parse(fresh['package.json']!)
    const pinned = require('../package.json').dependencies['wx-server-sdk']
    expect(require('wx-server-sdk/package.json').version).toBe(pinned)
    expect(pkg.dependencies).toEqual({})
    expect(fresh['index.js']).toContain(`with wx-server-sdk ${pinned} bundled in`)
    expect(fresh['THIRD_PARTY_NOTICES.txt']).toContain(`wx-server-sdk@${pinned} (MIT)`)
  })

  test('a build against an SDK other than the pinned one fails', () => {
    expect(() => bundledSdkVersion('3.0.0')).toThrow(/pins wx-server-sdk 3\.0\.0 but 4\.\d+\.\d+ is installed/)
  })

  test('the licence notices hold every bundled package once, with its licence', () => {
    const notices = fresh['THIRD_PARTY_NOTICES.txt']!
    const ids = [...notices.matchAll(/^={78}\n(\S+@\d[^ ]*) \(/gm)].map((m) => m[1]!)
    expect(ids.length).toBe(Number(/the (\d+) packages below/.exec(notices)![1]))
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ['@cloudbase/node-sdk@', 'protobufjs@', 'json-bigint@', 'zod@', 'bson@']) expect(ids.some((i) => i.startsWith(id))).toBe(true)
  })

  test('the bundle requires nothing but Node built-ins, and names no path of this machine', () => {
    const js = fresh['index.js']!
    const required = [...js.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!)
    const builtins = new Set(require('module').builtinModules as string[])
    expect(required.length).toBeGreaterThan(0)
    expect(required.filter((r) => !builtins.has(r.replace(/^node:/, '')))).toEqual([])
    expect(js).not.toContain(path.resolve(__dirname, '..'))
    expect(js).not.toMatch(/\/(root|home|work)\//)
  })
})

test('miniprogram/lib/contract.ts is the current copy of src/types.ts (run `npm run build` if not)', () => {
  expect(fs.readFileSync(MINIPROGRAM_CONTRACT, 'utf8') === miniprogramContract()).toBe(true)
})

test('our part of the bundle calls cloud.openapi as the SDK documents it: camelCase, no convertCase option', async () => {
  // The SDK inside the bundle has its own convertCase, so our code is built alone to look at it.
  const out = await esbuild.build({ entryPoints: [ENTRY], bundle: true, platform: 'node', format: 'cjs', external: ['wx-server-sdk'], write: false, logLevel: 'silent' })
  const ours = out.outputFiles[0]!.text
  expect(ours).not.toMatch(/convertCase/)
  for (const name of ['orderId', 'deliveryId', 'waybillId', 'printType', 'customRemark', 'orderList']) expect(ours).toContain(`${name}:`)
})

test.each([0, 1])('src/decode/*Wasm.ts is its .wat compiled (run `npm run build` if not) #%s', async (i) => {
  const { compiledWasmModule, WASM_MODULES } = require('../scripts/wasm') as typeof import('../scripts/wasm')
  const spec = WASM_MODULES[i]!
  expect(fs.readFileSync(spec.module, 'utf8') === (await compiledWasmModule(spec))).toBe(true)
})
