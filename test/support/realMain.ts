import { createCloudMain, type WxServerSdk } from '../../src/cloud/entry'
import { identityEnv } from '../../src/harness/bootstrap'
import type { FakeGateway } from '../../src/harness/gateway'
import { OWNERSHIP_ENV } from '../../src/harness/owners'
import { startLoopback } from './loopback'

/**
 * The cloud function on the real wx-server-sdk, pointed at a gateway on loopback. The SDK reads
 * identity from process.env, as on the platform, so `use` sets it for each invocation.
 */
export async function realSdkHarness() {
  const loopback = await startLoopback()
  const { gateway } = loopback
  const sdk = require('wx-server-sdk') as WxServerSdk
  return {
    gateway,
    /**
     * A fresh function instance with this caller and these variables. With no caller the source
     * chain is `source` (default `scf`, another function of this environment).
     */
    use(env: Record<string, string>, caller?: string, source?: string) {
      for (const k of [
        'WX_CONTEXT_KEYS',
        'WX_OPENID',
        'TCB_SOURCE',
        'ADMIN_OPENIDS',
        'TRUST_SERVER_CALLERS',
        'TRUSTED_SOURCES',
        'ACCESS_POLICY',
        'ORDER_OWNERS_COLLECTION',
        'BATCH_CONCURRENCY',
        'BATCH_MAX_LABEL_KB',
        'LABEL_TTL_HOURS',
      ])
        delete process.env[k]
      Object.assign(process.env, identityEnv({ ...(caller !== undefined ? { openid: caller } : {}), ...(source !== undefined ? { source } : {}) }))
      Object.assign(process.env, OWNERSHIP_ENV, env)
      return createCloudMain(sdk, process.env)
    },
    close: loopback.close,
  }
}
export type RealSdkHarness = Awaited<ReturnType<typeof realSdkHarness>>
export type { FakeGateway }
