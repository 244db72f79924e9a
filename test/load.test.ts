import { spawn } from 'child_process'
import * as path from 'path'

const ROOT = path.resolve(__dirname, '..')
/** Stated bound: heap after the run may exceed heap after warm-up by at most this much. */
const HEAP_GROWTH_BOUND_MB = 8

test('load: 1,000 invocations, 50 at a time, through the real SDK; all accounted for, exact outcomes, bounded heap, and the process ends by itself', async () => {
  const child = spawn(process.execPath, ['--expose-gc', '-r', 'ts-node/register/transpile-only', path.join(ROOT, 'scripts', 'load.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  let reportAt = 0
  child.stdout.on('data', () => {
    if (!reportAt && stdout.includes('LOAD-REPORT')) reportAt = Date.now()
  })
  // The script never calls process.exit: it must end once nothing is left running.
  const exit = await new Promise<number | null>((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.on('close', (code) => {
      clearTimeout(killer)
      resolve(code)
    })
  })
  expect(stderr).toBe('')
  expect(exit).toBe(0)
  expect(Date.now() - reportAt).toBeLessThan(5_000)
  const report = JSON.parse(stdout.split('LOAD-REPORT ')[1]!)
  expect(report.accounted).toBe(1000)
  expect(report.mismatches).toEqual([])
  expect(report.outcomes.ok).toBeGreaterThan(500)
  expect(Object.keys(report.outcomes).sort()).toEqual(['AUTH_ERROR', 'BAD_RESPONSE', 'CONFIG_ERROR', 'INVALID_ARGUMENT', 'TIMEOUT', 'UPSTREAM_UNAVAILABLE', 'WECHAT_ERROR', 'ok'])
  expect(report.logLines).toBe(1000)
  expect(report.logLeaksOpenid).toBe(false)
  expect(report.logLeaksLabel).toBe(false)
  expect(report.heapGrowthMB).toBeLessThan(HEAP_GROWTH_BOUND_MB)
  // Regression (found by this test): without the platform's TENCENTCLOUD_RUNENV=SCF, node-sdk looked
  // up metadata.tencentyun.com before every call; the stuck lookups kept the process alive for
  // minutes and grew the heap by 20 MB.
  expect(Object.keys(report.dnsLookups).filter((h) => h !== '127.0.0.1' && h !== 'localhost')).toEqual([])
}, 120_000)
