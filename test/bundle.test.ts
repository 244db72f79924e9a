import * as fs from 'fs'
import * as path from 'path'
import { buildArtifact, FUNCTION_DIR, MINIPROGRAM_CONTRACT, miniprogramContract } from '../scripts/artifact'
import { OPENAPI } from '../src/upstream/wire'

describe('cloudfunctions/getOrder as committed', () => {
  let fresh: Record<string, string>
  beforeAll(async () => {
    fresh = await buildArtifact()
  })

  test.each(['index.js', 'package.json', 'config.json'])('%s equals a fresh build (run `npm run build` and commit if not)', (name) => {
    const committed = fs.readFileSync(path.join(FUNCTION_DIR, name), 'utf8')
    expect(committed === fresh[name]).toBe(true)
  })

  test('config.json lists every openapi the function calls', () => {
    const config = JSON.parse(fresh['config.json']!)
    expect(config.permissions.openapi).toEqual(Object.values(OPENAPI))
    for (const api of Object.values(OPENAPI)) expect(fresh['index.js']).toContain(api.split('.')[1])
  })

  test('package.json pins the exact wx-server-sdk the project tests with', () => {
    const pkg = JSON.parse(fresh['package.json']!)
    const installed = require('wx-server-sdk/package.json').version
    expect(pkg.dependencies).toEqual({ 'wx-server-sdk': installed })
  })

  test('the bundle requires nothing but wx-server-sdk and Node built-ins, and names no path of this machine', () => {
    const js = fresh['index.js']!
    const required = [...js.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!)
    const builtins = new Set(require('module').builtinModules as string[])
    expect(required.filter((r) => r !== 'wx-server-sdk' && !builtins.has(r.replace(/^node:/, '')))).toEqual([])
    expect(js).not.toContain(path.resolve(__dirname, '..'))
    expect(js).not.toMatch(/\/(root|home|work)\//)
  })
})

test('miniprogram/lib/contract.ts is the current copy of src/types.ts (run `npm run build` if not)', () => {
  expect(fs.readFileSync(MINIPROGRAM_CONTRACT, 'utf8') === miniprogramContract()).toBe(true)
})

test('the committed bundle calls cloud.openapi as the SDK documents it: camelCase, no convertCase option', () => {
  const js = fs.readFileSync(path.join(FUNCTION_DIR, 'index.js'), 'utf8')
  expect(js).not.toMatch(/convertCase/)
  for (const name of ['orderId', 'deliveryId', 'waybillId', 'printType', 'customRemark', 'orderList']) expect(js).toContain(`${name}:`)
})
