import { ADMIN, USER } from './scenarios'
export { ADMIN, USER }
import { createCloudMain, type WxServerSdk } from '../../src/cloud/entry'
import { createBackend, type ScenarioName } from '../../src/harness/backend'
import { identityEnv } from '../../src/harness/bootstrap'
import { createFakeCloud } from '../../src/harness/fakeSdk'
import { demoOwnerRecords, OWNERSHIP_ENV, seedOwners } from '../../src/harness/owners'

/**
 * The cloud function wired to the in-process fake SDK, with the platform's identity variables.
 * USER is recorded as the owner of every demo order, and plain users read their own (ACCESS_POLICY=own).
 */
export function fakeMain(options: { scenario?: ScenarioName; openid?: string | null; source?: string; env?: Record<string, string> } = {}) {
  const backend = createBackend({ scenario: options.scenario ?? 'normal' })
  const env: NodeJS.ProcessEnv = {
    TENCENTCLOUD_SECRETID: 'fake-id',
    TENCENTCLOUD_SECRETKEY: 'fake-key',
    ADMIN_OPENIDS: ADMIN,
    ...OWNERSHIP_ENV,
    ...identityEnv({
      ...(options.openid === null ? {} : { openid: options.openid ?? USER, appid: 'wx0000000000000000' }),
      ...(options.source !== undefined ? { source: options.source } : {}),
    }),
    ...options.env,
  }
  const fake = ownedFakeCloud(backend, env)
  const main = createCloudMain(fake as unknown as WxServerSdk, env)
  return { main, fake, backend, env }
}

/** The in-process fake SDK with USER recorded as the owner of every demo order. */
export function ownedFakeCloud(backend: ReturnType<typeof createBackend>, env: NodeJS.ProcessEnv) {
  const fake = createFakeCloud({ backend, env })
  seedOwners(fake.db, demoOwnerRecords(USER))
  return fake
}

/** Everything written to stdout and stderr while `fn` runs. */
export async function captureOutput<T>(fn: () => Promise<T>): Promise<{ value: T; output: string }> {
  const chunks: string[] = []
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (chunks.push(String(c)), true))
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (chunks.push(String(c)), true))
  try {
    const value = await fn()
    return { value, output: chunks.join('') }
  } finally {
    out.mockRestore()
    err.mockRestore()
  }
}
